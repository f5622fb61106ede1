/**
 * The default ledger: one SQLite file (`<dataDir>/ledger.sqlite3`) through better-sqlite3,
 * in WAL mode so several processes may share it. A transaction is `BEGIN IMMEDIATE`: it
 * takes the database's one write lock at once, so a count-and-insert is atomic across
 * processes (and no per-user lock is needed). A statement that finds the lock taken
 * (SQLITE_BUSY) is tried again after a pause, for up to 5 s: asynchronously, never with
 * SQLite's own `busy_timeout`, which would block this thread while the holder may be a
 * transaction of this very process waiting for its turn. Within one ledger, statements
 * queue behind an open transaction, since they share its one connection. The schema's version is SQLite's `user_version`.
 * https://www.sqlite.org/wal.html https://www.sqlite.org/lang_transaction.html
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { Dialect, LedgerTransaction, SqlExecutor, SqlValue } from "./dialect.js";
import type { Ledger } from "./ledger.js";
import { openSqlLedger } from "./sql-ledger.js";

export const LEDGER_FILE = "ledger.sqlite3";

export interface SqliteLedgerOptions {
  /** The folder for `ledger.sqlite3`, created if missing. */
  readonly dataDir: string;
}

export async function openSqliteLedger(options: SqliteLedgerOptions): Promise<Ledger> {
  const dialect = sqliteDialect(options);
  return openSqlLedger(dialect).catch(async (error: unknown) => {
    await dialect.close();
    throw error;
  });
}

export function sqliteDialect(options: SqliteLedgerOptions): Dialect {
  mkdirSync(options.dataDir, { recursive: true });
  const db = new Database(join(options.dataDir, LEDGER_FILE));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 0");

  // One connection: a statement must not land inside another caller's open transaction.
  let queue: Promise<unknown> = Promise.resolve();
  function exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = queue.then(work);
    queue = result.catch(() => {});
    return result;
  }

  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  const direct: SqlExecutor = {
    async all<Row>(sql: string, params: readonly SqlValue[] = []) {
      return whenFree(() => prepare(sql).all(...params) as Row[]);
    },
    async run(sql: string, params: readonly SqlValue[] = []) {
      return whenFree(() => prepare(sql).run(...params).changes);
    },
  };
  const app: LedgerTransaction = {
    dialect: "sqlite",
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      const statement = db.prepare(sql);
      if (statement.reader) return statement.all(...params) as Row[];
      statement.run(...params);
      return [];
    },
  };

  async function inTransaction<T>(work: () => Promise<T>): Promise<T> {
    await whenFree(() => db.exec("BEGIN IMMEDIATE"));
    try {
      const result = await work();
      db.exec("COMMIT");
      return result;
    } catch (error) {
      if (db.inTransaction) db.exec("ROLLBACK");
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
        const read = () => db.pragma("user_version", { simple: true }) as number;
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
          db.pragma(`user_version = ${version}`);
        });
      }),
    async close() {
      await queue;
      if (db.open) db.close();
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
      const code = (error as { code?: string }).code;
      if (!code?.startsWith("SQLITE_BUSY") || Date.now() >= deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}
