/**
 * The metadata database: SQLite through better-sqlite3, in WAL mode, so a reader never
 * sees half of a write. Keys are stored as BLOBs of their UTF-8 bytes: SQLite then orders
 * them by memcmp, which is exactly S3's listing order.
 *
 * Durability without stalling: with `synchronous = FULL` every commit fsyncs the WAL on
 * the event loop (better-sqlite3 is synchronous), a millisecond during which nothing else
 * runs. Instead the store commits with `synchronous = NORMAL` — the WAL is written but
 * not synced — and, before it answers, fdatasyncs the WAL file itself on the thread pool,
 * one sync shared by every commit that arrived meanwhile. A committed write is durable
 * before the client hears of it: its frames are in the synced WAL, or a checkpoint has
 * already moved them into the database file, which NORMAL syncs at every checkpoint.
 * https://www.sqlite.org/pragma.html#pragma_synchronous
 */
import { closeSync, existsSync, fdatasync, fdatasyncSync, openSync } from "node:fs";
import Database from "better-sqlite3";
import { CoalescedSync } from "./coalesced-sync.js";

export type Db = Database.Database;

/** The page cache's bound (SQLite's own default). */
const PAGE_CACHE_KIB = 2000;

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
  -- Or, for a small object, the row of small_bodies holding its bytes (segments is "").
  small_body INTEGER,
  PRIMARY KEY (bucket, key)
) WITHOUT ROWID;

-- Small objects' bytes, written in the same transaction as their row: one WAL sync makes
-- both durable, where a file costs a sync of its own and one of its folder. A rowid table,
-- so the objects table's rows stay small; AUTOINCREMENT, so an id is never reused while
-- a reader may still hold it.
CREATE TABLE IF NOT EXISTS small_bodies (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  bytes BLOB NOT NULL
);

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
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  // better-sqlite3 builds SQLite with a 16 MB page cache per connection; small bodies pass
  // through it, so under load it fills and stays filled. SQLite's stock 2 MB holds the hot
  // metadata pages; bodies re-read come from the OS's file cache.
  db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
  db.exec(SCHEMA);
  // Data folders from before small bodies lived in the database.
  const columns = db.pragma("table_info(objects)") as { name: string }[];
  if (!columns.some((column) => column.name === "small_body"))
    db.exec("ALTER TABLE objects ADD COLUMN small_body INTEGER");
  return db;
}

/** Makes commits durable by syncing the WAL file: coalesced on the write path, at once elsewhere. */
export class WalSync {
  readonly #walPath: string;
  #fd: number | undefined;
  readonly #coalesced = new CoalescedSync(
    () =>
      new Promise<void>((resolve, reject) => {
        const fd = this.#open();
        if (fd === undefined) return resolve();
        fdatasync(fd, (error) => (error ? reject(error) : resolve()));
      }),
  );

  constructor(databasePath: string) {
    this.#walPath = `${databasePath}-wal`;
  }

  /** Resolves once every commit made before the call is on disk. */
  sync(): Promise<void> {
    return this.#coalesced.sync();
  }

  /** The same, blocking: for rare operations (buckets, CORS) with a synchronous API. */
  syncNow(): void {
    const fd = this.#open();
    if (fd !== undefined) fdatasyncSync(fd);
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #open(): number | undefined {
    // SQLite keeps the WAL file (it truncates or rewinds it, never unlinks it while open).
    if (this.#fd === undefined && existsSync(this.#walPath))
      this.#fd = openSync(this.#walPath, "r");
    return this.#fd;
  }
}
