/**
 * What a PUT stores that its URL did not sign. A browser (or anyone holding the URL) may
 * add Content-Encoding, Content-Disposition, Cache-Control, Content-Language or Expires
 * to a presigned PUT, and S3 stores them. The API reads the bytes as stored and decides:
 * a header the route does not allow gets the upload rejected and deleted, by `complete`
 * and by the sweeper alike — never an error retried forever.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { createUploadHandler, defineRoute, type SingleUpload } from "@sluice/server";
import { png } from "./fixtures.js";
import {
  authorize,
  call,
  type ErrorAnswer,
  handlerOptions,
  headStatus,
  newDataDir,
  put,
  serveApi,
  startStore,
  type TestApi,
  type TestStore,
} from "./helpers.js";

describe("headers a PUT adds that its URL does not bind", () => {
  let store: TestStore;
  let api: TestApi;
  const completed: string[] = [];

  before(async () => {
    store = await startStore("r2");
    const onComplete = ({ upload }: { upload: { id: string } }) => void completed.push(upload.id);
    api = await serveApi(
      createUploadHandler(
        handlerOptions(
          store,
          {
            notes: defineRoute({ types: ["text/plain"], maxSize: 1 << 20, authorize, onComplete }),
            photos: defineRoute({ types: ["image/png"], maxSize: 1 << 20, authorize, onComplete }),
            downloads: defineRoute({
              types: ["text/plain"],
              maxSize: 1 << 20,
              authorize,
              onComplete,
              allowHeaders: ["content-disposition", "cache-control"],
            }),
          },
          newDataDir(),
        ),
      ),
    );
  });
  after(async () => {
    await api.close();
    await store.close();
  });

  async function upload(
    route: string,
    type: string,
    body: Uint8Array,
    extra: Record<string, string>,
  ): Promise<SingleUpload> {
    const created = await call<SingleUpload>(api, "POST", "", {
      user: "alice",
      body: { route, name: "f", type, size: body.length },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const response = await put(created.body.url, { ...created.body.headers, ...extra }, body);
    assert.equal(response.status, 200, "the store takes the unsigned header");
    return created.body;
  }

  const complete = (id: string) =>
    call<ErrorAnswer>(api, "POST", `/${id}/complete`, { user: "alice", body: {} });

  it("rejects and deletes a gzip-encoded upload at complete, once, with the reason", async () => {
    const text = Buffer.from("hello, plain text that is stored gzip-encoded\n".repeat(20));
    const sent = await upload("notes", "text/plain", gzipSync(text), {
      "content-encoding": "gzip",
    });
    const first = await complete(sent.id);
    assert.equal(first.status, 422, JSON.stringify(first.body));
    assert.equal(first.body.error.code, "verification_failed");
    assert.match(first.body.error.message, /content-encoding: "gzip".*does not allow/);
    assert.equal(await headStatus(store, sent.key), 404, "deleted");
    // Decided: asking again gives the same answer, not another try.
    const again = await complete(sent.id);
    assert.equal(again.status, 422);
    assert.ok(!completed.includes(sent.id));
  });

  it("decides a gzip-encoded PNG too, whose bytes would not decode in a range", async () => {
    const sent = await upload("photos", "image/png", gzipSync(png(4096)), {
      "content-encoding": "gzip",
    });
    const answer = await complete(sent.id);
    assert.equal(answer.status, 422, JSON.stringify(answer.body));
    assert.equal(await headStatus(store, sent.key), 404);
  });

  it("has the sweeper reach the same decision when no page completes", async () => {
    const text = Buffer.from("swept and never completed\n".repeat(10));
    const sent = await upload("notes", "text/plain", gzipSync(text), {
      "content-encoding": "gzip",
    });
    const disposition = await upload("notes", "text/plain", text, {
      "content-disposition": 'attachment; filename="invoice.html"',
    });
    const cached = await upload("notes", "text/plain", text, {
      "cache-control": "public, max-age=31536000",
    });
    store.clock.advance(60 * 60 * 1000);
    const report = await api.handler.sweep();
    assert.deepEqual(report.failed, []);
    assert.deepEqual([...report.rejected].sort(), [sent.id, disposition.id, cached.id].sort());
    assert.equal(await headStatus(store, sent.key), 404);
    assert.equal(await headStatus(store, disposition.key), 404);
    const state = await call<{ status: string; error: string }>(api, "GET", `/${disposition.id}`, {
      user: "alice",
    });
    assert.equal(state.body.status, "rejected");
    assert.match(state.body.error, /content-disposition/);
    assert.deepEqual((await api.handler.sweep()).failed, []);
  });

  it("takes the Cache-Control that fetch adds to every conditional PUT (Node, Chromium)", async () => {
    const text = Buffer.from("fetch sends If-None-Match, so it sends no-cache too\n");
    for (const value of ["no-cache", "max-age=0"]) {
      const sent = await upload("notes", "text/plain", text, { "cache-control": value });
      assert.equal((await complete(sent.id)).status, 200, value);
    }
  });

  it("keeps what the route allows", async () => {
    const text = Buffer.from("a report\n");
    const sent = await upload("downloads", "text/plain", text, {
      "content-disposition": 'attachment; filename="report.txt"',
      "cache-control": "private, max-age=60",
    });
    const answer = await complete(sent.id);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.ok(completed.includes(sent.id));
    // Content-Encoding is never allowed, even here.
    const encoded = await upload("downloads", "text/plain", gzipSync(text), {
      "content-encoding": "gzip",
    });
    assert.equal((await complete(encoded.id)).status, 422);
    assert.throws(
      () =>
        defineRoute({
          types: ["text/plain"],
          maxSize: 1,
          authorize,
          allowHeaders: ["content-encoding" as "cache-control"],
        }),
      /verified as stored/,
    );
  });
});
