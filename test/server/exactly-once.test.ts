/**
 * Completion exactly once, also when a hook outlives the lease or a process dies, and
 * nothing left open in the store — on the SQLite ledger and a PostgreSQL one:
 *
 * - a hook slower than the lease runs once, with one instance and two requests, and with
 *   two instances' sweepers and no page at all (the claim is renewed while it works);
 * - the API SIGKILLed at each step of the transactional hook: the app's row and the
 *   ledger agree after a survivor sweeps;
 * - the API SIGKILLed between the store's CreateMultipartUpload and the ledger's record
 *   of its answer: nothing is left open after a sweep;
 * - multipart uploads under a route's keys that the ledger does not hold are aborted past
 *   the grace; an idle multipart upload with no part is expired early;
 * - a single PUT whose page went away is settled within a sweep interval.
 *
 * The child API (`api-process.ts`) and the parent's survivor share the store and the
 * ledger; the parent moves the clock (its store's and its handler's) past leases and
 * graces after a kill.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  createS3Api,
  createUploadHandler,
  LEDGER_FILE,
  type MultipartUpload,
  type S3Api,
  type SingleUpload,
  type UploadHandlerOptions,
} from "@sluice/server";
import Database from "better-sqlite3";
import pg from "pg";
import { postgresForTests } from "../../packages/server/test/postgres.js";
import { type ChildServer, startChildServer } from "../child-process.js";
import { png } from "./fixtures.js";
import {
  call,
  handlerOptions,
  MiB,
  newDataDir,
  put,
  serveApi,
  startStore,
  type TestApi,
  type TestStore,
} from "./helpers.js";
import { PHOTOS_TABLE_SQL, photoRoutes } from "./photo-routes.js";

const postgres = postgresForTests();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Where the ledger (and the app's table beside it) lives. */
interface LedgerPlace {
  readonly options: Pick<UploadHandlerOptions, "dataDir" | "databaseUrl">;
  /** Runs SQL in the ledger's database, as the app would. */
  exec(sql: string): Promise<Record<string, unknown>[]>;
}

interface Backend {
  readonly name: string;
  readonly skip: string | undefined;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  place(): Promise<LedgerPlace>;
}

const backends: Backend[] = [
  {
    name: "SQLite",
    skip: undefined,
    async setUp() {},
    async tearDown() {},
    async place() {
      const dataDir = newDataDir();
      return {
        options: { dataDir, databaseUrl: "" },
        async exec(sql) {
          const db = new Database(join(dataDir, LEDGER_FILE));
          try {
            const statement = db.prepare(sql);
            if (statement.reader) return statement.all() as Record<string, unknown>[];
            statement.run();
            return [];
          } finally {
            db.close();
          }
        },
      };
    },
  },
  {
    name: "PostgreSQL",
    skip: postgres.skip,
    setUp: () => postgres.start(),
    tearDown: () => postgres.close(),
    async place() {
      const databaseUrl = await postgres.server().schemaUrl();
      return {
        options: { dataDir: newDataDir(), databaseUrl },
        async exec(sql) {
          const client = new pg.Client({ connectionString: databaseUrl });
          await client.connect();
          try {
            return (await client.query(sql)).rows;
          } finally {
            await client.end();
          }
        },
      };
    },
  },
];

function s3Of(store: TestStore): S3Api {
  return createS3Api(
    {
      endpoint: store.url,
      bucket: store.bucket,
      region: store.region,
      credentials: store.credentials,
    },
    store.clock.now,
  );
}

async function createAndPut(api: Pick<TestApi, "url">, size = 256): Promise<SingleUpload> {
  const created = await call<SingleUpload>(api, "POST", "", {
    user: "alice",
    body: { route: "photos", name: "a.png", type: "image/png", size },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const putResponse = await put(created.body.url, created.body.headers, png(size));
  assert.equal(putResponse.status, 200);
  return created.body;
}

async function statusOf(api: TestApi, id: string): Promise<string | undefined> {
  return (await api.handler.ledger.get(id))?.status;
}

async function waitFor(what: string, ms: number, test: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The API as a child process on `place`, its output read line by line. */
async function startApiProcess(
  store: TestStore,
  place: LedgerPlace,
  env: Record<string, string>,
  storageUrl = store.url,
): Promise<ChildServer<string> & { lines: string[] }> {
  const child = await startChildServer(
    ["--conditions=source", "--import", "tsx", "test/server/api-process.ts"],
    (output) => /listening on (http:\/\/\S+)/.exec(output)?.[1],
    {
      name: "the upload API",
      cwd: new URL("../..", import.meta.url),
      env: {
        SLUICE_TEST_STORAGE: JSON.stringify({
          endpoint: storageUrl,
          bucket: store.bucket,
          region: store.region,
          credentials: store.credentials,
        }),
        SLUICE_TEST_DATA_DIR: place.options.dataDir ?? "",
        DATABASE_URL: place.options.databaseUrl ?? "",
        ...env,
      },
    },
  );
  const lines: string[] = [];
  let partial = "";
  child.child.stdout?.on("data", (data: Buffer) => {
    const text = partial + data.toString();
    const parts = text.split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
  });
  return Object.assign(child, { lines });
}

/**
 * A loopback proxy to the store that, once the store has answered a
 * CreateMultipartUpload, calls `onCreated` (which kills the caller) and never forwards
 * the answer: the store's upload exists, its requester never learnt of it.
 */
async function startCreateKiller(
  store: TestStore,
  onCreated: () => Promise<void>,
): Promise<{ url: string; server: Server }> {
  const target = new URL(store.url);
  const server = createServer((req, res) => {
    const forward = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        const isCreate = req.method === "POST" && /[?&]uploads(?:=|&|$)/.test(req.url ?? "");
        if (!isCreate) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        answer.resume();
        answer.on("end", () => {
          void onCreated().then(() => res.destroy());
        });
      },
    );
    forward.on("error", () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server };
}

for (const backend of backends) {
  describe(`completion exactly once, nothing left open (${backend.name} ledger)`, {
    skip: backend.skip,
  }, () => {
    let store: TestStore;
    const apis: TestApi[] = [];
    const children: ChildServer<string>[] = [];

    before(async () => {
      await backend.setUp();
      store = await startStore("r2");
    });
    after(async () => {
      for (const child of children) await child.kill();
      for (const api of apis) await api.close();
      await store.close();
      await backend.tearDown();
    });

    async function serve(
      place: LedgerPlace,
      routes: UploadHandlerOptions["routes"],
      extra: Partial<UploadHandlerOptions> = {},
    ): Promise<TestApi> {
      const api = await serveApi(
        createUploadHandler({
          ...handlerOptions(store, routes, place.options.dataDir ?? newDataDir()),
          databaseUrl: place.options.databaseUrl ?? "",
          ...extra,
        }),
      );
      await api.handler.ready();
      apis.push(api);
      return api;
    }

    async function photosTable(place: LedgerPlace): Promise<string> {
      const table = `photos_${randomBytes(4).toString("hex")}`;
      await place.exec(PHOTOS_TABLE_SQL(table));
      return table;
    }

    it("runs a hook slower than the lease once, however many complete requests come", async () => {
      const place = await backend.place();
      const hooks: string[] = [];
      const table = await photosTable(place);
      const api = await serve(
        place,
        photoRoutes({
          table,
          onComplete: async (id) => {
            await sleep(2500);
            hooks.push(id);
          },
        }),
        { leaseMs: 1000 },
      );
      const upload = await createAndPut(api);
      const first = call(api, "POST", `/${upload.id}/complete`, { user: "alice", body: {} });
      await sleep(1500);
      const second = call(api, "POST", `/${upload.id}/complete`, { user: "alice", body: {} });
      assert.equal((await first).status, 200);
      assert.equal((await second).status, 200);
      await sleep(1200);
      assert.deepEqual(hooks, [upload.id]);
      assert.equal(await statusOf(api, upload.id), "complete");
      const rows = await place.exec(`SELECT upload_id FROM ${table}`);
      assert.deepEqual(
        rows.map((r) => r.upload_id),
        [upload.id],
      );
    });

    it("runs it once when two instances' sweepers take it up and no page completes", async () => {
      const place = await backend.place();
      const hooks: string[] = [];
      const table = await photosTable(place);
      const routes = photoRoutes({
        table,
        onComplete: async (id) => {
          await sleep(2500);
          hooks.push(id);
        },
      });
      const fast = { leaseMs: 1000, sweepIntervalMs: 150, settleCheckMs: 100 };
      const a = await serve(place, routes, fast);
      const b = await serve(place, routes, fast);
      const upload = await createAndPut(a);
      await waitFor("the upload to be complete", 15_000, async () => {
        return (await statusOf(b, upload.id)) === "complete";
      });
      // Both sweepers keep running a while longer: nobody takes the upload up again.
      await sleep(1500);
      assert.deepEqual(hooks, [upload.id]);
      const rows = await place.exec(`SELECT upload_id FROM ${table}`);
      assert.equal(rows.length, 1);
    });

    it("settles a single PUT whose page went away within a sweep interval", async () => {
      const place = await backend.place();
      const hooks: string[] = [];
      const api = await serve(
        place,
        photoRoutes({ table: await photosTable(place), onComplete: (id) => void hooks.push(id) }),
        { sweepIntervalMs: 400, settleCheckMs: 400 },
      );
      const started = Date.now();
      const upload = await createAndPut(api);
      await waitFor("the sweeper to settle it", 5_000, async () => {
        return (await statusOf(api, upload.id)) === "complete";
      });
      // The first look comes one check after the create, then at most one interval.
      assert.ok(Date.now() - started < 400 + 400 + 600, `${Date.now() - started} ms`);
      assert.deepEqual(hooks, [upload.id]);
    });

    for (const step of ["HOOK", "IN-TRANSACTION", "after the answer"] as const) {
      it(`keeps the app's row and the ledger in agreement when the API is killed: ${step}`, async () => {
        const place = await backend.place();
        const table = await photosTable(place);
        const child = await startApiProcess(store, place, {
          SLUICE_TEST_APP_TABLE: table,
          SLUICE_TEST_LEASE_MS: "1000",
          SLUICE_TEST_STALL: step === "after the answer" ? "" : step,
        });
        children.push(child);
        const upload = await createAndPut({ url: child.ready });
        const completing = call({ url: child.ready }, "POST", `/${upload.id}/complete`, {
          user: "alice",
          body: {},
        }).catch((error: unknown) => error);
        if (step === "after the answer") {
          const answer = await completing;
          assert.equal((answer as { status: number }).status, 200);
        } else {
          await waitFor(`the child to reach ${step}`, 10_000, async () =>
            child.lines.includes(`${step} ${upload.id}`),
          );
        }
        await child.kill();

        const hooks: string[] = [];
        const survivor = await serve(
          place,
          photoRoutes({ table, onComplete: (id) => void hooks.push(id) }),
        );
        store.clock.advance(5_000);
        const report = await survivor.handler.sweep();
        assert.deepEqual(report.failed, []);
        assert.equal(await statusOf(survivor, upload.id), "complete");
        const rows = await place.exec(`SELECT upload_id, size FROM ${table}`);
        assert.deepEqual(
          rows.map((r) => [r.upload_id, Number(r.size)]),
          [[upload.id, 256]],
        );
        // The hook that is not transactional ran at least once in all (HOOK: killed in it).
        const ranInChild = child.lines.includes(`HOOK ${upload.id}`);
        assert.ok(ranInChild);
        assert.deepEqual(hooks, step === "after the answer" ? [] : [upload.id]);
      });
    }

    it("leaves nothing open when the API dies between the store's create and the ledger", async () => {
      const place = await backend.place();
      let child: (ChildServer<string> & { lines: string[] }) | undefined;
      const killer = await startCreateKiller(store, async () => {
        await child?.kill();
      });
      try {
        child = await startApiProcess(store, place, {}, killer.url);
        children.push(child);
        const created = await call({ url: child.ready }, "POST", "", {
          user: "alice",
          body: { route: "photos", name: "big.png", type: "image/png", size: 12 * MiB },
        }).catch((error: unknown) => error);
        assert.ok(created instanceof Error, "the create never answered");
      } finally {
        killer.server.closeAllConnections();
        killer.server.close();
      }
      const s3 = s3Of(store);
      const open = (await s3.listMultipartUploads("photos/")).length;
      assert.ok(open >= 1, "the store holds the upload the dead create began");

      const survivor = await serve(place, photoRoutes({ table: "unused" }));
      // Past the time a create may take, well before any multipart lifetime.
      store.clock.advance(3 * 60_000);
      const report = await survivor.handler.sweep();
      assert.deepEqual(report.failed, []);
      assert.equal(report.expired.length, 1, JSON.stringify(report));
      assert.deepEqual(await s3.listMultipartUploads("photos/"), []);
      const intent = await survivor.handler.ledger.get(report.expired[0] as string);
      assert.equal(intent?.status, "expired");
    });

    it("aborts multipart uploads under a route's keys the ledger does not hold, past the grace", async () => {
      const place = await backend.place();
      const api = await serve(place, photoRoutes({ table: "unused" }), {
        orphanGraceMs: 10 * 60_000,
      });
      const s3 = s3Of(store);
      const orphanKey = `photos/alice/${randomBytes(16).toString("base64url")}.png`;
      const foreignKey = `elsewhere/${randomBytes(16).toString("base64url")}.png`;
      const orphan = await s3.createMultipartUpload(orphanKey, { "content-type": "image/png" });
      const foreign = await s3.createMultipartUpload(foreignKey, {});
      // One of Sluice's own, in progress: its ledger row holds it.
      const live = await call<MultipartUpload>(api, "POST", "", {
        user: "alice",
        body: { route: "photos", name: "big.png", type: "image/png", size: 12 * MiB },
      });
      assert.equal(live.status, 201);

      const early = await api.handler.sweep();
      assert.deepEqual(early.orphans, [], "younger than the grace");
      store.clock.advance(11 * 60_000);
      const report = await api.handler.sweep();
      assert.deepEqual(report.orphans, [{ key: orphanKey, uploadId: orphan }]);
      const left = await s3.listMultipartUploads();
      assert.ok(left.some((u) => u.key === foreignKey && u.uploadId === foreign));
      assert.ok(left.some((u) => u.key === live.body.key));
      assert.ok(!left.some((u) => u.key === orphanKey));
      assert.equal(await statusOf(api, live.body.id), "pending");
      await s3.abortMultipartUpload(foreignKey, foreign);
    });

    it("expires a multipart upload with no part and no activity well before its lifetime", async () => {
      const place = await backend.place();
      const api = await serve(place, photoRoutes({ table: "unused" }), {
        multipartIdleMs: 30 * 60_000,
      });
      const idle = await call<MultipartUpload>(api, "POST", "", {
        user: "alice",
        body: { route: "photos", name: "big.png", type: "image/png", size: 12 * MiB },
      });
      assert.equal(idle.status, 201);
      store.clock.advance(10 * 60_000);
      const early = await api.handler.sweep();
      assert.deepEqual(early.expired, []);
      store.clock.advance(21 * 60_000);
      const report = await api.handler.sweep();
      assert.deepEqual(report.expired, [idle.body.id]);
      const intent = await api.handler.ledger.get(idle.body.id);
      assert.equal(intent?.status, "expired");
      const open = await s3Of(store).listMultipartUploads(idle.body.key);
      assert.deepEqual(open, []);
    });
  });
}
