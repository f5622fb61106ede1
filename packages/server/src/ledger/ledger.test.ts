/**
 * The ledger's promises, one suite run against every backend (SQLite, PostgreSQL), as
 * tus-node-server runs one suite against every store: whatever an app chooses, the same
 * assertions hold. PostgreSQL comes from `../test/postgres.ts` (DATABASE_URL, or a
 * throw-away cluster).
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import { postgresForTests } from "../../test/postgres.js";
import type { FileRecord } from "../protocol.js";
import type { Ledger, NewIntent } from "./ledger.js";
import { openPostgresLedger, SCHEMA_VERSION_TABLE } from "./postgres-ledger.js";
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
}

interface Backend {
  readonly name: string;
  readonly skip: string | undefined;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  place(): Place;
}

const sqlite: Backend = {
  name: "SQLite",
  skip: undefined,
  async setUp() {},
  async tearDown() {},
  place() {
    const dataDir = mkdtempSync(join(tmpdir(), "sluice-ledger-"));
    return {
      open: async () => openSqliteLedger({ dataDir }),
      async setSchemaVersion(version) {
        const db = new Database(join(dataDir, LEDGER_FILE));
        db.pragma(`user_version = ${version}`);
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
      async setSchemaVersion(version) {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query(`UPDATE ${schema}.${SCHEMA_VERSION_TABLE} SET version = $1`, [version]);
        await client.end();
      },
    };
  },
};

for (const backend of [sqlite, postgresql]) {
  describe(`${backend.name} ledger`, { skip: backend.skip }, () => {
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

    it("refuses a store whose schema is newer than this version knows", async () => {
      const place = backend.place();
      const first = await openIn(place);
      await first.create(intent("a"), 20, T);
      await first.close();
      await place.setSchemaVersion(99);
      await assert.rejects(openIn(place), /schema version 99; this @sluice\/server knows 1/);
    });
  });
}
