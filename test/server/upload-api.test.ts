/**
 * The upload API end to end, against the embedded store over real HTTP, once per store
 * flavor, and against a Ceph RGW under `npm run test:rgw`: the page's side with `fetch`
 * using exactly what the API hands out, the store's refusals as the store words them,
 * and the ledger's promises (verified once, nothing lost) through the sweeper,
 * concurrent completions and a restart.
 *
 * Deadlines: the embedded store reads the test's clock, so the test moves it past an
 * expiry. RGW keeps its own clock, so against it the tests that need time to pass use
 * a second API with short real deadlines (`Timing`) and wait them out.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type {
  CreateUploadResponse,
  FileRecord,
  MultipartUpload,
  PartUrlsResponse,
  SingleUpload,
  UploadState,
} from "@sluice/server";
import { createUploadHandler, type UploadHandlerOptions } from "@sluice/server";
import { elf, html, jpeg, png, sha256Hex } from "./fixtures.js";
import {
  type Answer,
  call,
  type ErrorAnswer,
  eventsFor,
  type HookLog,
  handlerOptions,
  headStatus,
  keyUrl,
  MiB,
  newDataDir,
  put,
  s3Code,
  s3Request,
  serveApi,
  storeTargets,
  type TestApi,
  type TestStore,
  testRoutes,
} from "./helpers.js";

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;

/** How the API's deadlines pass in a test: moved on the shared clock, or waited out. */
interface Timing {
  /** The routes' URL lifetime, seconds. */
  readonly expiresIn: number;
  readonly sweepGraceMs: number;
  readonly multipartTtlMs: number;
  readonly leaseMs: number;
  pass(ms: number): Promise<void>;
}

/** The API's defaults, on the clock the embedded store shares. */
function movedClock(store: TestStore): Timing {
  return {
    expiresIn: 300,
    sweepGraceMs: 15 * MINUTE_MS,
    multipartTtlMs: 24 * 60 * MINUTE_MS,
    leaseMs: 2 * MINUTE_MS,
    async pass(ms) {
      store.clock.advance(ms);
    },
  };
}

/** Short enough to wait out, long enough for the PUTs in between on a busy machine. */
const REAL_TIME: Timing = {
  expiresIn: 3,
  sweepGraceMs: SECOND_MS,
  multipartTtlMs: 4 * SECOND_MS,
  leaseMs: SECOND_MS,
  pass: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

function timedOptions(timing: Timing): Partial<UploadHandlerOptions> {
  return {
    sweepGraceMs: timing.sweepGraceMs,
    multipartTtlMs: timing.multipartTtlMs,
    leaseMs: timing.leaseMs,
  };
}

function assertError(answer: Answer<unknown>, status: number, code: string): string {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  const { error } = answer.body as ErrorAnswer;
  assert.equal(error.code, code, error.message);
  assert.ok(error.message.length > 0);
  return error.message;
}

for (const target of storeTargets()) {
  describe(`upload API against ${target.name}`, () => {
    let store: TestStore;
    let api: TestApi;
    let dataDir: string;
    /** The API whose deadlines the tests let pass: `api` itself, unless the store's clock is its own. */
    let timed: TestApi;
    let timing: Timing;
    const log: HookLog = [];

    before(async () => {
      store = await target.start();
      dataDir = newDataDir();
      api = await serveApi(
        createUploadHandler(handlerOptions(store, testRoutes(log, slowHook), dataDir)),
      );
      if (store.kind === "embedded") {
        timing = movedClock(store);
        timed = api;
      } else {
        timing = REAL_TIME;
        timed = await serveApi(
          createUploadHandler(
            handlerOptions(
              store,
              testRoutes(log, slowHook, timing.expiresIn),
              newDataDir(),
              timedOptions(timing),
            ),
          ),
        );
      }
    });
    after(async () => {
      if (timed !== api) await timed?.close();
      await api?.close();
      await store?.close();
    });

    /** Past an upload URL's expiry and the sweeper's grace after it. */
    const pastSingleDeadline = () =>
      timing.pass(timing.expiresIn * SECOND_MS + timing.sweepGraceMs + SECOND_MS);
    /** Past a multipart upload's lapse and the sweeper's grace after it. */
    const pastMultipartDeadline = () =>
      timing.pass(timing.multipartTtlMs + timing.sweepGraceMs + SECOND_MS);

    /** A hook slow enough that concurrent completions really overlap. */
    async function slowHook(): Promise<void> {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    async function createSingle(
      body: Record<string, unknown>,
      user = "alice",
      via = api,
    ): Promise<SingleUpload> {
      const created = await call<CreateUploadResponse>(via, "POST", "", { user, body });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.ok("url" in created.body, "a single upload");
      return created.body;
    }

    async function uploadSingle(
      route: string,
      name: string,
      type: string,
      bytes: Buffer,
      via = api,
    ) {
      const upload = await createSingle({ route, name, type, size: bytes.length }, "alice", via);
      const response = await put(upload.url, upload.headers, bytes);
      assert.equal(response.status, 200, await response.text());
      return upload;
    }

    async function createMultipart(
      size: number,
      user = "alice",
      via = api,
    ): Promise<MultipartUpload> {
      const created = await call<CreateUploadResponse>(via, "POST", "", {
        user,
        body: { route: "videos", name: "clip.png", type: "image/png", size },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.ok("multipart" in created.body, "a multipart upload");
      return created.body;
    }

    async function putParts(
      upload: MultipartUpload,
      bytes: Buffer,
      partNumbers: number[],
      via = api,
    ): Promise<string[]> {
      const urls = await call<PartUrlsResponse>(via, "POST", `/${upload.id}/parts`, {
        user: "alice",
        body: { partNumbers },
      });
      assert.equal(urls.status, 200, JSON.stringify(urls.body));
      const etags: string[] = [];
      for (const part of urls.body.parts) {
        const start = (part.partNumber - 1) * upload.multipart.partSize;
        const body = bytes.subarray(start, start + part.size);
        const response = await put(part.url, part.headers, body);
        assert.equal(response.status, 200, await response.text());
        etags.push(response.headers.get("etag") ?? "");
      }
      return etags;
    }

    describe("a single PUT", () => {
      it("uploads with exactly the returned URL and headers, and completes verified", async () => {
        const bytes = png(2048);
        const upload = await createSingle({
          route: "avatars",
          name: "../../etc/passwd.png",
          type: "image/png",
          size: bytes.length,
        });
        assert.equal(upload.method, "PUT");
        assert.deepEqual(upload.headers, { "content-type": "image/png", "if-none-match": "*" });
        assert.match(upload.key, new RegExp(`^avatars/alice/${upload.id}\\.png$`));
        const signed = new URL(upload.url).searchParams.get("X-Amz-SignedHeaders");
        assert.equal(signed, "content-length;content-type;host;if-none-match");
        // No checksum it cannot know: no CRC32 of an empty body, no SDK checksum markers.
        assert.doesNotMatch(upload.url, /checksum/i);
        assert.ok(Date.parse(upload.expiresAt) > store.clock.now().getTime());

        const response = await put(upload.url, upload.headers, bytes);
        assert.equal(response.status, 200, await response.text());

        const completed = await call<FileRecord>(api, "POST", `/${upload.id}/complete`, {
          user: "alice",
        });
        assert.equal(completed.status, 200, JSON.stringify(completed.body));
        assert.equal(completed.body.id, upload.id);
        assert.equal(completed.body.key, upload.key);
        assert.equal(completed.body.name, "../../etc/passwd.png");
        assert.equal(completed.body.type, "image/png");
        assert.equal(completed.body.size, 2048);
        assert.equal(completed.body.route, "avatars");
        assert.match(completed.body.etag, /^[0-9a-f]{32}$/);

        const events = eventsFor(log, upload.id);
        assert.equal(events.length, 1);
        assert.deepEqual(events[0]?.upload, completed.body);
        assert.deepEqual(events[0]?.user, { id: "alice", name: "User alice" });

        const again = await call<FileRecord>(api, "POST", `/${upload.id}/complete`, {
          user: "alice",
        });
        assert.equal(again.status, 200);
        assert.deepEqual(again.body, completed.body);
        assert.equal(eventsFor(log, upload.id).length, 1, "onComplete ran once");

        const state = await call<UploadState>(api, "GET", `/${upload.id}`, { user: "alice" });
        assert.equal(state.body.status, "complete");
        assert.deepEqual(state.body.file, completed.body);
        assert.equal(await headStatus(store, upload.key), 200);
      });

      // Left out for RGW: 16.2 ignores x-amz-checksum-sha256 (it predates S3's checksums).
      if (target.kind === "embedded")
        it("binds a SHA-256 when the page gives one, and the store refuses other bytes", async () => {
          const bytes = png(1000);
          const upload = await createSingle({
            route: "avatars",
            name: "a.png",
            type: "image/png",
            size: bytes.length,
            sha256: sha256Hex(bytes),
          });
          const checksum = Buffer.from(sha256Hex(bytes), "hex").toString("base64");
          assert.deepEqual(upload.headers, {
            "content-type": "image/png",
            "if-none-match": "*",
            "x-amz-checksum-sha256": checksum,
          });
          const other = Buffer.from(bytes);
          other[999] = 1;
          const refused = await put(upload.url, upload.headers, other);
          assert.equal(refused.status, 400);
          assert.equal(await s3Code(refused), "BadDigest");
          const accepted = await put(upload.url, upload.headers, bytes);
          assert.equal(accepted.status, 200, await accepted.text());
          const completed = await call<FileRecord>(api, "POST", `/${upload.id}/complete`, {
            user: "alice",
          });
          assert.equal(completed.status, 200);
          assert.equal(completed.body.sha256, sha256Hex(bytes));
        });

      it("records a declared SHA-256 only when the store vouches for it", async () => {
        const bytes = png(1200);
        const upload = await createSingle({
          route: "avatars",
          name: "a.png",
          type: "image/png",
          size: bytes.length,
          sha256: sha256Hex(bytes),
        });
        const accepted = await put(upload.url, upload.headers, bytes);
        assert.equal(accepted.status, 200, await accepted.text());
        const completed = await call<FileRecord>(api, "POST", `/${upload.id}/complete`, {
          user: "alice",
        });
        assert.equal(completed.status, 200);
        // RGW 16.2 stores the body without checking x-amz-checksum-sha256, so the record
        // must not claim what nobody checked.
        assert.equal(completed.body.sha256, store.kind === "rgw" ? undefined : sha256Hex(bytes));
      });

      it("has the store refuse a body one byte longer or shorter than declared", async () => {
        const bytes = png(500);
        const upload = await createSingle({
          route: "avatars",
          name: "a.png",
          type: "image/png",
          size: bytes.length,
        });
        // fetch sets Content-Length from the body; the URL binds the declared one.
        for (const body of [png(501), bytes.subarray(0, 499)]) {
          const response = await put(upload.url, upload.headers, body);
          assert.equal(response.status, 403);
          assert.equal(await s3Code(response), "SignatureDoesNotMatch");
        }
        assert.equal(await headStatus(store, upload.key), 404);
      });

      it("has the store refuse a different Content-Type", async () => {
        const bytes = png(500);
        const upload = await createSingle({
          route: "avatars",
          name: "a.png",
          type: "image/png",
          size: bytes.length,
        });
        const response = await put(
          upload.url,
          { ...upload.headers, "content-type": "image/jpeg" },
          bytes,
        );
        assert.equal(response.status, 403);
        assert.equal(await s3Code(response), "SignatureDoesNotMatch");
        const without = await put(upload.url, { "if-none-match": "*" }, bytes);
        assert.equal(without.status, 403);
      });

      it("has the store refuse an overwrite: the same URL twice is 412", async () => {
        const bytes = png(300);
        const upload = await createSingle({
          route: "avatars",
          name: "a.png",
          type: "image/png",
          size: bytes.length,
        });
        assert.equal((await put(upload.url, upload.headers, bytes)).status, 200);
        const second = await put(upload.url, upload.headers, bytes);
        assert.equal(second.status, 412);
        assert.equal(await s3Code(second), "PreconditionFailed");
        // Without the bound If-None-Match, the signature itself fails.
        const unconditional = await put(upload.url, { "content-type": "image/png" }, bytes);
        assert.equal(unconditional.status, 403);
      });

      it("has the store refuse the URL once it has expired", async () => {
        const bytes = png(300);
        const upload = await createSingle(
          { route: "avatars", name: "a.png", type: "image/png", size: bytes.length },
          "alice",
          timed,
        );
        await timing.pass(timing.expiresIn * SECOND_MS + SECOND_MS);
        const response = await put(upload.url, upload.headers, bytes);
        assert.equal(response.status, 403);
        assert.equal(
          await s3Code(response),
          store.flavor === "r2" ? "ExpiredRequest" : "AccessDenied",
        );
      });

      it("answers 409 not_uploaded when completing before the PUT, then completes after", async () => {
        const bytes = jpeg(4000);
        const upload = await createSingle({
          route: "avatars",
          name: "me.jpg",
          type: "image/jpeg",
          size: bytes.length,
        });
        assert.ok(upload.key.endsWith(".jpg"));
        const early = await call(api, "POST", `/${upload.id}/complete`, { user: "alice" });
        assertError(early, 409, "not_uploaded");
        const state = await call<UploadState>(api, "GET", `/${upload.id}`, { user: "alice" });
        assert.equal(state.body.status, "pending");
        assert.equal((await put(upload.url, upload.headers, bytes)).status, 200);
        const completed = await call(api, "POST", `/${upload.id}/complete`, { user: "alice" });
        assert.equal(completed.status, 200);
      });

      it("stores route metadata bound by the signature", async () => {
        const bytes = Buffer.from("hello, plain text\n");
        const upload = await createSingle({
          route: "documents",
          name: "notes.txt",
          type: "text/plain",
          size: bytes.length,
        });
        assert.equal(upload.headers["x-amz-meta-owner"], "alice");
        assert.ok(upload.key.endsWith(".txt"));
        assert.equal((await put(upload.url, upload.headers, bytes)).status, 200);
        const completed = await call<FileRecord>(api, "POST", `/${upload.id}/complete`, {
          user: "alice",
        });
        assert.equal(completed.status, 200, JSON.stringify(completed.body));
        assert.deepEqual(completed.body.metadata, { owner: "alice" });
        const head = await s3Request(store, "HEAD", keyUrl(store, upload.key));
        assert.equal(head.headers.get("x-amz-meta-owner"), "alice");
      });
    });

    describe("verification at completion", () => {
      for (const [what, bytes, type, route, found] of [
        ["an ELF executable declared image/jpeg", elf(), "image/jpeg", "avatars", /x-elf/],
        ["an HTML page declared image/jpeg", html(), "image/jpeg", "avatars", /HTML/],
        ["an ELF executable declared text/plain", elf(), "text/plain", "documents", /x-elf/],
        ["a PNG declared image/jpeg", png(300), "image/jpeg", "avatars", /image\/png/],
      ] as const) {
        it(`refuses ${what} with 422 and deletes it`, async () => {
          const upload = await uploadSingle(route, "x", type, bytes);
          assert.equal(await headStatus(store, upload.key), 200, "the store took it");
          const refused = await call(api, "POST", `/${upload.id}/complete`, { user: "alice" });
          const message = assertError(refused, 422, "verification_failed");
          assert.match(message, found);
          assert.equal(await headStatus(store, upload.key), 404, "deleted");
          const state = await call<UploadState>(api, "GET", `/${upload.id}`, { user: "alice" });
          assert.equal(state.body.status, "rejected");
          assert.match(state.body.error ?? "", found);
          const again = await call(api, "POST", `/${upload.id}/complete`, { user: "alice" });
          assertError(again, 422, "verification_failed");
          assert.equal(eventsFor(log, upload.id).length, 0, "onComplete never ran");
        });
      }
    });

    describe("after a refusal or an abort", () => {
      it("deletes the key again once the URL has expired, whatever was PUT meanwhile", async () => {
        const refused = await uploadSingle("avatars", "x.jpg", "image/jpeg", elf(), timed);
        const answer = await call(timed, "POST", `/${refused.id}/complete`, { user: "alice" });
        assertError(answer, 422, "verification_failed");
        const aborted = await createSingle(
          { route: "avatars", name: "y.png", type: "image/png", size: 300 },
          "alice",
          timed,
        );
        assert.equal(
          (await call(timed, "DELETE", `/${aborted.id}`, { user: "alice" })).status,
          204,
        );
        // Each URL still works until it expires: the ELF again, and a PUT after the abort.
        assert.equal((await put(refused.url, refused.headers, elf())).status, 200);
        assert.equal((await put(aborted.url, aborted.headers, png(300))).status, 200);
        await pastSingleDeadline();
        const report = await timed.handler.sweep();
        assert.ok(report.cleaned.includes(refused.id), JSON.stringify(report));
        assert.ok(report.cleaned.includes(aborted.id), JSON.stringify(report));
        assert.equal(await headStatus(store, refused.key), 404);
        assert.equal(await headStatus(store, aborted.key), 404);
        const again = await timed.handler.sweep();
        assert.ok(!again.cleaned.includes(refused.id), "cleaned once");
        const state = await call<UploadState>(timed, "GET", `/${refused.id}`, { user: "alice" });
        assert.equal(state.body.status, "rejected");
      });
    });

    describe("multipart", () => {
      it("plans equal parts, signs part URLs on request, and completes from the store's list", async () => {
        const bytes = png(11 * MiB + 123);
        const upload = await createMultipart(bytes.length);
        assert.deepEqual(upload.multipart, { partSize: 5 * MiB, partCount: 3 });
        assert.ok(!("url" in upload));

        const urls = await call<PartUrlsResponse>(api, "POST", `/${upload.id}/parts`, {
          user: "alice",
          body: { partNumbers: [3, 1] },
        });
        assert.equal(urls.status, 200);
        assert.deepEqual(
          urls.body.parts.map((p) => [p.partNumber, p.size]),
          [
            [3, MiB + 123],
            [1, 5 * MiB],
          ],
        );
        for (const part of urls.body.parts) {
          assert.deepEqual(part.headers, {});
          assert.equal(
            new URL(part.url).searchParams.get("X-Amz-SignedHeaders"),
            "content-length;host",
          );
        }
        // A part of the wrong length is refused by the store, like a single PUT.
        const part3 = urls.body.parts[0];
        assert.ok(part3);
        const wrong = await put(part3.url, {}, bytes.subarray(10 * MiB, 11 * MiB));
        assert.equal(wrong.status, 403);

        await putParts(upload, bytes, [1, 2, 3]);
        const state = await call<UploadState>(api, "GET", `/${upload.id}`, { user: "alice" });
        assert.equal(state.body.status, "pending");
        assert.deepEqual(
          state.body.multipart?.uploaded.map((p) => [p.partNumber, p.size]),
          [
            [1, 5 * MiB],
            [2, 5 * MiB],
            [3, MiB + 123],
          ],
        );

        const completed = await call<FileRecord>(api, "POST", `/${upload.id}/complete`, {
          user: "alice",
        });
        assert.equal(completed.status, 200, JSON.stringify(completed.body));
        assert.equal(completed.body.size, bytes.length);
        assert.match(completed.body.etag, /-3$/);
        const head = await s3Request(store, "HEAD", keyUrl(store, upload.key));
        assert.equal(head.status, 200);
        assert.equal(head.headers.get("content-length"), String(bytes.length));
        assert.equal(head.headers.get("content-type"), "image/png");
        assert.equal(eventsFor(log, upload.id).length, 1);
      });

      it("answers 409 parts_missing naming the missing parts, and completes once they arrive", async () => {
        const bytes = png(11 * MiB);
        const upload = await createMultipart(bytes.length);
        await putParts(upload, bytes, [1, 3]);
        const early = await call(api, "POST", `/${upload.id}/complete`, { user: "alice" });
        const message = assertError(early, 409, "parts_missing");
        assert.match(message, /1 of 3 parts are not uploaded \(2\)/);
        const etags = await putParts(upload, bytes, [2]);
        // The page's view of a part that differs from the store's is refused, not trusted.
        const disagreeing = await call(api, "POST", `/${upload.id}/complete`, {
          user: "alice",
          body: { parts: [{ partNumber: 2, etag: '"0123"' }] },
        });
        assert.match(assertError(disagreeing, 409, "parts_missing"), /part 2 .* ETag/);
        const completed = await call(api, "POST", `/${upload.id}/complete`, {
          user: "alice",
          body: { parts: [{ partNumber: 2, etag: etags[0] }] },
        });
        assert.equal(completed.status, 200, JSON.stringify(completed.body));
      });

      it("refuses part numbers outside the plan, repeated, or too many at once", async () => {
        const upload = await createMultipart(11 * MiB);
        for (const partNumbers of [[0], [4], [1, 1], [1.5], [], "1"]) {
          const answer = await call(api, "POST", `/${upload.id}/parts`, {
            user: "alice",
            body: { partNumbers },
          });
          assertError(answer, 400, "bad_request");
        }
        const big = await createMultipart(600 * MiB);
        assert.equal(big.multipart.partCount, 120);
        const many = await call(api, "POST", `/${big.id}/parts`, {
          user: "alice",
          body: { partNumbers: Array.from({ length: 101 }, (_, i) => i + 1) },
        });
        assertError(many, 400, "bad_request");
        const single = await createSingle({
          route: "avatars",
          name: "a.png",
          type: "image/png",
          size: 100,
        });
        const noParts = await call(api, "POST", `/${single.id}/parts`, {
          user: "alice",
          body: { partNumbers: [1] },
        });
        assertError(noParts, 409, "invalid_state");
        for (const id of [upload.id, big.id, single.id]) {
          assert.equal((await call(api, "DELETE", `/${id}`, { user: "alice" })).status, 204);
        }
      });

      /** The store's own multipart upload behind an API upload: `key?uploadId=…`. */
      async function storeUploadUrl(upload: MultipartUpload): Promise<string> {
        const intent = await api.handler.ledger.get(upload.id);
        assert.equal(intent?.plan.kind, "multipart");
        const uploadId = intent?.plan.kind === "multipart" ? intent.plan.uploadId : "";
        return keyUrl(store, upload.key, `uploadId=${encodeURIComponent(uploadId)}`);
      }

      it("aborts: DELETE removes the store's upload, and the upload cannot complete", async () => {
        const bytes = png(11 * MiB);
        const upload = await createMultipart(bytes.length);
        await putParts(upload, bytes, [1]);
        const deleted = await call(api, "DELETE", `/${upload.id}`, { user: "alice" });
        assert.equal(deleted.status, 204);
        const state = await call<UploadState>(api, "GET", `/${upload.id}`, { user: "alice" });
        assert.equal(state.body.status, "aborted");
        const listed = await s3Request(store, "GET", await storeUploadUrl(upload));
        assert.equal(listed.status, 404);
        // RGW 16.2 answers NoSuchKey for an upload that is gone.
        assert.equal(await s3Code(listed), store.kind === "rgw" ? "NoSuchKey" : "NoSuchUpload");
        assertError(
          await call(api, "POST", `/${upload.id}/complete`, { user: "alice" }),
          409,
          "invalid_state",
        );
        assertError(
          await call(api, "POST", `/${upload.id}/parts`, {
            user: "alice",
            body: { partNumbers: [2] },
          }),
          409,
          "invalid_state",
        );
        assert.equal((await call(api, "DELETE", `/${upload.id}`, { user: "alice" })).status, 204);
      });

      it("reads an upload the store lost as nothing uploaded, not a storage error", async () => {
        const bytes = png(11 * MiB);
        const upload = await createMultipart(bytes.length);
        await putParts(upload, bytes, [1]);
        // Aborted behind the API's back, as a lifecycle rule would.
        const aborted = await s3Request(store, "DELETE", await storeUploadUrl(upload));
        assert.equal(aborted.status, 204);
        const state = await call<UploadState>(api, "GET", `/${upload.id}`, { user: "alice" });
        assert.equal(state.status, 200, JSON.stringify(state.body));
        assert.deepEqual(state.body.multipart?.uploaded, []);
        assertError(
          await call(api, "POST", `/${upload.id}/complete`, { user: "alice" }),
          409,
          "not_uploaded",
        );
      });
    });

    describe("refusals", () => {
      const valid = { route: "avatars", name: "a.png", type: "image/png", size: 1000 };

      it("unknown route: 404 unknown_route", async () => {
        assertError(
          await call(api, "POST", "", { user: "alice", body: { ...valid, route: "nope" } }),
          404,
          "unknown_route",
        );
        assertError(
          await call(api, "POST", "", {
            user: "alice",
            body: { ...valid, route: "constructor" },
          }),
          404,
          "unknown_route",
        );
      });

      it("no user: 401 unauthenticated; a refused user: 403 forbidden", async () => {
        assertError(await call(api, "POST", "", { body: valid }), 401, "unauthenticated");
        const forbidden = assertError(
          await call(api, "POST", "", { user: "mallory", body: valid }),
          403,
          "forbidden",
        );
        assert.equal(forbidden, "mallory may not upload files");
      });

      it("a type the route does not allow: 415 type_not_allowed, listing the allowed", async () => {
        const message = assertError(
          await call(api, "POST", "", {
            user: "alice",
            body: { ...valid, type: "image/svg+xml" },
          }),
          415,
          "type_not_allowed",
        );
        assert.match(message, /image\/svg\+xml .*allowed: image\/jpeg, image\/png/);
        assertError(
          await call(api, "POST", "", {
            user: "alice",
            body: { ...valid, type: "application/x-msdownload" },
          }),
          415,
          "type_not_allowed",
        );
      });

      it("too large: 413 too_large; below minSize: 400 too_small", async () => {
        assertError(
          await call(api, "POST", "", { user: "alice", body: { ...valid, size: MiB + 1 } }),
          413,
          "too_large",
        );
        assertError(
          await call(api, "POST", "", { user: "alice", body: { ...valid, size: 15 } }),
          400,
          "too_small",
        );
      });

      it("too many pending uploads: 429 too_many_pending", async () => {
        const body = { ...valid, route: "limited" };
        const first = await call<SingleUpload>(api, "POST", "", { user: "carol", body });
        const second = await call<SingleUpload>(api, "POST", "", { user: "carol", body });
        assert.equal(first.status, 201);
        assert.equal(second.status, 201);
        assertError(await call(api, "POST", "", { user: "carol", body }), 429, "too_many_pending");
        // Another user is not held back; a cancelled upload frees a slot.
        assert.equal((await call(api, "POST", "", { user: "dave", body })).status, 201);
        await call(api, "DELETE", `/${first.body.id}`, { user: "carol" });
        assert.equal((await call(api, "POST", "", { user: "carol", body })).status, 201);
      });

      it("malformed bodies: 400 bad_request naming the field; not JSON: 415", async () => {
        assertError(
          await call(api, "POST", "", { user: "alice", rawBody: "{" }),
          400,
          "bad_request",
        );
        assertError(
          await call(api, "POST", "", { user: "alice", rawBody: "[]" }),
          400,
          "bad_request",
        );
        for (const [field, value] of [
          ["size", -1],
          ["size", 1.5],
          ["size", "1000"],
          ["name", ""],
          ["type", 7],
          ["sha256", "abc"],
          ["route", undefined],
        ] as const) {
          const message = assertError(
            await call(api, "POST", "", { user: "alice", body: { ...valid, [field]: value } }),
            400,
            "bad_request",
          );
          assert.match(message, new RegExp(`"${field}"`));
        }
        assertError(
          await call(api, "POST", "", {
            user: "alice",
            rawBody: JSON.stringify(valid),
            contentType: "text/plain",
          }),
          415,
          "unsupported_media_type",
        );
        assertError(
          await call(api, "POST", "", {
            user: "alice",
            rawBody: JSON.stringify({ ...valid, name: "x".repeat(70_000) }),
          }),
          413,
          "too_large",
        );
      });

      it("unknown endpoints: 404; wrong methods: 405 with Allow", async () => {
        assertError(await call(api, "GET", "/a/b/c", { user: "alice" }), 404, "not_found");
        const put405 = await call(api, "PUT", "", { user: "alice" });
        assertError(put405, 405, "method_not_allowed");
        assert.equal(put405.headers.get("allow"), "POST");
        const outside = await fetch(`${api.url}/elsewhere`);
        assert.equal(outside.status, 404);
      });

      it("another user's upload is 404 everywhere, as an unknown id is", async () => {
        const upload = await createSingle({ ...valid, size: 300 });
        assert.equal((await put(upload.url, upload.headers, png(300))).status, 200);
        for (const [method, path, body] of [
          ["GET", `/${upload.id}`, undefined],
          ["POST", `/${upload.id}/complete`, undefined],
          ["POST", `/${upload.id}/parts`, { partNumbers: [1] }],
          ["DELETE", `/${upload.id}`, undefined],
        ] as const) {
          const theirs = await call(api, method, path, { user: "bob", body });
          const message = assertError(theirs, 404, "not_found");
          const unknown = await call(api, method, path.replace(upload.id, "A".repeat(22)), {
            user: "bob",
            body,
          });
          assertError(unknown, 404, "not_found");
          assert.equal(message.replace(upload.id, "A".repeat(22)), errorMessage(unknown));
        }
        assertError(await call(api, "GET", `/${upload.id}`), 401, "unauthenticated");
        // Still alice's, untouched.
        const completed = await call(api, "POST", `/${upload.id}/complete`, { user: "alice" });
        assert.equal(completed.status, 200);
      });

      it("a user id cannot climb out of its key segment", async () => {
        const upload = await createSingle({ ...valid, size: 300 }, "../../x/..");
        assert.ok(upload.key.startsWith("avatars/..%2F..%2Fx%2F../"), upload.key);
        const dots = await createSingle({ ...valid, size: 300 }, "..");
        assert.ok(dots.key.startsWith("avatars/%2E%2E/"), dots.key);
      });
    });

    describe("exactly once", () => {
      it("runs onComplete once for five concurrent completes, all answering the same record", async () => {
        const upload = await uploadSingle("avatars", "a.png", "image/png", png(700));
        const answers = await Promise.all(
          Array.from({ length: 5 }, () =>
            call<FileRecord>(api, "POST", `/${upload.id}/complete`, { user: "alice" }),
          ),
        );
        for (const answer of answers) assert.equal(answer.status, 200, JSON.stringify(answer.body));
        for (const answer of answers.slice(1)) assert.deepEqual(answer.body, answers[0]?.body);
        assert.equal(eventsFor(log, upload.id).length, 1);
      });

      it("runs onComplete once across two API instances sharing the ledger", async () => {
        const otherLog: HookLog = [];
        const other = await serveApi(
          createUploadHandler(handlerOptions(store, testRoutes(otherLog, slowHook), dataDir)),
        );
        try {
          const upload = await uploadSingle("avatars", "a.png", "image/png", png(700));
          const answers = await Promise.all(
            [api, other, api, other, other].map((instance) =>
              call<FileRecord>(instance, "POST", `/${upload.id}/complete`, { user: "alice" }),
            ),
          );
          for (const answer of answers) assert.equal(answer.status, 200);
          for (const answer of answers.slice(1)) assert.deepEqual(answer.body, answers[0]?.body);
          assert.equal(eventsFor(log, upload.id).length + eventsFor(otherLog, upload.id).length, 1);
          // A sweep on either instance finds nothing left to do for it.
          const report = await other.handler.sweep();
          assert.ok(!report.completed.includes(upload.id));
        } finally {
          await other.close();
        }
      });
    });

    describe("the sweeper", () => {
      it("completes an upload the page never reported, running onComplete once", async () => {
        const upload = await uploadSingle("avatars", "a.png", "image/png", png(900), timed);
        const early = await timed.handler.sweep();
        assert.ok(!early.completed.includes(upload.id), "not due before its URL expires");
        await pastSingleDeadline();
        const report = await timed.handler.sweep();
        assert.ok(report.completed.includes(upload.id), JSON.stringify(report));
        assert.equal(eventsFor(log, upload.id).length, 1);
        assert.deepEqual(eventsFor(log, upload.id)[0]?.user, { id: "alice", name: "User alice" });
        const second = await timed.handler.sweep();
        assert.ok(!second.completed.includes(upload.id));
        const completed = await call<FileRecord>(timed, "POST", `/${upload.id}/complete`, {
          user: "alice",
        });
        assert.equal(completed.status, 200, "the page's late complete gets the same record");
        assert.deepEqual(completed.body, eventsFor(log, upload.id)[0]?.upload);
        assert.equal(eventsFor(log, upload.id).length, 1);
      });

      it("expires an upload that never arrived, and one that does not verify", async () => {
        const never = await createSingle(
          { route: "avatars", name: "a.png", type: "image/png", size: 300 },
          "alice",
          timed,
        );
        const bad = await uploadSingle("avatars", "b.jpg", "image/jpeg", html(), timed);
        await pastSingleDeadline();
        const report = await timed.handler.sweep();
        assert.ok(report.expired.includes(never.id), JSON.stringify(report));
        assert.ok(report.rejected.includes(bad.id), JSON.stringify(report));
        assert.equal(await headStatus(store, bad.key), 404);
        assertError(
          await call(timed, "POST", `/${never.id}/complete`, { user: "alice" }),
          410,
          "expired",
        );
      });

      it("completes a multipart upload whose parts all arrived, and aborts one that stalled", async () => {
        const bytes = png(11 * MiB);
        const whole = await createMultipart(bytes.length, "alice", timed);
        await putParts(whole, bytes, [1, 2, 3], timed);
        const stalled = await createMultipart(bytes.length, "alice", timed);
        await putParts(stalled, bytes, [1], timed);
        await pastMultipartDeadline();
        const report = await timed.handler.sweep();
        assert.ok(report.completed.includes(whole.id), JSON.stringify(report));
        assert.ok(report.expired.includes(stalled.id), JSON.stringify(report));
        assert.equal(eventsFor(log, whole.id).length, 1);
        assert.equal(await headStatus(store, whole.key), 200);
        assert.equal(await headStatus(store, stalled.key), 404);
        const state = await call<UploadState>(timed, "GET", `/${stalled.id}`, { user: "alice" });
        assert.equal(state.body.status, "expired");
        assert.match(state.body.error ?? "", /2 of 3 parts are not uploaded/);
      });

      it("keeps pending uploads across a restart and completes them after", async () => {
        const restartDir = newDataDir();
        const firstLog: HookLog = [];
        const first = await serveApi(
          createUploadHandler(
            handlerOptions(
              store,
              testRoutes(firstLog, undefined, timing.expiresIn),
              restartDir,
              timedOptions(timing),
            ),
          ),
        );
        const bytes = png(11 * MiB);
        let single: SingleUpload;
        let multipart: MultipartUpload;
        try {
          const created = await call<SingleUpload>(first, "POST", "", {
            user: "alice",
            body: { route: "avatars", name: "a.png", type: "image/png", size: 400 },
          });
          single = created.body;
          assert.equal((await put(single.url, single.headers, png(400))).status, 200);
          const createdMultipart = await call<MultipartUpload>(first, "POST", "", {
            user: "alice",
            body: { route: "videos", name: "v.png", type: "image/png", size: bytes.length },
          });
          multipart = createdMultipart.body;
          const urls = await call<PartUrlsResponse>(first, "POST", `/${multipart.id}/parts`, {
            user: "alice",
            body: { partNumbers: [1, 2, 3] },
          });
          for (const part of urls.body.parts) {
            const start = (part.partNumber - 1) * 5 * MiB;
            const response = await put(
              part.url,
              part.headers,
              bytes.subarray(start, start + part.size),
            );
            assert.equal(response.status, 200);
          }
        } finally {
          await first.close();
        }

        const secondLog: HookLog = [];
        const second = await serveApi(
          createUploadHandler(
            handlerOptions(
              store,
              testRoutes(secondLog, undefined, timing.expiresIn),
              restartDir,
              timedOptions(timing),
            ),
          ),
        );
        try {
          const state = await call<UploadState>(second, "GET", `/${multipart.id}`, {
            user: "alice",
          });
          assert.equal(state.body.status, "pending");
          assert.equal(state.body.multipart?.uploaded.length, 3);
          await pastMultipartDeadline();
          const report = await second.handler.sweep();
          assert.deepEqual(
            [...report.completed].sort(),
            [single.id, multipart.id].sort(),
            JSON.stringify(report),
          );
          assert.equal(firstLog.length, 0);
          assert.deepEqual(
            secondLog.map((e) => e.upload.id).sort(),
            [single.id, multipart.id].sort(),
          );
        } finally {
          await second.close();
        }
      });

      it("retries an onComplete that threw, from the verified record, until it succeeds", async () => {
        const hookDir = newDataDir();
        const hookLog: HookLog = [];
        let failures = 1;
        const flaky = await serveApi(
          createUploadHandler(
            handlerOptions(
              store,
              testRoutes(
                hookLog,
                () => {
                  if (failures-- > 0) throw new Error("the app's database is down");
                },
                timing.expiresIn,
              ),
              hookDir,
              timedOptions(timing),
            ),
          ),
        );
        try {
          const created = await call<SingleUpload>(flaky, "POST", "", {
            user: "alice",
            body: { route: "avatars", name: "a.png", type: "image/png", size: 400 },
          });
          assert.equal((await put(created.body.url, created.body.headers, png(400))).status, 200);
          const failed = await call(flaky, "POST", `/${created.body.id}/complete`, {
            user: "alice",
          });
          assertError(failed, 500, "internal");
          // The object is verified and kept while the claim lapses.
          assert.equal(await headStatus(store, created.body.key), 200);
          await timing.pass(timing.leaseMs + 1);
          const report = await flaky.handler.sweep();
          assert.ok(report.completed.includes(created.body.id), JSON.stringify(report));
          assert.equal(hookLog.length, 1);
          const completed = await call(flaky, "POST", `/${created.body.id}/complete`, {
            user: "alice",
          });
          assert.equal(completed.status, 200);
        } finally {
          await flaky.close();
        }
      });
    });

    it("lists the headers pages send, for the bucket's CORS rules", () => {
      assert.deepEqual(api.handler.signedHeaders, [
        "content-type",
        "if-none-match",
        "x-amz-checksum-sha256",
        "x-amz-meta-owner",
      ]);
    });
  });
}

function errorMessage(answer: Answer<unknown>): string {
  return (answer.body as ErrorAnswer).error.message;
}
