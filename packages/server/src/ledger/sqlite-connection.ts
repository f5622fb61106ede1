/**
 * The little of a SQLite connection the ledger uses, as each runtime's built-in or
 * installed driver offers it: better-sqlite3 on Node 20, `node:sqlite` on Node 22.5+ and
 * Deno, `bun:sqlite` on Bun. Each driver is a small file loaded with a dynamic import, so
 * a runtime never loads another's module (Bun cannot load better-sqlite3's addon; Node 20
 * has no `node:sqlite`), and an app on PostgreSQL or D1 loads none of them.
 *
 * All three answer synchronously; the dialect (`sqlite-ledger.ts`) queues and retries.
 */

/** A value a statement takes; integers come back as numbers. */
export type SqliteValue = string | number | null;

export interface SqliteConnection {
  /** Which driver this is, for messages and the bench. */
  readonly driver: SqliteDriverName;
  /** Runs one or more statements with no parameters. */
  exec(sql: string): void;
  /** The rows of a statement (none for one that returns none), which it runs. */
  query<Row>(sql: string, params: readonly unknown[]): Row[];
  /** Runs a statement; the number of rows it changed. */
  run(sql: string, params: readonly SqliteValue[]): number;
  close(): void;
}

export type SqliteDriverName = "better-sqlite3" | "node:sqlite" | "bun:sqlite";

/**
 * The runtime's own SQLite where it has one: `bun:sqlite` on Bun, `node:sqlite` on Deno
 * and on Node 22.5+ where it loads without a flag (22.13+, 23.4+); better-sqlite3 elsewhere.
 */
export async function defaultSqliteDriver(): Promise<SqliteDriverName> {
  if ("Bun" in globalThis) return "bun:sqlite";
  if (await loads("node:sqlite")) return "node:sqlite";
  return "better-sqlite3";
}

/** Opens (creating it if missing) the database file at `path` through `driver`. */
export async function openSqliteConnection(
  path: string,
  driver: SqliteDriverName,
): Promise<SqliteConnection> {
  switch (driver) {
    case "better-sqlite3":
      return (await import("./better-sqlite3-driver.js")).openBetterSqlite3(path);
    case "node:sqlite":
      return (await import("./node-sqlite-driver.js")).openNodeSqlite(path);
    case "bun:sqlite":
      return (await import("./bun-sqlite-driver.js")).openBunSqlite(path);
  }
}

/**
 * `prepare`, once per SQL text: the ledger sends the same dozen statements over and over,
 * and better-sqlite3 and `node:sqlite` (unlike `bun:sqlite`'s `query()`) cache nothing.
 */
export function preparedOnce<Statement>(
  prepare: (sql: string) => Statement,
): (sql: string) => Statement {
  const statements = new Map<string, Statement>();
  return (sql) => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
}

/** SQLITE_BUSY, however the driver spells it (a code, or the result code's number). */
export function isBusy(error: unknown): boolean {
  const { code, errcode, errno } = (error ?? {}) as {
    code?: unknown;
    errcode?: unknown;
    errno?: unknown;
  };
  if (typeof code === "string" && code.startsWith("SQLITE_BUSY")) return true;
  // Extended result codes keep the primary code in the low byte: SQLITE_BUSY is 5.
  // https://www.sqlite.org/rescode.html
  const number = typeof errcode === "number" ? errcode : errno;
  return typeof number === "number" && (number & 0xff) === 5;
}

/**
 * A module's namespace, imported by a name bundlers do not follow: wrangler or Next.js
 * must not try to bundle a driver the runtime provides (or a Worker cannot have).
 */
export async function importRuntimeModule<T>(name: string): Promise<T> {
  return (await import(/* webpackIgnore: true */ /* @vite-ignore */ name)) as T;
}

async function loads(name: string): Promise<boolean> {
  try {
    await importRuntimeModule(name);
    return true;
  } catch {
    return false;
  }
}
