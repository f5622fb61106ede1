/**
 * The ledger in PostgreSQL, for app instances that share one (several behind a load
 * balancer, a cron job's `sluice sweep`), through node-postgres (`pg`). `pg` is imported
 * here, when a PostgreSQL ledger is opened, so an app on the SQLite ledger never loads it.
 *
 * The ledger itself is `sql-ledger.ts`; this is what PostgreSQL does its own way:
 *
 * - A transaction locked for a user first takes a per-user advisory lock, so two
 *   instances creating for one user are serialized; other users never wait.
 * - Times are epoch milliseconds in `bigint` columns (sizes too: objects pass 2 GiB),
 *   read back as numbers (exact below 2^53). The user, metadata and record are `json`,
 *   which keeps the text exactly as written (`jsonb` would reorder keys and refuse
 *   `\u0000`), read back as that text, as SQLite's TEXT is.
 * - Ids sort byte for byte with `COLLATE "C"`, as SQLite's BINARY collation does.
 * - Connections come from a pool (`maxConnections`); `pg` is an optional dependency.
 *   On Cloudflare Workers there is no pool: workerd lets no request use a socket another
 *   request opened (it cancels the request as hung), so each query or transaction there
 *   connects a client of its own and ends it before it returns, as Cloudflare says to use
 *   `pg` on Workers (with Hyperdrive, that connect is to its pool, near the Worker).
 *   https://developers.cloudflare.com/hyperdrive/examples/connect-to-postgres/postgres-drivers-and-libraries/node-postgres/
 *
 * The tables are `sluice_intents` and `sluice_ledger_schema` (the schema's version, as
 * SQLite's `user_version`), prefixed so they can live beside an app's own tables: in the
 * connection's current schema (its `search_path`, usually `public`; a URL can set it with
 * `?options=-c%20search_path%3Dsluice`), or in `schema`. They are created on first open,
 * in one transaction (DDL is transactional in PostgreSQL, so no half-made schema is ever
 * seen) under an advisory lock: `CREATE TABLE IF NOT EXISTS` alone is not safe when two
 * instances start together. An open that finds the current version runs no DDL at all,
 * so the app's role then needs no CREATE privilege.
 * https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS
 */
import { createHash } from "node:crypto";
import type { ClientBase, ClientConfig, PoolConfig, QueryResult } from "pg";
import { onWorkers } from "../runtime.js";
import { redactUrl } from "./database-url.js";
import {
  type Dialect,
  type LedgerTransaction,
  numberedPlaceholders,
  type SqlExecutor,
  type SqlValue,
} from "./dialect.js";
import type { Ledger } from "./ledger.js";
import { INTENTS_TABLE, openSqlLedger } from "./sql-ledger.js";

export const SCHEMA_VERSION_TABLE = "sluice_ledger_schema";

/**
 * The first key of every advisory lock the ledger takes ("SLU" and a letter), so they
 * cannot meet an app's own two-key locks unless it picks these numbers too. Single-key
 * (bigint) advisory locks are another key space altogether.
 */
const LOCK_SCHEMA = 0x534c_5553; // "SLUS"
const LOCK_USER = 0x534c_5555; // "SLUU"

/** How long a query waits for a connection (from the pool, or a new one) before failing. */
const CONNECT_TIMEOUT_MS = 10_000;

/** PostgreSQL type OIDs read back as the ledger wrote them. */
const INT8_OID = 20;
const JSON_OID = 114;

export interface PostgresLedgerOptions {
  /**
   * `postgres://user:password@host:5432/database`, as libpq reads it (query parameters
   * such as `sslmode` or `options` included). A unix socket: `?host=/run/postgresql`.
   */
  readonly connectionString: string;
  /** The schema for the ledger's tables, created if missing. Default: the connection's. */
  readonly schema?: string;
  /** Connections this instance keeps at most. Default 10. (Workers: one per operation.) */
  readonly maxConnections?: number;
  /**
   * A pooled connection that failed while idle (the server restarted, say). The pool
   * drops it and opens another when needed; this only hears of it. Default: logged.
   */
  readonly onError?: (error: unknown) => void;
}

/** Opens the ledger: connected, its tables in place. Rejects with why not. */
export async function openPostgresLedger(options: PostgresLedgerOptions): Promise<Ledger> {
  const dialect = await postgresDialect(options);
  try {
    return await openSqlLedger(dialect);
  } catch (error) {
    await dialect.close().catch(() => {});
    throw new Error(
      `cannot open the PostgreSQL ledger at ${redactUrl(options.connectionString)}: ${messageOf(error)}`,
      { cause: error },
    );
  }
}

/** `pg`, which only a PostgreSQL ledger needs: an optional dependency, loaded here. */
async function loadPg(): Promise<typeof import("pg").default> {
  try {
    return (await import("pg")).default;
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_MODULE_NOT_FOUND") {
      throw new Error(
        "the PostgreSQL ledger needs the `pg` package, which is not installed: npm install pg",
        { cause: error },
      );
    }
    throw error;
  }
}

export async function postgresDialect(options: PostgresLedgerOptions): Promise<Dialect> {
  const pg = await loadPg();
  const onError =
    options.onError ?? ((error: unknown) => console.error("sluice PostgreSQL ledger:", error));
  const types: PoolConfig["types"] = {
    getTypeParser: ((oid: number, format?: "text" | "binary") => {
      if (oid === INT8_OID) return (value: string) => Number(value);
      if (oid === JSON_OID) return (value: string) => value;
      return pg.types.getTypeParser(oid, format as "text");
    }) as never,
  };
  const config: ClientConfig = {
    connectionString: options.connectionString,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // What pg_stat_activity shows; an `application_name` in the URL wins.
    application_name: "sluice",
    types,
  };
  const connections = onWorkers()
    ? clientPerOperation(pg, config, onError)
    : pooled(pg, { ...config, max: options.maxConnections ?? 10 }, onError);

  const schema = options.schema === undefined ? undefined : quoteIdentifier(options.schema);
  const qualified = (name: string) => (schema ? `${schema}.${name}` : name);
  const versions = qualified(SCHEMA_VERSION_TABLE);
  // Ledgers in different schemas of one database lock apart.
  const scope = options.schema ?? "";

  const executor = (query: Query): SqlExecutor => ({
    async all<Row>(sql: string, params: readonly SqlValue[] = []) {
      return (await query(numberedPlaceholders(sql), [...params])).rows as Row[];
    },
    async run(sql: string, params: readonly SqlValue[] = []) {
      return (await query(numberedPlaceholders(sql), [...params])).rowCount ?? 0;
    },
  });
  const direct = executor(connections.query);

  async function transaction<T>(
    work: (client: ClientBase) => Promise<T>,
    lock?: { readonly space: number; readonly key: string },
  ): Promise<T> {
    const { client, release } = await connections.connect();
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      // Held until COMMIT or ROLLBACK: what this transaction wrote is visible to the next
      // holder before the lock is let go.
      if (lock) {
        await client.query("SELECT pg_advisory_xact_lock($1, $2)", [
          lock.space,
          lockKey(scope, lock.key),
        ]);
      }
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      try {
        await client.query("ROLLBACK");
      } catch (rollback) {
        // The connection itself failed: the pool must not hand it out again.
        broken = rollback instanceof Error ? rollback : new Error(String(rollback));
      }
      throw error;
    } finally {
      await release(broken);
    }
  }

  async function schemaVersion(client: ClientBase): Promise<number | undefined> {
    // to_regclass: NULL, not an error, for a table (or schema) that is not there.
    // https://www.postgresql.org/docs/current/functions-info.html
    const { rows } = await client.query<{ present: boolean }>(
      "SELECT to_regclass($1) IS NOT NULL AS present",
      [versions],
    );
    if (!rows[0]?.present) return undefined;
    const found = await client.query<{ version: number | null }>(
      `SELECT max(version) AS version FROM ${versions}`,
    );
    return found.rows[0]?.version ?? undefined;
  }

  return {
    name: "postgres",
    types: { integer: "bigint", json: "json" },
    tableOptions: "",
    binaryCollation: ' COLLATE "C"',
    table: qualified,
    intentsTableV1: qualified(INTENTS_TABLE),
    all: direct.all,
    run: direct.run,
    transaction: (work, lock) =>
      transaction(
        (client) => {
          const app: LedgerTransaction = {
            dialect: "postgres",
            async query<Row>(sql: string, params: readonly unknown[] = []) {
              return (await client.query(sql, [...params])).rows as Row[];
            },
          };
          return work(
            executor((sql, params) => client.query(sql, params)),
            app,
          );
        },
        lock === undefined ? undefined : { space: LOCK_USER, key: lock },
      ),
    async migrate(version, script) {
      const check = (found: number | undefined) => {
        if (found !== undefined && found > version) {
          throw new Error(
            `${qualified(INTENTS_TABLE)} has schema version ${found}; this @sluice/server knows ${version}`,
          );
        }
      };
      // An open that finds the current version runs no DDL, and needs no CREATE privilege.
      const { client, release } = await connections.connect();
      try {
        const found = await schemaVersion(client);
        if (found === version) return;
        check(found);
      } finally {
        await release();
      }
      await transaction(
        async (locked) => {
          // Another instance may have migrated while this one waited for the lock.
          const found = await schemaVersion(locked);
          check(found);
          if (found === version) return;
          if (schema) await locked.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
          await locked.query(`CREATE TABLE IF NOT EXISTS ${versions} (version integer NOT NULL)`);
          await locked.query(script(found));
          await locked.query(`DELETE FROM ${versions}`);
          await locked.query(`INSERT INTO ${versions} (version) VALUES ($1)`, [version]);
        },
        { space: LOCK_SCHEMA, key: "" },
      );
    },
    close: () => connections.end(),
  };
}

type Pg = typeof import("pg").default;
type Query = (sql: string, params: unknown[]) => Promise<QueryResult>;

/** Where the ledger's connections come from. */
interface Connections {
  /** One query, on whatever connection is free. */
  readonly query: Query;
  /** A connection of the caller's own, until `release` (`broken`: never use it again). */
  connect(): Promise<{ client: ClientBase; release(broken?: Error): Promise<void> }>;
  /** No more connections; a second call does nothing. */
  end(): Promise<void>;
}

/** A pool, its idle connections kept between operations. */
function pooled(pg: Pg, config: PoolConfig, onError: (error: unknown) => void): Connections {
  const pool = new pg.Pool(config);
  // Without a listener, an idle connection's error would end the process.
  pool.on("error", onError);
  return {
    query: (sql, params) => pool.query(sql, params),
    async connect() {
      const client = await pool.connect();
      return { client, release: async (broken) => client.release(broken) };
    },
    async end() {
      // end() may be called once; a second close() is a no-op, as SQLite's is.
      if (!pool.ending) await pool.end();
    },
  };
}

/**
 * A client per query or transaction, connected in it and ended before it returns, so no
 * socket outlives the request that opened it: what Workers needs (see the top).
 */
function clientPerOperation(
  pg: Pg,
  config: ClientConfig,
  onError: (error: unknown) => void,
): Connections {
  let ended = false;
  async function connect() {
    if (ended) throw new Error("the PostgreSQL ledger is closed");
    const client = new pg.Client(config);
    // A connection that fails between queries; the query in progress rejects on its own.
    client.on("error", onError);
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    return {
      client,
      // A client that cannot end cleanly is dropped all the same: nothing reuses it.
      release: () => client.end().catch(() => {}),
    };
  }
  return {
    async query(sql, params) {
      const { client, release } = await connect();
      try {
        return await client.query(sql, params);
      } finally {
        await release();
      }
    },
    connect,
    async end() {
      ended = true;
    },
  };
}

/** The second advisory-lock key: 32 bits of a hash of the ledger's schema and the key. */
function lockKey(scope: string, key: string): number {
  return createHash("sha256").update(scope).update("\0").update(key).digest().readInt32BE(0);
}

/** A double-quoted identifier: any schema name, never SQL. */
function quoteIdentifier(name: string): string {
  if (name === "" || name.includes("\0"))
    throw new Error(`not a schema name: ${JSON.stringify(name)}`);
  return `"${name.replaceAll('"', '""')}"`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
