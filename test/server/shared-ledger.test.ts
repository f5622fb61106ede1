/**
 * Stateless app instances sharing one PostgreSQL ledger: two upload handlers, each
 * behind its own loopback HTTP server with its own data folder, one embedded store, one
 * database. The same uploads completed through both at once run `onComplete` once each;
 * both sweepers running at once settle each upload once; a user's limit of pending
 * uploads holds across the two. PostgreSQL comes from `packages/server/test/postgres.ts`.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type {
  CreateUploadResponse,
  FileRecord,
  MultipartUpload,
  PartUrlsResponse,
  SingleUpload,
  SweepReport,
  UploadState,
} from "@sluice/server";
import { createUploadHandler, LEDGER_FILE } from "@sluice/server";
import { postgresForTests } from "../../packages/server/test/postgres.js";
import { png } from "./fixtures.js";
import {
  call,
  type ErrorAnswer,
  eventsFor,
  type HookLog,
  handlerOptions,
  MiB,
  newDataDir,
  put,
  serveApi,
  startStore,
  type TestApi,
  type TestStore,
  testRoutes,
} from "./helpers.js";

const SWEEP_GRACE_MS = 15 * 60 * 1000;
const postgres = postgresForTests();

/** A hook slow enough that the instances' completions really overlap. */
async function slowHook(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 50));
}

describe("two API instances sharing a PostgreSQL ledger", { skip: postgres.skip }, () => {
  let store: TestStore;
  const logA: HookLog = [];
  const logB: HookLog = [];
  const bDataDir = newDataDir();
  let instances: Promise<readonly [TestApi, TestApi]> | undefined;

  before(async () => {
    await postgres.start();
    store = await startStore("r2");
  });
  after(async () => {
    const started = await instances?.catch(() => undefined);
    for (const api of started ?? []) await api.close();
    await store.close();
    await postgres.close();
  });

  /** Both instances, started by the first test that needs them (it fails if it cannot). */
  function both(): Promise<readonly [TestApi, TestApi]> {
    instances ??= (async () => {
      const databaseUrl = await postgres.server().schemaUrl();
      const a = await serveApi(
        createUploadHandler(
          handlerOptions(store, testRoutes(logA, slowHook), newDataDir(), { databaseUrl }),
        ),
      );
      // The second finds the ledger as a deployed instance would: through DATABASE_URL.
      const saved = process.env.DATABASE_URL;
      process.env.DATABASE_URL = databaseUrl;
      let b: TestApi;
      try {
        b = await serveApi(
          createUploadHandler(handlerOptions(store, testRoutes(logB, slowHook), bDataDir)),
        );
      } finally {
        if (saved === undefined) delete process.env.DATABASE_URL;
        else process.env.DATABASE_URL = saved;
      }
      await Promise.all([a.handler.ready(), b.handler.ready()]);
      return [a, b] as const;
    })();
    return instances;
  }

  const hooksRun = (id: string) => eventsFor(logA, id).length + eventsFor(logB, id).length;

  async function createThrough(api: TestApi, user: string, bytes: Buffer): Promise<SingleUpload> {
    const created = await call<CreateUploadResponse>(api, "POST", "", {
      user,
      body: { route: "avatars", name: "photo.png", type: "image/png", size: bytes.length },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.ok("url" in created.body, "a single upload");
    return created.body;
  }

  async function uploadThrough(api: TestApi, user: string, bytes: Buffer): Promise<SingleUpload> {
    const upload = await createThrough(api, user, bytes);
    const response = await put(upload.url, upload.headers, bytes);
    assert.equal(response.status, 200, await response.text());
    return upload;
  }

  it("uses no SQLite ledger on the instance DATABASE_URL pointed at PostgreSQL", async () => {
    const [, b] = await both();
    assert.equal(existsSync(join(bDataDir, LEDGER_FILE)), false);
    // An intent made through one instance is the other's to read.
    const [a] = await both();
    const upload = await createThrough(a, "erin", png(300));
    const state = await call<UploadState>(b, "GET", `/${upload.id}`, { user: "erin" });
    assert.equal(state.status, 200, JSON.stringify(state.body));
    assert.equal(state.body.status, "pending");
  });

  it("completes the same uploads through both at once, running onComplete once per upload", async () => {
    const [a, b] = await both();
    const uploads = await Promise.all(
      Array.from({ length: 8 }, (_, n) =>
        uploadThrough(n % 2 === 0 ? a : b, "alice", png(600 + n)),
      ),
    );
    // Every upload completed four times, twice through each instance, all at once.
    const answers = await Promise.all(
      uploads.flatMap((upload) =>
        [a, b, a, b].map(async (api) => ({
          id: upload.id,
          answer: await call<FileRecord>(api, "POST", `/${upload.id}/complete`, { user: "alice" }),
        })),
      ),
    );
    for (const upload of uploads) {
      const mine = answers.filter(({ id }) => id === upload.id).map(({ answer }) => answer);
      for (const answer of mine) assert.equal(answer.status, 200, JSON.stringify(answer.body));
      for (const answer of mine.slice(1)) assert.deepEqual(answer.body, mine[0]?.body);
      assert.equal(mine[0]?.body.id, upload.id);
      assert.equal(hooksRun(upload.id), 1, `onComplete runs once for ${upload.id}`);
      const event = [...eventsFor(logA, upload.id), ...eventsFor(logB, upload.id)][0];
      assert.deepEqual(event?.upload, mine[0]?.body);
      assert.equal((await b.handler.ledger.get(upload.id))?.status, "complete");
    }
  });

  it("completes a multipart upload once, its parts sent through one and completed through both", async () => {
    const [a, b] = await both();
    const bytes = Buffer.concat([png(), Buffer.alloc(6 * MiB)]);
    const created = await call<CreateUploadResponse>(a, "POST", "", {
      user: "alice",
      body: { route: "videos", name: "clip.png", type: "image/png", size: bytes.length },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.ok("multipart" in created.body, "a multipart upload");
    const upload: MultipartUpload = created.body;
    assert.equal(upload.multipart.partCount, 2);
    const urls = await call<PartUrlsResponse>(b, "POST", `/${upload.id}/parts`, {
      user: "alice",
      body: { partNumbers: [1, 2] },
    });
    assert.equal(urls.status, 200, JSON.stringify(urls.body));
    for (const part of urls.body.parts) {
      const start = (part.partNumber - 1) * upload.multipart.partSize;
      const response = await put(part.url, part.headers, bytes.subarray(start, start + part.size));
      assert.equal(response.status, 200, await response.text());
    }
    const answers = await Promise.all(
      [b, a, b, a].map((api) =>
        call<FileRecord>(api, "POST", `/${upload.id}/complete`, { user: "alice" }),
      ),
    );
    for (const answer of answers) assert.equal(answer.status, 200, JSON.stringify(answer.body));
    for (const answer of answers.slice(1)) assert.deepEqual(answer.body, answers[0]?.body);
    assert.equal(answers[0]?.body.size, bytes.length);
    assert.equal(hooksRun(upload.id), 1);
  });

  it("holds a user to the route's limit of pending uploads across both instances", async () => {
    const [a, b] = await both();
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, n) =>
        call(n % 2 === 0 ? a : b, "POST", "", {
          user: "carol",
          body: { route: "limited", name: "x.png", type: "image/png", size: 100 },
        }),
      ),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    assert.deepEqual(statuses, [201, 201, 429, 429, 429, 429, 429, 429]);
    for (const answer of answers.filter((answer) => answer.status === 429)) {
      assert.equal((answer.body as ErrorAnswer).error.code, "too_many_pending");
    }
  });

  // Last: it moves the clock past every deadline.
  it("never settles an upload twice when both instances' sweepers run at once", async () => {
    const [a, b] = await both();
    const arrived = await Promise.all(
      Array.from({ length: 8 }, (_, n) => uploadThrough(n % 2 === 0 ? a : b, "dave", png(800 + n))),
    );
    const missing = await Promise.all([a, b].map((api) => createThrough(api, "dave", png(500))));
    store.clock.advance(300_000 + SWEEP_GRACE_MS + 1_000);

    const reports = await Promise.all([a.handler.sweep(), b.handler.sweep()]);
    const [ra, rb] = reports;
    assert.deepEqual([ra.failed, rb.failed], [[], []]);
    const settled = (report: SweepReport) => [
      ...report.completed,
      ...report.expired,
      ...report.rejected,
    ];
    const twice = settled(ra).filter((id) => settled(rb).includes(id));
    assert.deepEqual(twice, [], "no upload is settled by both sweepers");
    const completed = [...ra.completed, ...rb.completed];
    const expired = [...ra.expired, ...rb.expired];
    for (const upload of arrived) {
      assert.ok(
        completed.includes(upload.id),
        `${upload.id} completed: ${JSON.stringify(reports)}`,
      );
      assert.equal(hooksRun(upload.id), 1, `onComplete runs once for ${upload.id}`);
      assert.equal((await a.handler.ledger.get(upload.id))?.status, "complete");
    }
    for (const upload of missing) {
      assert.ok(expired.includes(upload.id), `${upload.id} expired: ${JSON.stringify(reports)}`);
      assert.equal((await b.handler.ledger.get(upload.id))?.status, "expired");
    }
    // They raced for the same intents: each found some in the other's hands.
    assert.ok(ra.busy.length + rb.busy.length > 0, JSON.stringify(reports));

    const again = await Promise.all([a.handler.sweep(), b.handler.sweep()]);
    assert.deepEqual(
      again.map((report) => settled(report)),
      [[], []],
      "nothing is left to settle",
    );
  });
});
