/**
 * The ledger in Cloudflare D1, for an upload API running as a Worker next to its R2
 * bucket. The binding (`env.DB`) is passed in: nothing is opened at import, and nothing
 * here touches a file, a socket or a timer, so one ledger may serve every request of an
 * isolate (a D1 binding is not one request's I/O object).
 *
 * D1 is SQLite, reached over the binding's async API, so this dialect is SQLite's
 * (`sqlite-ledger.ts`) with three differences:
 *
 * - D1 has no interactive transactions: a `batch()` of statements is atomic, but the
 *   ledger cannot read in the middle of one. A transaction here runs its statements one
 *   after another, serialized with the isolate's other transactions under the same lock;
 *   every ledger write is one conditional UPDATE or INSERT and so atomic on its own, but
 *   `maxPending` is checked, not locked, across isolates (two creates of one user in two
 *   isolates at the same instant may both pass), and an app's own writes in `finish`'s
 *   transaction are not undone with the ledger's. Use the upload id as the hook's
 *   idempotency key on D1.
 * - The schema's version lives in `sluice_ledger_schema`, as in PostgreSQL (D1 does not
 *   let a Worker set `PRAGMA user_version`), and a migration is one `batch()`.
 * - Rows come back as `{ results, meta: { changes } }`.
 * https://developers.cloudflare.com/d1/worker-api/d1-database/
 */
import type { Dialect, LedgerTransaction, SqlExecutor, SqlValue } from "./dialect.js";
import type { Ledger } from "./ledger.js";
import { INTENTS_TABLE, openSqlLedger } from "./sql-ledger.js";

/** The part of a D1 binding the ledger uses (`D1Database` in @cloudflare/workers-types). */
export interface D1Binding {
  prepare(sql: string): D1Statement;
  batch(statements: D1Statement[]): Promise<unknown[]>;
}
export interface D1Statement {
  bind(...values: unknown[]): D1Statement;
  all<Row = unknown>(): Promise<{ results: Row[]; meta: { changes?: number } }>;
  run(): Promise<{ meta: { changes?: number } }>;
}

export interface D1LedgerOptions {
  /** The D1 binding, e.g. `env.DB` with `[[d1_databases]] binding = "DB"` in wrangler.toml. */
  readonly database: D1Binding;
}

export const D1_SCHEMA_TABLE = "sluice_ledger_schema";

/**
 * The ledger on a D1 binding, at once: its tables are made (or found) on first use, and
 * again on the next use after a first use that failed. What a Worker creates its upload
 * handler with, in `fetch`, where `env.DB` is at hand.
 */
export function openD1Ledger(options: D1LedgerOptions): Ledger {
  let opening: Promise<Ledger> | undefined;
  const open = () => {
    opening ??= openSqlLedger(d1Dialect(options.database)).catch((error: unknown) => {
      opening = undefined;
      throw error;
    });
    return opening;
  };
  // Every method waits for the open, then forwards: whatever the Ledger interface holds.
  return new Proxy({} as Ledger, {
    get(_target, name) {
      if (name === "then") return undefined;
      if (name === "close") return async () => {};
      return async (...args: unknown[]) => {
        const ledger = (await open()) as unknown as Record<string | symbol, unknown>;
        return (ledger[name] as (...args: unknown[]) => unknown)(...args);
      };
    },
  });
}

export function d1Dialect(db: D1Binding): Dialect {
  const direct: SqlExecutor = {
    async all<Row>(sql: string, params: readonly SqlValue[] = []) {
      return (
        await db
          .prepare(sql)
          .bind(...params)
          .all<Row>()
      ).results;
    },
    async run(sql: string, params: readonly SqlValue[] = []) {
      return (
        (
          await db
            .prepare(sql)
            .bind(...params)
            .run()
        ).meta.changes ?? 0
      );
    },
  };
  const app: LedgerTransaction = {
    dialect: "sqlite",
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      return (
        await db
          .prepare(sql)
          .bind(...params)
          .all<Row>()
      ).results;
    },
  };

  // Transactions under one lock, one after another within this isolate.
  const queues = new Map<string, Promise<unknown>>();
  function serialized<T>(lock: string, work: () => Promise<T>): Promise<T> {
    const result = (queues.get(lock) ?? Promise.resolve()).then(work);
    const tail = result.catch(() => {});
    queues.set(lock, tail);
    tail.then(() => {
      if (queues.get(lock) === tail) queues.delete(lock);
    });
    return result;
  }

  async function schemaVersion(): Promise<number | undefined> {
    const tables = await direct.all<{ n: number }>(
      "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?",
      [D1_SCHEMA_TABLE],
    );
    if (Number(tables[0]?.n ?? 0) === 0) return undefined;
    const rows = await direct.all<{ version: number | null }>(
      `SELECT max(version) AS version FROM ${D1_SCHEMA_TABLE}`,
    );
    return rows[0]?.version ?? undefined;
  }

  return {
    name: "sqlite",
    types: { integer: "INTEGER", json: "TEXT" },
    tableOptions: " STRICT",
    binaryCollation: "",
    table: (name) => name,
    // D1 ledgers began at schema version 2: there is no version 1 table to move.
    intentsTableV1: INTENTS_TABLE,
    all: direct.all,
    run: direct.run,
    transaction: (work, lock) => serialized(lock ?? "", () => work(direct, app)),
    async migrate(version, script) {
      const check = (found: number | undefined) => {
        if (found !== undefined && found > version) {
          throw new Error(
            `the D1 ledger has schema version ${found}; this @sluice/server knows ${version}`,
          );
        }
      };
      const found = await schemaVersion();
      check(found);
      if (found === version) return;
      const statements = [
        `CREATE TABLE IF NOT EXISTS ${D1_SCHEMA_TABLE} (version INTEGER NOT NULL)`,
        ...splitStatements(script(found)),
        `DELETE FROM ${D1_SCHEMA_TABLE}`,
        `INSERT INTO ${D1_SCHEMA_TABLE} (version) VALUES (${version})`,
      ];
      try {
        await db.batch(statements.map((sql) => db.prepare(sql)));
      } catch (error) {
        // Another isolate may have migrated first: its batch won, and this one changed nothing.
        if ((await schemaVersion()) === version) return;
        throw error;
      }
    },
    async close() {},
  };
}

/** A script's statements: the ledger's DDL holds no `;` inside a statement. */
function splitStatements(script: string): string[] {
  return script
    .split(";")
    .map((statement) => statement.trim())
    .filter((statement) => statement !== "");
}
