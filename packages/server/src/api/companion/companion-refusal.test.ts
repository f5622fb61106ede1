/**
 * Companion's S3 paths under the base path: refused at the handler, with no socket, in
 * the shapes Uppy and Sluice's client each read.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createUploadHandler } from "../handler.js";
import { defineRoute } from "../route.js";
import { COMPANION_REFUSAL } from "./companion-refusal.js";

const handler = createUploadHandler({
  routes: {
    photos: defineRoute({ types: ["image/jpeg"], maxSize: 1000, authorize: () => ({ id: "u" }) }),
  },
  storage: {
    endpoint: "http://127.0.0.1:9",
    bucket: "b",
    credentials: { accessKeyId: "k", secretAccessKey: "s" },
  },
  dataDir: mkdtempSync(join(tmpdir(), "sluice-companion-")),
  sweepIntervalMs: 0,
  onError: () => {},
});
after(() => handler.close());

describe("Companion's S3 endpoints", () => {
  for (const [method, path] of [
    ["GET", "/api/uploads/s3/params?filename=a.jpg&type=image%2Fjpeg&metadata%5Broute%5D=photos"],
    ["POST", "/api/uploads/s3/multipart"],
    ["GET", "/api/uploads/s3/multipart/abc/1?key=k"],
    ["GET", "/api/uploads/s3/multipart/abc?key=k"],
    ["POST", "/api/uploads/s3/multipart/abc/complete?key=k"],
    ["DELETE", "/api/uploads/s3/multipart/abc?key=k"],
  ] as const) {
    it(`answers ${method} ${path.split("?")[0]} with 404 saying what to use, in Sluice's shape and Companion's`, async () => {
      const response = await handler.handle(new Request(`http://app.test${path}`, { method }));
      assert.equal(response.status, 404);
      const body = (await response.json()) as {
        error: { code: string; message: string };
        message: string;
      };
      assert.equal(body.error.code, "not_found");
      assert.equal(body.error.message, COMPANION_REFUSAL);
      assert.equal(body.message, COMPANION_REFUSAL);
      assert.match(body.message, /@sluice\/uppy/);
    });
  }

  it("leaves other paths to the native API", async () => {
    const response = await handler.handle(
      new Request("http://app.test/api/uploads/s3x/parts", { method: "POST" }),
    );
    assert.notEqual(((await response.json()) as { message?: string }).message, COMPANION_REFUSAL);
  });
});
