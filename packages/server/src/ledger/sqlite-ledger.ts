/**
 * The default ledger: one SQLite file (`<dataDir>/ledger.sqlite3`) through the runtime's
 * SQLite (`sqlite-connection.ts`: bun:sqlite, node:sqlite, else better-sqlite3), in WAL mode so several processes may share it. A transaction is `BEGIN IMMEDIATE`: it
 * takes the database's one write lock at once, so a count-and-insert is atomic across
 * processes (and no per-user lock is needed). A statement that finds the lock taken
 * (SQLITE_BUSY) is tried again after a pause, for up to 5 s: asynchronously, never with
 * SQLite's own `busy_timeout`, which would block this thread while the holder may be a
 * transaction of this very process waiting for its turn. Within one ledger, statements
 * queue behind an open transaction, since they share its one connection. The schema's version is SQLite's `user_version`.
 * https://www.sqlite.org/wal.html https://www.sqlite.org/lang_transaction.html
 */
import type { Dialect, LedgerTransaction, SqlExecutor, SqlValue } from "./dialect.js";
import type { Ledger } from "./ledger.js";
import { openSqlLedger } from "./sql-ledger.js";
import {
  defaultSqliteDriver,
  isBusy,
  openSqliteConnection,
  type SqliteConnection,
  type SqliteDriverName,
} from "./sqlite-connection.js";

export const LEDGER_FILE = "ledger.sqlite3";

export interface SqliteLedgerOptions {
  /** The folder for `ledger.sqlite3`, created if missing. */
  readonly dataDir: string;
  /** Default: the runtime's own (`defaultSqliteDriver`). */
  readonly driver?: SqliteDriverName;
}

export async function openSqliteLedger(options: SqliteLedgerOptions): Promise<Ledger> {
  const dialect = await sqliteDialect(options);
  return openSqlLedger(dialect).catch(async (error: unknown) => {
    await dialect.close();
    throw error;
  });
}

/** Opens `<dataDir>/ledger.sqlite3`, creating the folder if missing. */
export async function sqliteDialect(options: SqliteLedgerOptions): Promise<Dialect> {
  // Imported here, not at the top: a Worker (D1) never reaches the file system.
  const { mkdirSync } = await import("node:fs");
  const { join } = await import("node:path");
  mkdirSync(options.dataDir, { recursive: true });
  const driver = options.driver ?? (await defaultSqliteDriver());
  const db = await openSqliteConnection(join(options.dataDir, LEDGER_FILE), driver);
  try {
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec("PRAGMA busy_timeout = 0");
  } catch (error) {
    db.close();
    throw error;
  }
  return connectionDialect(db);
}

/** The dialect over an open connection, whichever driver opened it. */
export function connectionDialect(db: SqliteConnection): Dialect {
  // One connection: a statement must not land inside another caller's open transaction.
  let queue: Promise<unknown> = Promise.resolve();
  function exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = queue.then(work);
    queue = result.catch(() => {});
    return result;
  }

  const direct: SqlExecutor = {
    async all<Row>(sql: string, params: readonly SqlValue[] = []) {
      return whenFree(() => db.query<Row>(sql, params));
    },
    async run(sql: string, params: readonly SqlValue[] = []) {
      return whenFree(() => db.run(sql, params));
    },
  };
  const app: LedgerTransaction = {
    dialect: "sqlite",
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      return db.query<Row>(sql, params);
    },
  };

  async function inTransaction<T>(work: () => Promise<T>): Promise<T> {
    await whenFree(() => db.exec("BEGIN IMMEDIATE"));
    try {
      const result = await work();
      db.exec("COMMIT");
      return result;
    } catch (error) {
      // SQLite may have rolled back already (a failed COMMIT): then there is nothing to end.
      try {
        db.exec("ROLLBACK");
      } catch {}
      throw error;
    }
  }

  return {
    name: "sqlite",
    types: { integer: "INTEGER", json: "TEXT" },
    tableOptions: " STRICT",
    binaryCollation: "",
    table: (name) => name,
    intentsTableV1: "intents",
    all: (sql, params) => exclusive(() => direct.all(sql, params)),
    run: (sql, params) => exclusive(() => direct.run(sql, params)),
    transaction: (work) => exclusive(() => inTransaction(() => work(direct, app))),
    migrate: (version, script) =>
      exclusive(async () => {
        const read = () =>
          db.query<{ user_version: number }>("PRAGMA user_version", [])[0]?.user_version ?? 0;
        const check = (found: number) => {
          if (found > version) {
            throw new Error(
              `${LEDGER_FILE} has schema version ${found}; this @sluice/server knows ${version}`,
            );
          }
        };
        check(read());
        if (read() === version) return;
        await inTransaction(async () => {
          // Read again under the write lock: another process may have migrated meanwhile.
          const found = read();
          check(found);
          if (found === version) return;
          db.exec(script(found === 0 ? undefined : found));
          db.exec(`PRAGMA user_version = ${version}`);
        });
      }),
    async close() {
      await queue;
      db.close();
    },
  };
}

const BUSY_WAIT_MS = 5000;

/** Runs `statement`, again after a pause while another connection holds the write lock. */
async function whenFree<T>(statement: () => T): Promise<T> {
  const deadline = Date.now() + BUSY_WAIT_MS;
  for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
    try {
      return statement();
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}
