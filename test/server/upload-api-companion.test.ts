/**
 * Companion's S3 endpoints (`{base}/s3/…`), called on the handler itself (no socket for
 * the API) the way `@uppy/aws-s3` calls them, against the embedded store (R2's flavor)
 * over HTTP: each answer's shape, the refusals in Sluice's shape and Companion's
 * `message`, and the limits that hold at verification when no size was declared.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createUploadHandler, type FileRecord, type UploadHandler } from "@sluice/server";
import { html, jpeg } from "./fixtures.js";
import {
  type HookLog,
  handlerOptions,
  headStatus,
  MiB,
  newDataDir,
  put,
  startStore,
  type TestStore,
  testRoutes,
} from "./helpers.js";

interface Refusal {
  error: { code: string; message: string };
  message: string;
}

describe("Companion's S3 endpoints", () => {
  let store: TestStore;
  let handler: UploadHandler;
  const log: HookLog = [];

  before(async () => {
    store = await startStore("r2");
    handler = createUploadHandler(handlerOptions(store, testRoutes(log), newDataDir()));
  });
  after(async () => {
    await handler.close();
    await store.close();
  });

  /** As Uppy 4 and 5 call: `Accept: application/json`, JSON bodies. */
  async function companion<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = { accept: "application/json" },
  ): Promise<{ status: number; body: T }> {
    const response = await handler.handle(
      new Request(`http://app.test/api/uploads/s3${path}`, {
        method,
        headers: {
          "x-user": "alice",
          ...headers,
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      }),
    );
    return { status: response.status, body: (await response.json()) as T };
  }

  const params = (query: Record<string, string>) =>
    `/params?${new URLSearchParams({ filename: "a.jpg", type: "image/jpeg", ...query })}`;

  /** Sweeps once the sweeper's first look at a single PUT is due. */
  async function sweepSoon() {
    store.clock.advance(61_000);
    return handler.sweep();
  }

  it("answers s3/params with a PUT that the sweeper settles, verified, with no size declared", async () => {
    const answer = await companion<{
      method: string;
      url: string;
      fields: Record<string, string>;
      headers: Record<string, string>;
    }>("GET", params({ "metadata[route]": "avatars", "metadata[name]": "a.jpg" }));
    assert.equal(answer.status, 200);
    assert.equal(answer.body.method, "PUT");
    assert.deepEqual(answer.body.fields, {});
    assert.deepEqual(answer.body.headers, { "content-type": "image/jpeg", "if-none-match": "*" });
    const bytes = jpeg(4096);
    assert.equal((await put(answer.body.url, answer.body.headers, bytes)).status, 200);
    const report = await sweepSoon();
    assert.equal(report.completed.length, 1);
    const intent = await handler.ledger.get(report.completed[0] as string);
    assert.equal(intent?.status, "complete");
    assert.equal(intent?.size, undefined);
    assert.equal(intent?.record?.size, bytes.length);
  });

  it("binds metadata.size exactly when the page sets it", async () => {
    const answer = await companion<{ url: string; headers: Record<string, string> }>(
      "GET",
      params({ "metadata[route]": "avatars", "metadata[size]": "4096" }),
    );
    assert.equal(answer.status, 200);
    const response = await put(answer.body.url, answer.body.headers, jpeg(5000));
    assert.equal(response.status, 403);
  });

  it("refuses over-size at verification when no size was declared, and deletes it", async () => {
    const answer = await companion<{ url: string; headers: Record<string, string> }>(
      "GET",
      params({ "metadata[route]": "avatars" }),
    );
    assert.equal((await put(answer.body.url, answer.body.headers, jpeg(MiB + 1))).status, 200);
    const key = new URL(answer.body.url).pathname.split("/").slice(2).join("/");
    const report = await sweepSoon();
    assert.equal(report.rejected.length, 1);
    const intent = await handler.ledger.get(report.rejected[0] as string);
    assert.match(intent?.error ?? "", /this route takes at most 1048576/);
    assert.equal(await headStatus(store, decodeURIComponent(key)), 404);
  });

  it("refuses a wrong route, a refused type and a declared over-size, in both shapes", async () => {
    const cases = [
      [params({ "metadata[route]": "nope" }), 404, "unknown_route", /no upload route named "nope"/],
      [
        params({ "metadata[route]": "documents" }),
        415,
        "type_not_allowed",
        /image\/jpeg files are not allowed here; allowed: application\/pdf, text\/plain/,
      ],
      [
        params({ "metadata[route]": "avatars", "metadata[size]": String(2 * MiB) }),
        413,
        "too_large",
        /at most 1 MiB/,
      ],
      [params({}), 400, "bad_request", /set the file's meta "route"/],
    ] as const;
    for (const [path, status, code, message] of cases) {
      const answer = await companion<Refusal>("GET", path);
      assert.equal(answer.status, status);
      assert.equal(answer.body.error.code, code);
      assert.match(answer.body.message, message);
      assert.equal(answer.body.message, answer.body.error.message);
    }
  });

  it("refuses s3/params without Accept: application/json (Uppy 6's POST form)", async () => {
    const answer = await companion<Refusal>(
      "GET",
      params({ "metadata[route]": "avatars" }),
      undefined,
      {},
    );
    assert.equal(answer.status, 400);
    assert.match(answer.body.message, /shouldUseMultipart: true/);
  });

  it("runs a multipart upload in Uppy's own parts: create, sign, list, complete", async () => {
    const created = await companion<{ key: string; uploadId: string }>("POST", "/multipart", {
      filename: "clip.mp4",
      type: "video/mp4",
      metadata: { route: "videos", name: "clip.mp4" },
    });
    assert.equal(created.status, 200);
    const { key, uploadId } = created.body;
    const q = `?key=${encodeURIComponent(key)}`;
    // Uppy's part size (6 MiB), not the route's (5 MiB): no length is bound.
    const first = new Uint8Array(6 * MiB);
    first.set(new Uint8Array([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d]));
    const parts = [first, new Uint8Array(1234)];
    const etags: { PartNumber: number; ETag: string }[] = [];
    for (const [index, bytes] of parts.entries()) {
      const signed = await companion<{ url: string; expires: number }>(
        "GET",
        `/multipart/${uploadId}/${index + 1}${q}`,
      );
      assert.equal(signed.status, 200);
      assert.equal(signed.body.expires, 300);
      const response = await put(signed.body.url, {}, bytes);
      assert.equal(response.status, 200);
      etags.push({ PartNumber: index + 1, ETag: response.headers.get("etag") as string });
    }
    const batch = await companion<{ presignedUrls: Record<string, string> }>(
      "GET",
      `/multipart/${uploadId}/batch${q}&partNumbers=1,2`,
    );
    assert.deepEqual(Object.keys(batch.body.presignedUrls), ["1", "2"]);
    const listed = await companion<{ PartNumber: number; Size: number; ETag: string }[]>(
      "GET",
      `/multipart/${uploadId}${q}`,
    );
    assert.deepEqual(
      listed.body.map((part) => [part.PartNumber, part.Size, part.ETag]),
      etags.map((part, i) => [part.PartNumber, parts[i]?.length, part.ETag]),
    );
    const wrongKey = await companion<Refusal>("GET", `/multipart/${uploadId}?key=other`);
    assert.equal(wrongKey.status, 404);
    const done = await companion<{ location: string; key: string; file: FileRecord }>(
      "POST",
      `/multipart/${uploadId}/complete${q}`,
      { parts: etags },
    );
    assert.equal(done.status, 200);
    assert.equal(done.body.location, `/api/uploads/${uploadId}`);
    assert.equal(done.body.key, key);
    assert.equal(done.body.file.size, 6 * MiB + 1234);
    assert.equal((await handler.ledger.get(uploadId))?.status, "complete");
  });

  it("rejects bytes that are not what the type says at complete, and aborts on DELETE", async () => {
    const created = await companion<{ key: string; uploadId: string }>("POST", "/multipart", {
      filename: "a.png",
      type: "image/png",
      metadata: { route: "videos" },
    });
    const q = `?key=${encodeURIComponent(created.body.key)}`;
    const signed = await companion<{ url: string }>(
      "GET",
      `/multipart/${created.body.uploadId}/1${q}`,
    );
    const response = await put(signed.body.url, {}, html());
    const done = await companion<Refusal>(
      "POST",
      `/multipart/${created.body.uploadId}/complete${q}`,
      { parts: [{ PartNumber: 1, ETag: response.headers.get("etag") }] },
    );
    assert.equal(done.status, 422);
    assert.match(done.body.message, /refused/);
    assert.equal(await headStatus(store, created.body.key), 404);

    const other = await companion<{ key: string; uploadId: string }>("POST", "/multipart", {
      filename: "b.png",
      type: "image/png",
      metadata: { route: "videos" },
    });
    const aborted = await companion<Record<string, never>>(
      "DELETE",
      `/multipart/${other.body.uploadId}?key=${encodeURIComponent(other.body.key)}`,
    );
    assert.equal(aborted.status, 200);
    assert.deepEqual(aborted.body, {});
    assert.equal((await handler.ledger.get(other.body.uploadId))?.status, "aborted");
  });
});
