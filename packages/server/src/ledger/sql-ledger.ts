/**
 * The ledger, once, for every SQL database: its schema, its statements and the mapping of
 * a row to an `Intent`. A database enters only through its `Dialect` (`dialect.ts`).
 *
 * - `create` counts the user's unfinished intents and inserts the new one in a
 *   transaction locked per user, so `maxPending` holds across instances.
 * - `claim`, `saveRecord`, `finish` and `release` are each one conditional UPDATE, decided
 *   by its row count: of two concurrent claims exactly one matches, in SQLite (one
 *   writer at a time) as in PostgreSQL (under READ COMMITTED a second UPDATE of a row
 *   waits for the first, then re-checks its WHERE clause against the row as left).
 *   https://www.postgresql.org/docs/current/transaction-iso.html#XACT-READ-COMMITTED
 * - `due` orders by id byte for byte, whatever the database's collation.
 */
import { randomBytes } from "node:crypto";
import type { FileRecord } from "../protocol.js";
import type { Dialect, SqlValue } from "./dialect.js";
import type { Intent, IntentPlan, IntentStatus, Ledger, NewIntent, Outcome } from "./ledger.js";

export const SCHEMA_VERSION = 2;
export const INTENTS_TABLE = "sluice_intents";

/**
 * `size` of an intent that declared none: no file has it, so the column stays NOT NULL
 * and needs no migration.
 */
const UNDECLARED_SIZE = -1;

const STATUSES = [
  "creating",
  "pending",
  "completing",
  "complete",
  "rejected",
  "aborted",
  "expired",
];

const COLUMNS = `id, route, user_id, user_json, key, name, type, size, sha256, metadata,
  upload_id, part_size, part_count, status, created_at, expires_at, sweep_at, lease_until,
  lease_token, completed_at, record, error, cleanup_at`;

/**
 * The schema, and each migration from an older version: version 2 added `creating`, which
 * the status CHECK must allow, and named SQLite's table as PostgreSQL's. A CHECK cannot
 * be changed in SQLite, so the table is rebuilt (in the migration's one transaction).
 * `IF NOT EXISTS` throughout: PostgreSQL may answer whether a table exists from a cache
 * that has not yet seen another instance's commit, so the script must be safe to repeat.
 * https://www.sqlite.org/lang_altertable.html#otheralter
 */
function schema(dialect: Dialect, from: number | undefined): string {
  const { integer, json } = dialect.types;
  const table = dialect.table(INTENTS_TABLE);
  const index = (name: string) => `${INTENTS_TABLE}_${name}`;
  const create = (name: string) => `
CREATE TABLE IF NOT EXISTS ${name} (
  id           TEXT PRIMARY KEY,
  route        TEXT NOT NULL,
  user_id      TEXT NOT NULL,
  user_json    ${json} NOT NULL,
  key          TEXT NOT NULL,
  name         TEXT NOT NULL,
  type         TEXT NOT NULL,
  size         ${integer} NOT NULL,
  sha256       TEXT,
  metadata     ${json} NOT NULL,
  upload_id    TEXT,
  part_size    ${integer},
  part_count   ${integer},
  status       TEXT NOT NULL CHECK (status IN (${STATUSES.map((s) => `'${s}'`).join(", ")})),
  created_at   ${integer} NOT NULL,
  expires_at   ${integer} NOT NULL,
  sweep_at     ${integer} NOT NULL,
  lease_until  ${integer},
  lease_token  TEXT,
  completed_at ${integer},
  record       ${json},
  error        TEXT,
  cleanup_at   ${integer}
)${dialect.tableOptions};`;
  const indexes = `
CREATE INDEX IF NOT EXISTS ${index("unfinished_by_user")}
  ON ${table} (user_id, expires_at) WHERE status IN ('creating', 'pending', 'completing');
CREATE INDEX IF NOT EXISTS ${index("pending_due")}
  ON ${table} (sweep_at) WHERE status IN ('creating', 'pending');
CREATE INDEX IF NOT EXISTS ${index("lease_due")}
  ON ${table} (lease_until) WHERE status = 'completing';
CREATE INDEX IF NOT EXISTS ${index("cleanup_due")}
  ON ${table} (cleanup_at) WHERE cleanup_at IS NOT NULL;
`;
  if (from === undefined) return create(table) + indexes;
  if (from === 1) {
    const next = dialect.table(`${INTENTS_TABLE}_next`);
    return `${create(next)}
INSERT INTO ${next} (${COLUMNS}) SELECT ${COLUMNS} FROM ${dialect.intentsTableV1};
DROP TABLE ${dialect.intentsTableV1};
ALTER TABLE ${next} RENAME TO ${INTENTS_TABLE};
${indexes}`;
  }
  throw new Error(`no migration from ledger schema version ${from}`);
}

/** A row as both dialects return it: integers as numbers, JSON columns as text. */
interface Row {
  lease_token?: string | null;
  id: string;
  route: string;
  user_id: string;
  user_json: string;
  key: string;
  name: string;
  type: string;
  size: number;
  sha256: string | null;
  metadata: string;
  upload_id: string | null;
  part_size: number | null;
  part_count: number | null;
  status: IntentStatus;
  created_at: number;
  expires_at: number;
  sweep_at: number;
  lease_until: number | null;
  completed_at: number | null;
  record: string | null;
  error: string | null;
  cleanup_at: number | null;
}

/** Creates or migrates the schema, then answers for the ledger through `dialect`. */
export async function openSqlLedger(dialect: Dialect): Promise<Ledger> {
  const t = dialect.table(INTENTS_TABLE);
  await dialect.migrate(SCHEMA_VERSION, (from) => schema(dialect, from));

  const unfinished = `SELECT count(*) AS n FROM ${t}
    WHERE user_id = ? AND status IN ('creating', 'pending', 'completing') AND expires_at > ?`;
  const finish = `UPDATE ${t} SET status = ?, record = ?, error = ?, completed_at = ?,
      cleanup_at = ?, lease_until = NULL, lease_token = NULL
    WHERE id = ? AND status = 'completing' AND lease_token = ?`;
  const count = async (userId: string, now: number) =>
    Number((await dialect.all<{ n: number }>(unfinished, [userId, now]))[0]?.n ?? 0);

  return {
    async create(intent, maxPending, now) {
      return dialect.transaction(async (tx) => {
        const rows = await tx.all<{ n: number }>(unfinished, [intent.userId, now]);
        if (Number(rows[0]?.n ?? 0) >= maxPending) return false;
        const row = toRow(intent);
        const names = Object.keys(row);
        await tx.run(
          `INSERT INTO ${t} (${names.join(", ")})
            VALUES (${names.map(() => "?").join(", ")})`,
          Object.values(row),
        );
        return true;
      }, intent.userId);
    },
    async get(id) {
      const rows = await dialect.all<Row>(`SELECT ${COLUMNS} FROM ${t} WHERE id = ?`, [id]);
      return rows[0] && fromRow(rows[0]);
    },
    async started(id, uploadId, expiresAt, sweepAt) {
      const changed = await dialect.run(
        `UPDATE ${t} SET status = 'pending', upload_id = ?, expires_at = ?, sweep_at = ?
          WHERE id = ? AND status = 'creating'`,
        [uploadId, expiresAt, sweepAt, id],
      );
      return changed === 1;
    },
    countPending: count,
    async claim(id, now, leaseUntil) {
      const token = randomBytes(12).toString("base64url");
      const changed = await dialect.run(
        `UPDATE ${t} SET status = 'completing', lease_until = ?, lease_token = ?
          WHERE id = ? AND (status IN ('pending', 'creating')
            OR (status = 'completing' AND lease_until <= ?))`,
        [leaseUntil, token, id, now],
      );
      return changed === 1 ? token : undefined;
    },
    async renew(id, token, leaseUntil) {
      const changed = await dialect.run(
        `UPDATE ${t} SET lease_until = ? WHERE id = ? AND status = 'completing' AND lease_token = ?`,
        [leaseUntil, id, token],
      );
      return changed === 1;
    },
    async saveRecord(id, token, record) {
      const changed = await dialect.run(
        `UPDATE ${t} SET record = ? WHERE id = ? AND status = 'completing' AND lease_token = ?`,
        [JSON.stringify(record), id, token],
      );
      return changed === 1;
    },
    async finish(id, token, outcome: Outcome, now, within) {
      const params = [
        outcome.status,
        outcome.status === "complete" ? JSON.stringify(outcome.record) : null,
        outcome.status === "complete" ? null : outcome.error,
        now,
        outcome.status === "complete" ? null : (outcome.cleanupAt ?? null),
        id,
        token,
      ];
      if (!within) return (await dialect.run(finish, params)) === 1;
      return dialect.transaction(async (tx, app) => {
        if ((await tx.run(finish, params)) !== 1) return false;
        await within(app);
        return true;
      });
    },
    async release(id, token) {
      // A claim on a `creating` intent goes back to `creating`: its upload id is unknown.
      await dialect.run(
        `UPDATE ${t} SET lease_until = NULL, lease_token = NULL,
            status = CASE WHEN upload_id IS NULL AND part_count IS NOT NULL
              THEN 'creating' ELSE 'pending' END
          WHERE id = ? AND status = 'completing' AND lease_token = ?`,
        [id, token],
      );
    },
    async extend(id, expiresAt, sweepAt) {
      await dialect.run(
        `UPDATE ${t} SET expires_at = ?, sweep_at = ? WHERE id = ? AND status = 'pending'`,
        [expiresAt, sweepAt, id],
      );
    },
    async due(now, limit) {
      const rows = await dialect.all<Row>(
        `SELECT ${COLUMNS} FROM (
            SELECT * FROM ${t} WHERE status IN ('creating', 'pending') AND sweep_at <= ?
            UNION ALL
            SELECT * FROM ${t} WHERE status = 'completing' AND lease_until <= ?
            UNION ALL
            SELECT * FROM ${t} WHERE cleanup_at IS NOT NULL AND cleanup_at <= ?
          ) AS due ORDER BY created_at, id${dialect.binaryCollation} LIMIT ?`,
        [now, now, now, limit],
      );
      return rows.map(fromRow);
    },
    async cleaned(id) {
      await dialect.run(`UPDATE ${t} SET cleanup_at = NULL WHERE id = ?`, [id]);
    },
    close: () => dialect.close(),
  };
}

function toRow(intent: NewIntent): Record<string, SqlValue> {
  const multipart = intent.plan.kind === "multipart" ? intent.plan : undefined;
  return {
    id: intent.id,
    route: intent.route,
    user_id: intent.userId,
    user_json: JSON.stringify(intent.user) ?? "null",
    key: intent.key,
    name: intent.name,
    type: intent.type,
    size: intent.size ?? UNDECLARED_SIZE,
    sha256: intent.sha256 ?? null,
    metadata: JSON.stringify(intent.metadata),
    upload_id: multipart?.uploadId || null,
    part_size: multipart?.partSize ?? null,
    part_count: multipart?.partCount ?? null,
    status: intent.status ?? "pending",
    created_at: intent.createdAt,
    expires_at: intent.expiresAt,
    sweep_at: intent.sweepAt,
  };
}

function fromRow(row: Row): Intent {
  const plan: IntentPlan =
    row.part_count === null
      ? { kind: "single" }
      : {
          kind: "multipart",
          uploadId: row.upload_id ?? "",
          partSize: row.part_size ?? 0,
          partCount: row.part_count ?? 0,
        };
  return {
    id: row.id,
    route: row.route,
    userId: row.user_id,
    user: JSON.parse(row.user_json) as unknown,
    key: row.key,
    name: row.name,
    type: row.type,
    size: Number(row.size) === UNDECLARED_SIZE ? undefined : row.size,
    sha256: row.sha256 ?? undefined,
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    plan,
    status: row.status,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    sweepAt: row.sweep_at,
    leaseUntil: row.lease_until ?? undefined,
    completedAt: row.completed_at ?? undefined,
    record: row.record === null ? undefined : (JSON.parse(row.record) as FileRecord),
    error: row.error ?? undefined,
    cleanupAt: row.cleanup_at ?? undefined,
  };
}
