/**
 * The handler with no socket and no store: what it decides on its own (routing, parsing,
 * policy, ownership), and what it answers when the store cannot be reached. The suite in
 * test/server runs everything else against the embedded store over HTTP.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { ApiErrorBody, SingleUpload, UploadState } from "../protocol.js";
import { ApiError } from "./api-error.js";
import { createUploadHandler } from "./handler.js";
import { defineRoute } from "./route.js";

const handler = createUploadHandler({
  routes: {
    photos: defineRoute({
      types: ["image/jpeg", "image/png"],
      maxSize: 1000,
      authorize: (request) => {
        const user = request.headers.get("x-user");
        if (user === "eve") throw new ApiError(403, "banned", "eve is banned");
        return user ? { id: user } : undefined;
      },
    }),
  },
  // Nothing listens on port 9: every storage request fails to connect.
  storage: {
    endpoint: "http://127.0.0.1:9",
    bucket: "b",
    credentials: { accessKeyId: "k", secretAccessKey: "s" },
    timeoutMs: 2000,
  },
  dataDir: mkdtempSync(join(tmpdir(), "sluice-handler-")),
  sweepIntervalMs: 0,
  onError: () => {},
});
after(() => handler.close());

async function send(
  method: string,
  path: string,
  body?: unknown,
  user = "alice",
): Promise<{ status: number; body: unknown }> {
  const response = await handler.handle(
    new Request(`http://app.test/api/uploads${path}`, {
      method,
      headers: { "content-type": "application/json", ...(user ? { "x-user": user } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    }),
  );
  assert.equal(response.headers.get("cache-control"), "no-store");
  const text = await response.text();
  return { status: response.status, body: text === "" ? undefined : JSON.parse(text) };
}

const code = (answer: { body: unknown }) => (answer.body as ApiErrorBody).error.code;
const photo = { route: "photos", name: "a.jpg", type: "image/jpeg", size: 500 };

describe("upload handler (no store)", () => {
  it("presigns a single PUT without asking the store anything", async () => {
    const answer = await send("POST", "", photo);
    assert.equal(answer.status, 201);
    const upload = answer.body as SingleUpload;
    assert.match(upload.url, /^http:\/\/127\.0\.0\.1:9\/b\/photos\/alice\/[\w-]{22}\.jpg\?/);
    assert.deepEqual(upload.headers, { "content-type": "image/jpeg", "if-none-match": "*" });
  });

  it("lets authorize refuse with its own status and code", async () => {
    const answer = await send("POST", "", photo, "eve");
    assert.equal(answer.status, 403);
    assert.deepEqual(answer.body, { error: { code: "banned", message: "eve is banned" } });
  });

  it("normalises the declared type's case", async () => {
    const answer = await send("POST", "", { ...photo, type: "IMAGE/PNG" });
    assert.equal(answer.status, 201);
    assert.ok((answer.body as SingleUpload).key.endsWith(".png"));
  });

  it("answers 502 storage_error when the store is down, and leaves the upload pending", async () => {
    const upload = (await send("POST", "", photo)).body as SingleUpload;
    const answer = await send("POST", `/${upload.id}/complete`);
    assert.equal(answer.status, 502);
    assert.equal(code(answer), "storage_error");
    assert.match((answer.body as ApiErrorBody).error.message, /HeadObject/);
    const state = await send("GET", `/${upload.id}`);
    assert.equal((state.body as UploadState).status, "pending");
  });

  it("reports a failing sweep without losing the intent", async () => {
    const upload = (await send("POST", "", photo)).body as SingleUpload;
    const late = createUploadHandler({
      routes: {
        photos: defineRoute({ types: ["image/jpeg"], maxSize: 1000, authorize: () => undefined }),
      },
      storage: {
        endpoint: "http://127.0.0.1:9",
        bucket: "b",
        credentials: { accessKeyId: "k", secretAccessKey: "s" },
      },
      ledger: handler.ledger,
      now: () => new Date(Date.now() + 3_600_000),
      sweepIntervalMs: 0,
    });
    const report = await late.sweep();
    assert.ok(report.failed.some((f) => f.id === upload.id));
    assert.equal((await handler.ledger.get(upload.id))?.status, "pending");
    await late.close(); // not the ledger's owner: leaves it open
    assert.equal((await handler.ledger.get(upload.id))?.status, "pending");
  });

  it("takes complete's body as optional: absent or empty is fine, non-JSON is 415", async () => {
    const upload = (await send("POST", "", photo)).body as SingleUpload;
    const complete = (init: RequestInit) =>
      handler.handle(
        new Request(`http://app.test/api/uploads/${upload.id}/complete`, {
          method: "POST",
          ...init,
          headers: { "x-user": "alice", ...(init.headers as Record<string, string>) },
        }),
      );
    // Past the body, the store is asked (and is down): 502, not a refusal of the body.
    assert.equal((await complete({})).status, 502);
    assert.equal(
      (await complete({ body: "", headers: { "content-type": "application/json" } })).status,
      502,
    );
    assert.equal(
      (await complete({ body: "x", headers: { "content-type": "text/plain" } })).status,
      415,
    );
    assert.equal(
      (await complete({ body: "{", headers: { "content-type": "application/json" } })).status,
      400,
    );
  });

  it("404s ids that are not upload ids without looking them up", async () => {
    for (const id of ["x", "../../etc", "A".repeat(23)]) {
      const answer = await send("GET", `/${encodeURIComponent(id)}`);
      assert.equal(answer.status, 404);
    }
  });
});
