import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { NewIntent } from "./ledger.js";
import type { FileRecord } from "./protocol.js";
import { openSqliteLedger } from "./sqlite-ledger.js";

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

const dataDir = () => mkdtempSync(join(tmpdir(), "sluice-ledger-"));

describe("SQLite ledger", () => {
  it("stores an intent and reads it back as it was", async () => {
    const ledger = openSqliteLedger({ dataDir: dataDir() });
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
    const ledger = openSqliteLedger({ dataDir: dataDir() });
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
    const ledger = openSqliteLedger({ dataDir: dataDir() });
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
    const ledger = openSqliteLedger({ dataDir: dataDir() });
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
    const ledger = openSqliteLedger({ dataDir: dataDir() });
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
    const ledger = openSqliteLedger({ dataDir: dataDir() });
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
    const dir = dataDir();
    const first = openSqliteLedger({ dataDir: dir });
    await first.create(intent("a"), 20, T);
    await first.close();
    const second = openSqliteLedger({ dataDir: dir });
    assert.equal((await second.get("a"))?.status, "pending");
    await second.close();
  });
});
