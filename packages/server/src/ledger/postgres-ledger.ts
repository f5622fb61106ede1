/**
 * The ledger in PostgreSQL, for app instances that share one (several behind a load
 * balancer, a cron job's `sluice sweep`), through node-postgres (`pg`). `pg` is imported
 * here, when a PostgreSQL ledger is opened, so an app on the SQLite ledger never loads it.
 *
 * The same semantics as the SQLite ledger (`sqlite-ledger.ts`), statement for statement:
 *
 * - `create` counts the user's unfinished intents and inserts the new one in a
 *   transaction that first takes a per-user advisory lock, so two instances creating for
 *   one user are serialized and `maxPending` holds across them; other users never wait.
 * - `claim`, `saveRecord`, `finish` and `release` are each one conditional UPDATE,
 *   decided by its row count. Under READ COMMITTED a second UPDATE of a row that another
 *   transaction is updating waits for it, then re-checks its WHERE clause against the
 *   row as that transaction left it: of two concurrent claims exactly one matches.
 *   https://www.postgresql.org/docs/current/transaction-iso.html#XACT-READ-COMMITTED
 * - Times are epoch milliseconds in `bigint` columns (sizes too: objects pass 2 GiB);
 *   `pg` hands `bigint` back as a string, read back with `Number` (exact below 2^53).
 * - The user, metadata and record are `json`, which keeps the text exactly as written
 *   (`jsonb` would reorder keys and refuse `\u0000`), as SQLite's TEXT does.
 * - `due` orders by id byte for byte (`COLLATE "C"`), as SQLite's BINARY collation does,
 *   whatever the database's default collation.
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
import { createHash, randomBytes } from "node:crypto";
import type { Pool, PoolClient } from "pg";
import { redactUrl } from "./database-url.js";
import type { Intent, IntentPlan, IntentStatus, Ledger, Outcome } from "./ledger.js";
import type { FileRecord } from "../protocol.js";

export const POSTGRES_SCHEMA_VERSION = 1;
export const INTENTS_TABLE = "sluice_intents";
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

export interface PostgresLedgerOptions {
  /**
   * `postgres://user:password@host:5432/database`, as libpq reads it (query parameters
   * such as `sslmode` or `options` included). A unix socket: `?host=/run/postgresql`.
   */
  readonly connectionString: string;
  /** The schema for the ledger's tables, created if missing. Default: the connection's. */
  readonly schema?: string;
  /** Connections this instance keeps at most. Default 10. */
  readonly maxConnections?: number;
  /**
   * A pooled connection that failed while idle (the server restarted, say). The pool
   * drops it and opens another when needed; this only hears of it. Default: logged.
   */
  readonly onError?: (error: unknown) => void;
}

interface Row {
  id: string;
  route: string;
  user_id: string;
  /** `json` columns arrive parsed. */
  user_json: unknown;
  key: string;
  name: string;
  type: string;
  size: string;
  sha256: string | null;
  metadata: Record<string, string>;
  upload_id: string | null;
  part_size: string | null;
  part_count: number | null;
  status: IntentStatus;
  created_at: string;
  expires_at: string;
  sweep_at: string;
  lease_until: string | null;
  completed_at: string | null;
  record: FileRecord | null;
  error: string | null;
  cleanup_at: string | null;
}

/** Opens the ledger: connected, its tables in place. Rejects with why not. */
export async function openPostgresLedger(options: PostgresLedgerOptions): Promise<Ledger> {
  const { default: pg } = await import("pg");
  const onError =
    options.onError ?? ((error: unknown) => console.error("sluice PostgreSQL ledger:", error));
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // What pg_stat_activity shows; an `application_name` in the URL wins.
    application_name: "sluice",
  });
  // Without a listener, an idle connection's error would end the process.
  pool.on("error", onError);

  const schema = options.schema === undefined ? undefined : quoteIdentifier(options.schema);
  const qualified = (name: string) => (schema ? `${schema}.${name}` : name);
  const intents = qualified(INTENTS_TABLE);
  const versions = qualified(SCHEMA_VERSION_TABLE);
  // Ledgers in different schemas of one database lock apart.
  const scope = options.schema ?? "";

  try {
    await migrate(pool, { schema, intents, versions, scope });
  } catch (error) {
    await pool.end().catch(() => {});
    throw new Error(
      `cannot open the PostgreSQL ledger at ${redactUrl(options.connectionString)}: ${messageOf(error)}`,
      { cause: error },
    );
  }

  const columns = `id, route, user_id, user_json, key, name, type, size, sha256, metadata,
    upload_id, part_size, part_count, status, created_at, expires_at, sweep_at, lease_until,
    completed_at, record, error, cleanup_at`;
  const unfinished = `SELECT count(*) AS n FROM ${intents}
    WHERE user_id = $1 AND status IN ('pending', 'completing') AND expires_at > $2`;

  async function run(text: string, values: unknown[]): Promise<number> {
    return (await pool.query(text, values)).rowCount ?? 0;
  }

  return {
    async create(intent, maxPending, now) {
      return transaction(pool, async (client) => {
        // Held until COMMIT or ROLLBACK; the insert is committed, and so visible to the
        // next holder's count, before the lock is let go.
        await client.query("SELECT pg_advisory_xact_lock($1, $2)", [
          LOCK_USER,
          lockKey(scope, intent.userId),
        ]);
        const { rows } = await client.query<{ n: string }>(unfinished, [intent.userId, now]);
        if (Number(rows[0]?.n ?? 0) >= maxPending) return false;
        const multipart = intent.plan.kind === "multipart" ? intent.plan : undefined;
        await client.query(
          `INSERT INTO ${intents} (id, route, user_id, user_json, key, name, type, size,
              sha256, metadata, upload_id, part_size, part_count, status, created_at,
              expires_at, sweep_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'pending', $14,
              $15, $16)`,
          [
            intent.id,
            intent.route,
            intent.userId,
            JSON.stringify(intent.user) ?? "null",
            intent.key,
            intent.name,
            intent.type,
            intent.size,
            intent.sha256 ?? null,
            JSON.stringify(intent.metadata),
            multipart?.uploadId ?? null,
            multipart?.partSize ?? null,
            multipart?.partCount ?? null,
            intent.createdAt,
            intent.expiresAt,
            intent.sweepAt,
          ],
        );
        return true;
      });
    },
    async get(id) {
      const { rows } = await pool.query<Row>(`SELECT ${columns} FROM ${intents} WHERE id = $1`, [
        id,
      ]);
      return rows[0] && fromRow(rows[0]);
    },
    async countPending(userId, now) {
      const { rows } = await pool.query<{ n: string }>(unfinished, [userId, now]);
      return Number(rows[0]?.n ?? 0);
    },
    async claim(id, now, leaseUntil) {
      const token = randomBytes(12).toString("base64url");
      const changed = await run(
        `UPDATE ${intents} SET status = 'completing', lease_until = $2, lease_token = $3
          WHERE id = $1 AND (status = 'pending' OR (status = 'completing' AND lease_until <= $4))`,
        [id, leaseUntil, token, now],
      );
      return changed === 1 ? token : undefined;
    },
    async saveRecord(id, token, record) {
      const changed = await run(
        `UPDATE ${intents} SET record = $3
          WHERE id = $1 AND status = 'completing' AND lease_token = $2`,
        [id, token, JSON.stringify(record)],
      );
      return changed === 1;
    },
    async finish(id, token, outcome: Outcome, now) {
      const changed = await run(
        `UPDATE ${intents} SET status = $3, record = $4, error = $5, completed_at = $6,
            cleanup_at = $7, lease_until = NULL, lease_token = NULL
          WHERE id = $1 AND status = 'completing' AND lease_token = $2`,
        [
          id,
          token,
          outcome.status,
          outcome.status === "complete" ? JSON.stringify(outcome.record) : null,
          outcome.status === "complete" ? null : outcome.error,
          now,
          outcome.status === "complete" ? null : (outcome.cleanupAt ?? null),
        ],
      );
      return changed === 1;
    },
    async release(id, token) {
      await run(
        `UPDATE ${intents} SET status = 'pending', lease_until = NULL, lease_token = NULL
          WHERE id = $1 AND status = 'completing' AND lease_token = $2`,
        [id, token],
      );
    },
    async extend(id, expiresAt, sweepAt) {
      await run(
        `UPDATE ${intents} SET expires_at = $2, sweep_at = $3 WHERE id = $1 AND status = 'pending'`,
        [id, expiresAt, sweepAt],
      );
    },
    async due(now, limit) {
      const { rows } = await pool.query<Row>(
        `SELECT ${columns} FROM (
            SELECT * FROM ${intents} WHERE status = 'pending' AND sweep_at <= $1
            UNION ALL
            SELECT * FROM ${intents} WHERE status = 'completing' AND lease_until <= $1
            UNION ALL
            SELECT * FROM ${intents} WHERE cleanup_at IS NOT NULL AND cleanup_at <= $1
          ) AS due ORDER BY created_at, id COLLATE "C" LIMIT $2`,
        [now, limit],
      );
      return rows.map(fromRow);
    },
    async cleaned(id) {
      await run(`UPDATE ${intents} SET cleanup_at = NULL WHERE id = $1`, [id]);
    },
    async close() {
      // end() may be called once; a second close() is a no-op, as SQLite's is.
      if (!pool.ending) await pool.end();
    },
  };
}

interface Names {
  /** Quoted, or none: the connection's current schema. */
  readonly schema: string | undefined;
  readonly intents: string;
  readonly versions: string;
  readonly scope: string;
}

function schemaSql({ intents }: Names): string {
  const index = (name: string) => `sluice_intents_${name}`;
  return `
CREATE TABLE IF NOT EXISTS ${intents} (
  id           text PRIMARY KEY,
  route        text NOT NULL,
  user_id      text NOT NULL,
  user_json    json NOT NULL,
  key          text NOT NULL,
  name         text NOT NULL,
  type         text NOT NULL,
  size         bigint NOT NULL,
  sha256       text,
  metadata     json NOT NULL,
  upload_id    text,
  part_size    bigint,
  part_count   integer,
  status       text NOT NULL CHECK (status IN
                 ('pending', 'completing', 'complete', 'rejected', 'aborted', 'expired')),
  created_at   bigint NOT NULL,
  expires_at   bigint NOT NULL,
  sweep_at     bigint NOT NULL,
  lease_until  bigint,
  lease_token  text,
  completed_at bigint,
  record       json,
  error        text,
  cleanup_at   bigint
);
CREATE INDEX IF NOT EXISTS ${index("unfinished_by_user")}
  ON ${intents} (user_id, expires_at) WHERE status IN ('pending', 'completing');
CREATE INDEX IF NOT EXISTS ${index("pending_due")}
  ON ${intents} (sweep_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS ${index("lease_due")}
  ON ${intents} (lease_until) WHERE status = 'completing';
CREATE INDEX IF NOT EXISTS ${index("cleanup_due")}
  ON ${intents} (cleanup_at) WHERE cleanup_at IS NOT NULL;
`;
}

async function migrate(pool: Pool, names: Names): Promise<void> {
  const client = await pool.connect();
  try {
    const found = await schemaVersion(client, names);
    if (found === POSTGRES_SCHEMA_VERSION) return;
    checkNotNewer(found, names);
    await client.query("BEGIN");
    try {
      await client.query("SELECT pg_advisory_xact_lock($1, $2)", [
        LOCK_SCHEMA,
        lockKey(names.scope, ""),
      ]);
      // Another instance may have made it while this one waited for the lock.
      const locked = await schemaVersion(client, names);
      checkNotNewer(locked, names);
      if (locked !== POSTGRES_SCHEMA_VERSION) {
        if (names.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${names.schema}`);
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${names.versions} (version integer NOT NULL)`,
        );
        await client.query(schemaSql(names));
        await client.query(`DELETE FROM ${names.versions}`);
        await client.query(`INSERT INTO ${names.versions} (version) VALUES ($1)`, [
          POSTGRES_SCHEMA_VERSION,
        ]);
      }
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    }
  } finally {
    client.release();
  }
}

/** The version the database holds; `undefined` before the first open. */
async function schemaVersion(client: PoolClient, names: Names): Promise<number | undefined> {
  // to_regclass: NULL, not an error, for a table (or schema) that is not there.
  // https://www.postgresql.org/docs/current/functions-info.html
  const { rows } = await client.query<{ present: boolean }>(
    "SELECT to_regclass($1) IS NOT NULL AS present",
    [names.versions],
  );
  if (!rows[0]?.present) return undefined;
  const versions = await client.query<{ version: number }>(
    `SELECT max(version) AS version FROM ${names.versions}`,
  );
  return versions.rows[0]?.version ?? undefined;
}

function checkNotNewer(version: number | undefined, names: Names): void {
  if (version !== undefined && version > POSTGRES_SCHEMA_VERSION) {
    throw new Error(
      `${names.intents} has schema version ${version}; this @sluice/server knows ${POSTGRES_SCHEMA_VERSION}`,
    );
  }
}

async function transaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
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
    client.release(broken);
  }
}

/** The second advisory-lock key: 32 bits of a hash of the ledger's schema and the user. */
function lockKey(scope: string, userId: string): number {
  return createHash("sha256").update(scope).update("\0").update(userId).digest().readInt32BE(0);
}

/** A double-quoted identifier: any schema name, never SQL. */
function quoteIdentifier(name: string): string {
  if (name === "" || name.includes("\0"))
    throw new Error(`not a schema name: ${JSON.stringify(name)}`);
  return `"${name.replaceAll('"', '""')}"`;
}

function fromRow(row: Row): Intent {
  const plan: IntentPlan =
    row.upload_id === null
      ? { kind: "single" }
      : {
          kind: "multipart",
          uploadId: row.upload_id,
          partSize: Number(row.part_size ?? 0),
          partCount: row.part_count ?? 0,
        };
  const optional = (value: string | null) => (value === null ? undefined : Number(value));
  return {
    id: row.id,
    route: row.route,
    userId: row.user_id,
    user: row.user_json,
    key: row.key,
    name: row.name,
    type: row.type,
    size: Number(row.size),
    sha256: row.sha256 ?? undefined,
    metadata: row.metadata,
    plan,
    status: row.status,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    sweepAt: Number(row.sweep_at),
    leaseUntil: optional(row.lease_until),
    completedAt: optional(row.completed_at),
    record: row.record ?? undefined,
    error: row.error ?? undefined,
    cleanupAt: optional(row.cleanup_at),
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
