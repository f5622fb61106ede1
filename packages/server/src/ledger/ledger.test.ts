/**
 * The ledger's promises, one suite run against every backend (SQLite on the runtime's
 * driver, PostgreSQL, D1 where Miniflare runs), as
 * tus-node-server runs one suite against every store: whatever an app chooses, the same
 * assertions hold. PostgreSQL comes from `../test/postgres.ts` (DATABASE_URL, or a
 * throw-away cluster).
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, describe, it as test } from "node:test";
import pg from "pg";
import { d1ForTests } from "../../test/d1.js";
import { postgresForTests } from "../../test/postgres.js";
import type { FileRecord } from "../protocol.js";
import { openD1Ledger } from "./d1-ledger.js";
import type { LedgerTransaction } from "./dialect.js";
import type { IntentPlan, Ledger, NewIntent } from "./ledger.js";
import { openPostgresLedger, SCHEMA_VERSION_TABLE } from "./postgres-ledger.js";
import { defaultSqliteDriver, openSqliteConnection } from "./sqlite-connection.js";
import { LEDGER_FILE, openSqliteLedger } from "./sqlite-ledger.js";

const T = 1_800_000_000_000;

function intent(id: string, changes: Partial<NewIntent> = {}): NewIntent {
  return {
    id,
    route: "avatars",
    userId: "alice",
    user: { id: "alice", roles: ["admin"] },
    key: `avatars/alice/${id}.png`,
    name: "me.png",
    type: "image/png",
    size: 100,
    sha256: undefined,
    metadata: {},
    plan: { kind: "single" },
    createdAt: T,
    expiresAt: T + 300_000,
    sweepAt: T + 600_000,
    ...changes,
  };
}

const record = (id: string): FileRecord => ({
  id,
  key: `k/${id}`,
  route: "avatars",
  name: "me.png",
  type: "image/png",
  size: 100,
  etag: "e",
  createdAt: new Date(T).toISOString(),
  completedAt: new Date(T).toISOString(),
});

/** One empty place for a ledger (a folder, a schema), opened as often as a test likes. */
interface Place {
  open(): Promise<Ledger>;
  /** Writes another schema version into it, as a newer Sluice would have. */
  setSchemaVersion(version: number): Promise<void>;
  /** Runs statements on the database directly, as the app or an older Sluice would. */
  exec(sql: string): Promise<Record<string, unknown>[]>;
  /** How the place names a table of the ledger's (schema-qualified in PostgreSQL). */
  table(name: string): string;
  readonly types: { readonly integer: string; readonly json: string; readonly strict: string };
}

interface Backend {
  readonly name: string;
  /** How the suite is titled, when not by `name` alone. */
  readonly title?: string;
  readonly skip: string | undefined;
  /** Tests this backend cannot pass, each with why. */
  readonly lacks?: Readonly<Record<string, string>>;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  place(): Place;
}

/** The runtime's own SQLite: better-sqlite3 on Node 20, node:sqlite on 22+, bun:sqlite. */
const driver = await defaultSqliteDriver();
const sqlite: Backend = {
  name: "SQLite",
  title: `SQLite (${driver})`,
  skip: undefined,
  async setUp() {},
  async tearDown() {},
  place() {
    const dataDir = mkdtempSync(join(tmpdir(), "sluice-ledger-"));
    return {
      open: async () => openSqliteLedger({ dataDir }),
      async exec(sql) {
        const db = await openSqliteConnection(join(dataDir, LEDGER_FILE), driver);
        try {
          return db.query<Record<string, unknown>>(sql, []);
        } finally {
          db.close();
        }
      },
      table: (name) => name,
      types: { integer: "INTEGER", json: "TEXT", strict: " STRICT" },
      async setSchemaVersion(version) {
        const db = await openSqliteConnection(join(dataDir, LEDGER_FILE), driver);
        db.exec(`PRAGMA user_version = ${version}`);
        db.close();
      },
    };
  },
};

const postgres = postgresForTests();
const postgresql: Backend = {
  name: "PostgreSQL",
  skip: postgres.skip,
  setUp: () => postgres.start(),
  tearDown: () => postgres.close(),
  place() {
    const server = postgres.server();
    const { url } = server;
    const schema = server.schemaName();
    return {
      open: () => openPostgresLedger({ connectionString: url, schema, onError: () => {} }),
      async exec(sql) {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          return (await client.query(sql)).rows;
        } finally {
          await client.end();
        }
      },
      table: (name) => `${schema}.${name}`,
      types: { integer: "bigint", json: "json", strict: "" },
      async setSchemaVersion(version) {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query(`UPDATE ${schema}.${SCHEMA_VERSION_TABLE} SET version = $1`, [version]);
        await client.end();
      },
    };
  },
};

const d1 = d1ForTests();
/** D1 has no interactive transactions (`d1-ledger.ts`): what the others lock, it only checks. */
const noTransactions = "D1 has no interactive transactions";
const d1Backend: Backend = {
  name: "D1",
  skip: d1.skip,
  lacks: {
    "counts and inserts as one step across ledgers sharing one store": noTransactions,
    "commits the app's writes with the outcome, or neither": noTransactions,
    "migrates a version-1 ledger, keeping its intents": "D1 ledgers began at version 2",
  },
  setUp: () => d1.start(),
  tearDown: () => d1.close(),
  place() {
    const database = d1.database();
    return {
      async open() {
        const ledger = openD1Ledger({ database: await database });
        // It opens on first use: use it, so that an open that fails fails here.
        await ledger.countPending("", 0);
        return ledger;
      },
      async exec(sql) {
        return (await (await database).prepare(sql).all<Record<string, unknown>>()).results;
      },
      table: (name) => name,
      types: { integer: "INTEGER", json: "TEXT", strict: " STRICT" },
      async setSchemaVersion(version) {
        await (await database)
          .prepare("UPDATE sluice_ledger_schema SET version = ?")
          .bind(version)
          .run();
      },
    };
  },
};

// SLUICE_TEST_LEDGERS=SQLite,D1 runs those alone (test/runtimes/ on other runtimes).
const only = process.env.SLUICE_TEST_LEDGERS?.split(",");
const backends = [sqlite, postgresql, d1Backend].filter((b) => !only || only.includes(b.name));
for (const backend of backends) {
  describe(`${backend.title ?? backend.name} ledger`, { skip: backend.skip }, () => {
    const it = (name: string, fn: () => Promise<void>) =>
      test(name, { skip: backend.lacks?.[name] ?? false }, fn);
    before(() => backend.setUp());
    after(() => backend.tearDown());

    /** Every ledger a test opens is closed after it, passed or failed. */
    const opened: Ledger[] = [];
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((ledger) => ledger.close()));
    });
    async function openIn(place: Place): Promise<Ledger> {
      const ledger = await place.open();
      opened.push(ledger);
      return ledger;
    }
    const open = () => openIn(backend.place());

    it("keeps an undeclared size undeclared, and a plan of no parts as such", async () => {
      const ledger = await open();
      const unplanned: IntentPlan = { kind: "multipart", uploadId: "u", partSize: 0, partCount: 0 };
      assert.equal(await ledger.create(intent("a", { size: undefined }), 10, T), true);
      assert.equal(await ledger.create(intent("b", { size: 0, plan: unplanned }), 10, T), true);
      assert.equal((await ledger.get("a"))?.size, undefined);
      const b = await ledger.get("b");
      assert.equal(b?.size, 0);
      assert.deepEqual(b?.plan, unplanned);
    });

    it("stores an intent and reads it back as it was", async () => {
      const ledger = await open();
      const multipart = intent("m", {
        sha256: "ab".repeat(32),
        metadata: { owner: "alice" },
        plan: { kind: "multipart", uploadId: "up-1", partSize: 8, partCount: 3 },
      });
      assert.equal(await ledger.create(multipart, 20, T), true);
      const read = await ledger.get("m");
      assert.deepEqual(read, {
        ...multipart,
        status: "pending",
        leaseUntil: undefined,
        completedAt: undefined,
        record: undefined,
        error: undefined,
        cleanupAt: undefined,
      });
      assert.equal(await ledger.get("nope"), undefined);
      await ledger.close();
    });

    it("refuses a user's intent past the limit, counting only unexpired unfinished ones", async () => {
      const ledger = await open();
      assert.equal(await ledger.create(intent("a"), 2, T), true);
      assert.equal(await ledger.create(intent("b"), 2, T), true);
      assert.equal(await ledger.create(intent("c"), 2, T), false);
      assert.equal(await ledger.create(intent("d", { userId: "bob" }), 2, T), true);
      assert.equal(await ledger.countPending("alice", T), 2);
      // Past their expiry they no longer hold the user back, though not yet swept.
      assert.equal(await ledger.countPending("alice", T + 300_000), 0);
      assert.equal(await ledger.create(intent("e"), 2, T + 300_000), true);
      await ledger.close();
    });

    it("gives a claim to one caller at a time, and to another once its lease lapses", async () => {
      const ledger = await open();
      await ledger.create(intent("a"), 20, T);
      const first = await ledger.claim("a", T, T + 1000);
      assert.ok(first);
      assert.equal(await ledger.claim("a", T + 999, T + 2000), undefined);
      const second = await ledger.claim("a", T + 1000, T + 3000);
      assert.ok(second && second !== first);
      // The first holder's token no longer counts.
      assert.equal(
        await ledger.finish("a", first, { status: "complete", record: record("a") }, T),
        false,
      );
      assert.equal(await ledger.saveRecord("a", first, record("a")), false);
      assert.equal(
        await ledger.finish("a", second, { status: "complete", record: record("a") }, T + 5),
        true,
      );
      const done = await ledger.get("a");
      assert.equal(done?.status, "complete");
      assert.deepEqual(done?.record, record("a"));
      assert.equal(done?.completedAt, T + 5);
      assert.equal(await ledger.claim("a", T + 10_000, T + 20_000), undefined, "ended for good");
      await ledger.close();
    });

    it("releases a claim back to pending and keeps a saved record", async () => {
      const ledger = await open();
      await ledger.create(intent("a"), 20, T);
      const token = await ledger.claim("a", T, T + 1000);
      assert.ok(token);
      await ledger.release("a", token);
      assert.equal((await ledger.get("a"))?.status, "pending");
      const again = await ledger.claim("a", T, T + 1000);
      assert.ok(again);
      assert.equal(await ledger.saveRecord("a", again, record("a")), true);
      assert.deepEqual((await ledger.get("a"))?.record, record("a"));
      await ledger.close();
    });

    it("lists what is due: pending past sweepAt and claims past their lease", async () => {
      const ledger = await open();
      await ledger.create(intent("early", { createdAt: T - 10 }), 20, T);
      await ledger.create(intent("late", { sweepAt: T + 900_000, createdAt: T + 1 }), 20, T);
      await ledger.create(intent("held"), 20, T);
      await ledger.claim("held", T, T + 700_000);
      assert.deepEqual(
        (await ledger.due(T + 600_000, 10)).map((i) => i.id),
        ["early"],
      );
      assert.deepEqual(
        (await ledger.due(T + 700_000, 10)).map((i) => i.id),
        ["early", "held"],
      );
      assert.deepEqual(
        (await ledger.due(T + 900_000, 1)).map((i) => i.id),
        ["early"],
      );
      await ledger.extend("early", T + 1_000_000, T + 1_000_000);
      assert.deepEqual(
        (await ledger.due(T + 900_000, 10)).map((i) => i.id),
        ["held", "late"],
      );
      await ledger.close();
    });

    it("lists an ended intent again when its cleanup is due, until it is cleaned", async () => {
      const ledger = await open();
      await ledger.create(intent("a"), 20, T);
      const token = await ledger.claim("a", T, T + 1000);
      assert.ok(token);
      await ledger.finish("a", token, { status: "rejected", error: "ELF", cleanupAt: T + 500 }, T);
      assert.deepEqual(await ledger.due(T + 499, 10), []);
      const due = await ledger.due(T + 500, 10);
      assert.deepEqual(
        due.map((i) => [i.id, i.status, i.cleanupAt]),
        [["a", "rejected", T + 500]],
      );
      await ledger.cleaned("a");
      assert.deepEqual(await ledger.due(T + 10_000, 10), []);
      await ledger.close();
    });

    it("keeps everything across a reopen", async () => {
      const place = backend.place();
      const first = await place.open();
      await first.create(intent("a"), 20, T);
      await first.close();
      const second = await place.open();
      assert.equal((await second.get("a"))?.status, "pending");
      await second.close();
    });

    it("keeps sizes and times past 32 bits, JSON as it was written, and a missing user", async () => {
      const ledger = await open();
      const big = intent("big", {
        user: { z: "last key first", a: ["ü", "\u0000", { nested: true }], n: 1.5 },
        metadata: { zeta: "1", alpha: "ünïcode ✓" },
        size: 5 * 2 ** 40,
        plan: {
          kind: "multipart",
          uploadId: "u".repeat(200),
          partSize: 5 * 2 ** 30,
          partCount: 1024,
        },
      });
      assert.equal(await ledger.create(big, 20, T), true);
      const read = await ledger.get("big");
      assert.equal(read?.size, 5 * 2 ** 40);
      assert.deepEqual(read?.plan, big.plan);
      assert.deepEqual(read?.user, big.user);
      assert.deepEqual(Object.keys(read?.user as object), ["z", "a", "n"], "keys in their order");
      assert.deepEqual(Object.keys(read?.metadata ?? {}), ["zeta", "alpha"]);
      assert.equal(read?.createdAt, T);
      assert.equal(typeof read?.expiresAt, "number");

      await ledger.create(intent("nobody", { user: undefined }), 20, T);
      assert.equal((await ledger.get("nobody"))?.user, null);
      const token = await ledger.claim("big", T, T + 2 ** 33);
      assert.ok(token);
      assert.equal((await ledger.get("big"))?.leaseUntil, T + 2 ** 33);
    });

    it("orders what is due by creation time, then by id byte for byte", async () => {
      const ledger = await open();
      for (const id of ["a", "_", "B", "-", "0"]) await ledger.create(intent(id), 20, T);
      await ledger.create(intent("first", { createdAt: T - 1 }), 20, T);
      assert.deepEqual(
        (await ledger.due(T + 600_000, 10)).map((i) => i.id),
        ["first", "-", "0", "B", "_", "a"],
      );
    });

    it("counts and inserts as one step across ledgers sharing one store", async () => {
      const place = backend.place();
      const ledgers = [await openIn(place), await openIn(place), await openIn(place)];
      const attempts = Array.from({ length: 60 }, (_, n) => {
        const user = n % 2 === 0 ? "alice" : "bob";
        const ledger = ledgers[n % ledgers.length] as Ledger;
        return ledger.create(intent(`i${n}`, { userId: user }), 5, T);
      });
      const created = await Promise.all(attempts);
      assert.equal(created.filter(Boolean).length, 10, "five each for alice and bob");
      assert.equal(await ledgers[1]?.countPending("alice", T), 5);
      assert.equal(await ledgers[2]?.countPending("bob", T), 5);
    });

    it("gives a claim to exactly one of many claimers across ledgers", async () => {
      const place = backend.place();
      const ledgers = [await openIn(place), await openIn(place), await openIn(place)];
      await ledgers[0]?.create(intent("a"), 20, T);
      const tokens = await Promise.all(
        Array.from({ length: 30 }, (_, n) =>
          (ledgers[n % ledgers.length] as Ledger).claim("a", T, T + 1000),
        ),
      );
      const won = tokens.filter((token) => token !== undefined);
      assert.equal(won.length, 1, JSON.stringify(tokens));
      const token = won[0] as string;
      // The claim is the store's, not one ledger object's: another ledger can end it.
      assert.equal(
        await ledgers[2]?.finish("a", token, { status: "complete", record: record("a") }, T),
        true,
      );
      assert.equal((await ledgers[1]?.get("a"))?.status, "complete");
    });

    it("opens a fresh store from several instances starting at once", async () => {
      const place = backend.place();
      const ledgers = await Promise.all([1, 2, 3, 4, 5].map(() => openIn(place)));
      assert.equal(await ledgers[0]?.create(intent("a"), 20, T), true);
      assert.equal((await ledgers[4]?.get("a"))?.status, "pending");
    });

    it("moves a claim's lease on only for its holder, and stops a holder whose claim was taken", async () => {
      const ledger = await open();
      await ledger.create(intent("a"), 20, T);
      const first = await ledger.claim("a", T, T + 1000);
      assert.ok(first);
      assert.equal(await ledger.renew("a", first, T + 5000), true);
      // Renewed: not taken over at the old lease's end.
      assert.equal(await ledger.claim("a", T + 1000, T + 6000), undefined);
      const second = await ledger.claim("a", T + 5000, T + 9000);
      assert.ok(second);
      assert.equal(await ledger.renew("a", first, T + 10_000), false);
      assert.equal((await ledger.get("a"))?.leaseUntil, T + 9000);
      await ledger.close();
    });

    it("writes a multipart intent `creating`, then `pending` with the store's upload id", async () => {
      const ledger = await open();
      const plan = { kind: "multipart", uploadId: "", partSize: 5, partCount: 2 } as const;
      assert.equal(
        await ledger.create(
          { ...intent("m", { plan }), status: "creating", sweepAt: T + 10 },
          1,
          T,
        ),
        true,
      );
      // It counts against the user's limit.
      assert.equal(await ledger.create(intent("x"), 1, T), false);
      assert.equal((await ledger.get("m"))?.status, "creating");
      assert.deepEqual((await ledger.get("m"))?.plan, plan);
      assert.deepEqual(
        (await ledger.due(T + 10, 10)).map((i) => i.id),
        ["m"],
      );
      // A claim on it (the sweeper's) that is released leaves it `creating`.
      const token = await ledger.claim("m", T + 10, T + 1000);
      assert.ok(token);
      assert.equal(await ledger.started("m", "store-id", T + 100, T + 200), false);
      await ledger.release("m", token);
      assert.equal((await ledger.get("m"))?.status, "creating");
      assert.equal(await ledger.started("m", "store-id", T + 100, T + 200), true);
      const started = await ledger.get("m");
      assert.equal(started?.status, "pending");
      assert.deepEqual(started?.plan, { ...plan, uploadId: "store-id" });
      assert.equal(started?.expiresAt, T + 100);
      assert.equal(started?.sweepAt, T + 200);
      assert.equal(await ledger.started("m", "again", T, T), false);
      await ledger.close();
    });

    it("commits the app's writes with the outcome, or neither", async () => {
      const place = backend.place();
      const ledger = await openIn(place);
      const photos = `photos_${Math.random().toString(36).slice(2, 10)}`;
      await place.exec(`CREATE TABLE ${photos} (upload_id TEXT PRIMARY KEY, size INTEGER)`);
      await ledger.create(intent("a"), 20, T);
      await ledger.create(intent("b"), 20, T);
      const insert = async (tx: LedgerTransaction, id: string) => {
        const p = tx.dialect === "postgres" ? ["$1", "$2"] : ["?", "?"];
        await tx.query(`INSERT INTO ${photos} (upload_id, size) VALUES (${p.join(", ")})`, [
          id,
          100,
        ]);
      };
      const a = await ledger.claim("a", T, T + 1000);
      assert.ok(a);
      const complete = { status: "complete", record: record("a") } as const;
      await assert.rejects(
        ledger.finish("a", a, complete, T, async (tx) => {
          await insert(tx, "a");
          throw new Error("the app changed its mind");
        }),
        /changed its mind/,
      );
      assert.equal((await ledger.get("a"))?.status, "completing");
      assert.deepEqual(await place.exec(`SELECT upload_id FROM ${photos}`), []);
      assert.equal(await ledger.finish("a", a, complete, T, (tx) => insert(tx, "a")), true);
      assert.equal((await ledger.get("a"))?.status, "complete");
      // A holder whose claim was taken: its writes never run.
      const b = await ledger.claim("b", T, T + 1000);
      const taken = await ledger.claim("b", T + 1000, T + 2000);
      assert.ok(b && taken);
      let ran = false;
      const stale = ledger.finish(
        "b",
        b,
        { status: "complete", record: record("b") },
        T,
        async () => {
          ran = true;
        },
      );
      assert.equal(await stale, false);
      assert.equal(ran, false);
      assert.deepEqual(
        (await place.exec(`SELECT upload_id FROM ${photos}`)).map((r) => r.upload_id),
        ["a"],
      );
      await ledger.close();
    });

    it("migrates a version-1 ledger, keeping its intents", async () => {
      const place = backend.place();
      const { integer, json, strict } = place.types;
      const legacy = backend.name === "SQLite" ? "intents" : place.table("sluice_intents");
      if (backend.name !== "SQLite") {
        await place.exec(`CREATE SCHEMA IF NOT EXISTS ${place.table("").slice(0, -1)}`);
        await place.exec(`CREATE TABLE ${place.table(SCHEMA_VERSION_TABLE)} (version integer NOT NULL);
          INSERT INTO ${place.table(SCHEMA_VERSION_TABLE)} VALUES (1)`);
      }
      await place.exec(`CREATE TABLE ${legacy} (id TEXT PRIMARY KEY, route TEXT NOT NULL,
        user_id TEXT NOT NULL, user_json ${json} NOT NULL, key TEXT NOT NULL, name TEXT NOT NULL,
        type TEXT NOT NULL, size ${integer} NOT NULL, sha256 TEXT, metadata ${json} NOT NULL,
        upload_id TEXT, part_size ${integer}, part_count ${integer},
        status TEXT NOT NULL CHECK (status IN
          ('pending', 'completing', 'complete', 'rejected', 'aborted', 'expired')),
        created_at ${integer} NOT NULL, expires_at ${integer} NOT NULL, sweep_at ${integer} NOT NULL,
        lease_until ${integer}, lease_token TEXT, completed_at ${integer}, record ${json},
        error TEXT, cleanup_at ${integer})${strict}`);
      await place.exec(`INSERT INTO ${legacy} (id, route, user_id, user_json, key, name, type,
          size, metadata, upload_id, part_size, part_count, status, created_at, expires_at, sweep_at)
        VALUES ('old', 'videos', 'alice', '{"id":"alice"}', 'videos/alice/old.mp4', 'a.mp4',
          'video/mp4', 12, '{}', 'up-1', 5, 3, 'pending', ${T}, ${T + 1}, ${T + 2})`);
      if (backend.name === "SQLite") await place.setSchemaVersion(1);
      const ledger = await openIn(place);
      const old = await ledger.get("old");
      assert.equal(old?.status, "pending");
      assert.deepEqual(old?.plan, {
        kind: "multipart",
        uploadId: "up-1",
        partSize: 5,
        partCount: 3,
      });
      assert.deepEqual(old?.user, { id: "alice" });
      assert.equal(old?.sweepAt, T + 2);
      const plan = { kind: "multipart", uploadId: "", partSize: 5, partCount: 2 } as const;
      assert.equal(
        await ledger.create({ ...intent("new", { plan }), status: "creating" }, 20, T),
        true,
      );
      assert.equal((await ledger.get("new"))?.status, "creating");
    });

    it("refuses a store whose schema is newer than this version knows", async () => {
      const place = backend.place();
      const first = await openIn(place);
      await first.create(intent("a"), 20, T);
      await first.close();
      await place.setSchemaVersion(99);
      await assert.rejects(openIn(place), /schema version 99; this @sluice\/server knows 2/);
    });
  });
}
