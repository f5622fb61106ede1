/**
 * Buckets: read on every request, so kept in memory. One process owns a data folder, so
 * every change goes through this class, which updates the map after the change is
 * durable.
 */
import type { Db, WalSync } from "./database.js";
import type { BucketRecord } from "./records.js";

interface BucketRow {
  name: string;
  created_ms: number;
  cors: string | null;
}

export class Buckets {
  readonly #db: Db;
  readonly #wal: WalSync;
  readonly #statements;
  readonly #buckets = new Map<string, BucketRecord>();

  constructor(db: Db, wal: WalSync) {
    this.#db = db;
    this.#wal = wal;
    this.#statements = {
      listBuckets: db.prepare<[], BucketRow>(
        "SELECT name, created_ms, cors FROM buckets ORDER BY name",
      ),
      getBucket: db.prepare<[string], BucketRow>(
        "SELECT name, created_ms, cors FROM buckets WHERE name = ?",
      ),
      insertBucket: db.prepare<[string, number]>(
        "INSERT OR IGNORE INTO buckets (name, created_ms) VALUES (?, ?)",
      ),
      deleteBucket: db.prepare<[string]>("DELETE FROM buckets WHERE name = ?"),
      anyObject: db.prepare<[string], { one: number }>(
        "SELECT 1 AS one FROM objects WHERE bucket = ? LIMIT 1",
      ),
      setCors: db.prepare<[string | null, string]>("UPDATE buckets SET cors = ? WHERE name = ?"),
    };
    for (const row of this.#statements.listBuckets.all())
      this.#buckets.set(row.name, toBucket(row));
  }

  list(): BucketRecord[] {
    return [...this.#buckets.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  get(name: string): BucketRecord | undefined {
    return this.#buckets.get(name);
  }

  /** Whether the bucket exists as the database sees it: for use inside a transaction. */
  existsInTransaction(name: string): boolean {
    return this.#statements.getBucket.get(name) !== undefined;
  }

  /** False when the bucket already exists. */
  create(name: string, nowMs: number): boolean {
    if (this.#statements.insertBucket.run(name, nowMs).changes !== 1) return false;
    this.#wal.syncNow();
    this.#buckets.set(name, { name, createdMs: nowMs, cors: undefined });
    return true;
  }

  delete(name: string): "deleted" | "missing" | "not-empty" {
    const result = this.#db.transaction(() => {
      if (!this.#statements.getBucket.get(name)) return "missing" as const;
      if (this.#statements.anyObject.get(name)) return "not-empty" as const;
      this.#statements.deleteBucket.run(name);
      return "deleted" as const;
    })();
    if (result === "deleted") {
      this.#wal.syncNow();
      this.#buckets.delete(name);
    }
    return result;
  }

  /** False when the bucket does not exist. */
  setCors(bucket: string, cors: string | undefined): boolean {
    const current = this.#buckets.get(bucket);
    if (!current || this.#statements.setCors.run(cors ?? null, bucket).changes !== 1) return false;
    this.#wal.syncNow();
    this.#buckets.set(bucket, { ...current, cors });
    return true;
  }
}

function toBucket(row: BucketRow): BucketRecord {
  return { name: row.name, createdMs: row.created_ms, cors: row.cors ?? undefined };
}
