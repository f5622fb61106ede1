/**
 * The metadata database: SQLite through better-sqlite3, in WAL mode with full
 * synchronisation, so a committed write survives a crash and a reader never sees half
 * of one. Keys are stored as BLOBs of their UTF-8 bytes: SQLite then orders them by
 * memcmp, which is exactly S3's listing order.
 */
import Database from "better-sqlite3";

export type Db = Database.Database;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS buckets (
  name TEXT PRIMARY KEY,
  created_ms INTEGER NOT NULL,
  cors TEXT
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS objects (
  bucket TEXT NOT NULL,
  key BLOB NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  last_modified_ms INTEGER NOT NULL,
  content_type TEXT,
  headers TEXT NOT NULL,
  metadata TEXT NOT NULL,
  checksums TEXT NOT NULL,
  parts_count INTEGER,
  -- The object's bytes: blob ids and sizes, in order ("id:size id:size ..."). One
  -- segment for a PUT; a completed multipart upload keeps its parts' blobs.
  segments TEXT NOT NULL,
  PRIMARY KEY (bucket, key)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS uploads (
  upload_id TEXT PRIMARY KEY,
  bucket TEXT NOT NULL,
  key BLOB NOT NULL,
  initiated_ms INTEGER NOT NULL,
  content_type TEXT,
  headers TEXT NOT NULL,
  metadata TEXT NOT NULL,
  checksum_algorithm TEXT,
  -- "absent" when created with If-None-Match: *, carried to completion.
  condition TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads (bucket, key, upload_id);

CREATE TABLE IF NOT EXISTS parts (
  upload_id TEXT NOT NULL,
  part_number INTEGER NOT NULL,
  blob TEXT NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  checksums TEXT NOT NULL,
  last_modified_ms INTEGER NOT NULL,
  PRIMARY KEY (upload_id, part_number)
) WITHOUT ROWID;

-- Completed uploads, so that completing again with the same parts answers as S3 does.
CREATE TABLE IF NOT EXISTS completed_uploads (
  upload_id TEXT PRIMARY KEY,
  bucket TEXT NOT NULL,
  key BLOB NOT NULL,
  etag TEXT NOT NULL,
  parts TEXT NOT NULL,
  completed_ms INTEGER NOT NULL
) WITHOUT ROWID;
`;

export function openDatabase(path: string): Db {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  db.exec(SCHEMA);
  return db;
}
