/**
 * The default ledger: one SQLite file (`<dataDir>/ledger.sqlite3`) through better-sqlite3,
 * in WAL mode so several processes may share it: each claim is a single conditional
 * UPDATE, and a creation's count-and-insert runs in an IMMEDIATE transaction, so they
 * stay atomic across processes too.
 * https://www.sqlite.org/wal.html
 */
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { Intent, IntentPlan, IntentStatus, Ledger, NewIntent, Outcome } from "./ledger.js";
import type { FileRecord } from "../protocol.js";

export const LEDGER_FILE = "ledger.sqlite3";
const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS intents (
  id          TEXT PRIMARY KEY,
  route       TEXT NOT NULL,
  user_id     TEXT NOT NULL,
  user_json   TEXT NOT NULL,
  key         TEXT NOT NULL,
  name        TEXT NOT NULL,
  type        TEXT NOT NULL,
  size        INTEGER NOT NULL,
  sha256      TEXT,
  metadata    TEXT NOT NULL,
  upload_id   TEXT,
  part_size   INTEGER,
  part_count  INTEGER,
  status      TEXT NOT NULL CHECK (status IN
                ('pending', 'completing', 'complete', 'rejected', 'aborted', 'expired')),
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  sweep_at    INTEGER NOT NULL,
  lease_until INTEGER,
  lease_token TEXT,
  completed_at INTEGER,
  record      TEXT,
  error       TEXT,
  cleanup_at  INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS intents_unfinished_by_user
  ON intents (user_id, expires_at) WHERE status IN ('pending', 'completing');
CREATE INDEX IF NOT EXISTS intents_pending_due
  ON intents (sweep_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS intents_lease_due
  ON intents (lease_until) WHERE status = 'completing';
CREATE INDEX IF NOT EXISTS intents_cleanup_due
  ON intents (cleanup_at) WHERE cleanup_at IS NOT NULL;
`;

interface Row {
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

export interface SqliteLedgerOptions {
  /** The folder for `ledger.sqlite3`, created if missing. */
  readonly dataDir: string;
}

export function openSqliteLedger(options: SqliteLedgerOptions): Ledger {
  mkdirSync(options.dataDir, { recursive: true });
  const db = new Database(join(options.dataDir, LEDGER_FILE));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  const version = db.pragma("user_version", { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    db.close();
    throw new Error(
      `${LEDGER_FILE} has schema version ${version}; this @sluice/server knows ${SCHEMA_VERSION}`,
    );
  }
  db.exec(SCHEMA);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);

  const statements = {
    insert: db.prepare(`INSERT INTO intents (id, route, user_id, user_json, key, name, type,
        size, sha256, metadata, upload_id, part_size, part_count, status, created_at,
        expires_at, sweep_at)
      VALUES (@id, @route, @user_id, @user_json, @key, @name, @type, @size, @sha256,
        @metadata, @upload_id, @part_size, @part_count, 'pending', @created_at, @expires_at,
        @sweep_at)`),
    unfinished: db
      .prepare(`SELECT count(*) FROM intents
      WHERE user_id = ? AND status IN ('pending', 'completing') AND expires_at > ?`)
      .pluck(),
    get: db.prepare("SELECT * FROM intents WHERE id = ?"),
    claim: db.prepare(`UPDATE intents SET status = 'completing', lease_until = @lease_until,
        lease_token = @token
      WHERE id = @id AND (status = 'pending' OR (status = 'completing' AND lease_until <= @now))`),
    saveRecord: db.prepare(`UPDATE intents SET record = @record
      WHERE id = @id AND status = 'completing' AND lease_token = @token`),
    finish: db.prepare(`UPDATE intents SET status = @status, record = @record, error = @error,
        completed_at = @now, cleanup_at = @cleanup_at, lease_until = NULL, lease_token = NULL
      WHERE id = @id AND status = 'completing' AND lease_token = @token`),
    release: db.prepare(`UPDATE intents SET status = 'pending', lease_until = NULL,
        lease_token = NULL
      WHERE id = @id AND status = 'completing' AND lease_token = @token`),
    extend: db.prepare(`UPDATE intents SET expires_at = @expires_at, sweep_at = @sweep_at
      WHERE id = @id AND status = 'pending'`),
    due: db.prepare(`SELECT * FROM (
        SELECT * FROM intents WHERE status = 'pending' AND sweep_at <= @now
        UNION ALL
        SELECT * FROM intents WHERE status = 'completing' AND lease_until <= @now
        UNION ALL
        SELECT * FROM intents WHERE cleanup_at IS NOT NULL AND cleanup_at <= @now
      ) ORDER BY created_at, id LIMIT @limit`),
    cleaned: db.prepare("UPDATE intents SET cleanup_at = NULL WHERE id = ?"),
  };

  const create = db.transaction((intent: NewIntent, maxPending: number, now: number) => {
    const count = statements.unfinished.get(intent.userId, now) as number;
    if (count >= maxPending) return false;
    statements.insert.run(toRow(intent));
    return true;
  });

  return {
    async create(intent, maxPending, now) {
      return create.immediate(intent, maxPending, now);
    },
    async get(id) {
      const row = statements.get.get(id) as Row | undefined;
      return row && fromRow(row);
    },
    async countPending(userId, now) {
      return statements.unfinished.get(userId, now) as number;
    },
    async claim(id, now, leaseUntil) {
      const token = randomBytes(12).toString("base64url");
      const { changes } = statements.claim.run({ id, now, lease_until: leaseUntil, token });
      return changes === 1 ? token : undefined;
    },
    async saveRecord(id, token, record) {
      return statements.saveRecord.run({ id, token, record: JSON.stringify(record) }).changes === 1;
    },
    async finish(id, token, outcome: Outcome, now) {
      const { changes } = statements.finish.run({
        id,
        token,
        now,
        status: outcome.status,
        record: outcome.status === "complete" ? JSON.stringify(outcome.record) : null,
        error: outcome.status === "complete" ? null : outcome.error,
        cleanup_at: outcome.status === "complete" ? null : (outcome.cleanupAt ?? null),
      });
      return changes === 1;
    },
    async release(id, token) {
      statements.release.run({ id, token });
    },
    async extend(id, expiresAt, sweepAt) {
      statements.extend.run({ id, expires_at: expiresAt, sweep_at: sweepAt });
    },
    async due(now, limit) {
      return (statements.due.all({ now, limit }) as Row[]).map(fromRow);
    },
    async cleaned(id) {
      statements.cleaned.run(id);
    },
    async close() {
      if (db.open) db.close();
    },
  };
}

function toRow(
  intent: NewIntent,
): Omit<Row, "status" | "lease_until" | "completed_at" | "record" | "error" | "cleanup_at"> {
  const multipart = intent.plan.kind === "multipart" ? intent.plan : undefined;
  return {
    id: intent.id,
    route: intent.route,
    user_id: intent.userId,
    user_json: JSON.stringify(intent.user) ?? "null",
    key: intent.key,
    name: intent.name,
    type: intent.type,
    size: intent.size,
    sha256: intent.sha256 ?? null,
    metadata: JSON.stringify(intent.metadata),
    upload_id: multipart?.uploadId ?? null,
    part_size: multipart?.partSize ?? null,
    part_count: multipart?.partCount ?? null,
    created_at: intent.createdAt,
    expires_at: intent.expiresAt,
    sweep_at: intent.sweepAt,
  };
}

function fromRow(row: Row): Intent {
  const plan: IntentPlan =
    row.upload_id === null
      ? { kind: "single" }
      : {
          kind: "multipart",
          uploadId: row.upload_id,
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
    size: row.size,
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
