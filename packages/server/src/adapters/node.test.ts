import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { toNodeListener, type WebHandler } from "./node.js";

/** Echoes what the Web handler received. */
const echo: WebHandler = {
  basePath: "/api/uploads",
  async handle(request) {
    return Response.json(
      {
        method: request.method,
        url: request.url,
        type: request.headers.get("content-type"),
        body: await request.text(),
      },
      { status: 201 },
    );
  },
};

async function withServer(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
  run: (url: string) => Promise<void>,
): Promise<void> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe("toNodeListener", () => {
  it("passes method, URL, headers and body through, and the answer back", async () => {
    await withServer(toNodeListener(echo), async (url) => {
      const response = await fetch(`${url}/api/uploads/abc?x=1`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"a":1}',
      });
      assert.equal(response.status, 201);
      assert.deepEqual(await response.json(), {
        method: "POST",
        url: `${url}/api/uploads/abc?x=1`,
        type: "application/json",
        body: '{"a":1}',
      });
    });
  });

  it("calls Express's next() outside its base path, and uses a body Express already parsed", async () => {
    const listener = toNodeListener(echo);
    const nexts: string[] = [];
    await withServer(
      (req, res) => {
        // What express.json() leaves behind: the stream read, the body parsed.
        req.resume();
        req.on("end", () => {
          (req as { body?: unknown }).body = { parsed: true };
          listener(req, res, () => {
            nexts.push(req.url ?? "");
            res.end("next");
          });
        });
      },
      async (url) => {
        const outside = await fetch(`${url}/other`, { method: "POST", body: "{}" });
        assert.equal(await outside.text(), "next");
        const inside = await fetch(`${url}/api/uploads`, { method: "POST", body: "ignored" });
        const echoed = (await inside.json()) as { body: string; type: string };
        assert.equal(echoed.body, '{"parsed":true}');
        assert.equal(echoed.type, "application/json");
      },
    );
    assert.deepEqual(nexts, ["/other"]);
  });

  it("does not read a body larger than the API accepts, and closes the connection", async () => {
    await withServer(toNodeListener(echo), async (url) => {
      const response = await fetch(`${url}/api/uploads`, {
        method: "POST",
        body: "x".repeat(100 * 1024),
      });
      assert.equal(response.headers.get("connection"), "close");
      const echoed = (await response.json()) as { body: string };
      assert.equal(echoed.body, "");
    });
  });
});
