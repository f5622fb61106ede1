/** `GET {base}/routes/{name}` through the handler, with no socket and no store. */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { ApiErrorBody, RouteDescription } from "../../protocol.js";
import { createUploadHandler } from "../handler.js";
import { defineRoute } from "../route.js";

const handler = createUploadHandler({
  routes: {
    avatar: defineRoute({
      types: ["image/png", "image/jpeg"],
      maxSize: 5_000_000,
      minSize: 10,
      authorize: () => undefined, // nobody is signed in: the description is public anyway
    }),
    "big files": defineRoute({
      types: ["video/mp4"],
      maxSize: 2 ** 31,
      multipartThreshold: 16 * 2 ** 20,
      partSize: 8 * 2 ** 20,
      authorize: () => ({ id: "u" }),
    }),
  },
  storage: {
    endpoint: "http://127.0.0.1:9",
    bucket: "b",
    credentials: { accessKeyId: "k", secretAccessKey: "s" },
  },
  dataDir: mkdtempSync(join(tmpdir(), "sluice-route-description-")),
  sweepIntervalMs: 0,
  onError: () => {},
});
after(() => handler.close());

async function get(path: string, method = "GET"): Promise<{ status: number; body: unknown }> {
  const response = await handler.handle(
    new Request(`http://app.test/api/uploads${path}`, { method }),
  );
  return { status: response.status, body: await response.json() };
}

describe("GET {base}/routes/{name}", () => {
  it("answers the route's public policy without a signed-in user", async () => {
    const answer = await get("/routes/avatar");
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, {
      route: "avatar",
      types: ["image/png", "image/jpeg"],
      maxSize: 5_000_000,
      minSize: 10,
      multipartThreshold: 64 * 2 ** 20,
      partSize: 8 * 2 ** 20,
    } satisfies RouteDescription);
  });

  it("decodes a percent-encoded name", async () => {
    const answer = await get("/routes/big%20files");
    assert.equal(answer.status, 200);
    assert.equal((answer.body as RouteDescription).multipartThreshold, 16 * 2 ** 20);
  });

  it("answers 404 unknown_route for a name it does not have, inherited ones included", async () => {
    for (const name of ["nope", "constructor", "__proto__"]) {
      const answer = await get(`/routes/${name}`);
      assert.equal(answer.status, 404, name);
      assert.equal((answer.body as ApiErrorBody).error.code, "unknown_route");
      assert.match((answer.body as ApiErrorBody).error.message, new RegExp(name));
    }
  });

  it("answers 405 for another method and 404 for a path that names no route", async () => {
    const post = await get("/routes/avatar", "POST");
    assert.equal(post.status, 405);
    assert.equal((post.body as ApiErrorBody).error.code, "method_not_allowed");
    const deeper = await get("/routes/avatar/more");
    assert.equal(deeper.status, 404);
    assert.equal((deeper.body as ApiErrorBody).error.code, "not_found");
  });
});
