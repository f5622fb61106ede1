/**
 * The commit path: the one way an object comes to be, is replaced or goes away. Bytes are
 * already durable in a blob (or in hand, for a small body) when the metadata commits, in
 * one SQLite transaction that also checks the bucket and the write's condition. So an
 * object is visible whole or not at all, after any crash. A small body's bytes are
 * written into the database in the same transaction as its row, so one WAL sync (shared
 * by every commit that arrived meanwhile) makes the whole object durable, where a file
 * costs a sync of its own and one of its folder:
 * https://www.sqlite.org/intern-v-extern-blob.html, https://www.sqlite.org/fasterthanfs.html
 *
 * The blobs of a replaced or deleted object are handed to `BlobFiles.remove` once the
 * commit is durable; it keeps those a reader still holds until the reader is done.
 */
import type { BlobFiles } from "./blob-files.js";
import type { Buckets } from "./buckets.js";
import type { Db, WalSync } from "./database.js";
import { type ObjectRow, parseSegments, toObject, toRow } from "./object-rows.js";
import type {
  CommitResult,
  ConditionCheck,
  ObjectBody,
  ObjectRecord,
  PendingBody,
  Segment,
} from "./records.js";

export type ObjectRowWrite<F> =
  | { readonly ok: true; readonly record: ObjectRecord; readonly replaced: readonly Segment[] }
  | { readonly ok: false; readonly reason: "no-bucket" }
  | { readonly ok: false; readonly reason: "condition"; readonly failure: F };

export class ObjectCommits {
  readonly #db: Db;
  readonly #wal: WalSync;
  readonly #files: BlobFiles;
  readonly #buckets: Buckets;
  readonly #statements;

  constructor(db: Db, wal: WalSync, files: BlobFiles, buckets: Buckets) {
    this.#db = db;
    this.#wal = wal;
    this.#files = files;
    this.#buckets = buckets;
    this.#statements = {
      getObject: db.prepare<[string, Buffer], ObjectRow>(
        "SELECT * FROM objects WHERE bucket = ? AND key = ?",
      ),
      upsertObject: db.prepare(
        `INSERT INTO objects (bucket, key, size, etag, last_modified_ms, content_type, headers, metadata, checksums, parts_count, segments, small_body)
         VALUES (@bucket, @key, @size, @etag, @last_modified_ms, @content_type, @headers, @metadata, @checksums, @parts_count, @segments, @small_body)
         ON CONFLICT (bucket, key) DO UPDATE SET size = excluded.size, etag = excluded.etag,
           last_modified_ms = excluded.last_modified_ms, content_type = excluded.content_type,
           headers = excluded.headers, metadata = excluded.metadata, checksums = excluded.checksums,
           parts_count = excluded.parts_count, segments = excluded.segments,
           small_body = excluded.small_body`,
      ),
      insertSmallBody: db.prepare<[Buffer]>("INSERT INTO small_bodies (bytes) VALUES (?)"),
      getSmallBody: db.prepare<[number], { bytes: Buffer }>(
        "SELECT bytes FROM small_bodies WHERE id = ?",
      ),
      deleteSmallBody: db.prepare<[number]>("DELETE FROM small_bodies WHERE id = ?"),
      deleteObject: db.prepare<[string, Buffer]>(
        "DELETE FROM objects WHERE bucket = ? AND key = ?",
      ),
    };
  }

  get(bucket: string, key: string): ObjectRecord | undefined {
    const row = this.#statements.getObject.get(bucket, Buffer.from(key, "utf8"));
    return row ? toObject(row) : undefined;
  }

  /** A small body's bytes, or undefined when its object has been replaced meanwhile. */
  smallBody(id: number): Buffer | undefined {
    return this.#statements.getSmallBody.get(id)?.bytes;
  }

  /**
   * Makes a received body the object `bucket/key`, if the bucket exists and the
   * condition holds at the moment of the commit. A blob moves into place and is synced
   * before the metadata names it; a small body is written in the commit itself. The
   * replaced object's blobs are removed after.
   */
  async commit<F>(
    bucket: string,
    key: string,
    pending: PendingBody,
    fields: Omit<ObjectRecord, "bucket" | "key" | "body" | "size">,
    condition: ConditionCheck<F>,
  ): Promise<CommitResult<F>> {
    if (pending.kind === "file") await this.#files.place(pending);
    const result = this.#db.transaction((): ObjectRowWrite<F> => {
      const body: ObjectBody =
        pending.kind === "small"
          ? {
              kind: "small",
              id: Number(this.#statements.insertSmallBody.run(pending.bytes).lastInsertRowid),
            }
          : { kind: "blobs", segments: [{ blob: pending.id, size: pending.size }] };
      const written = this.writeRow(
        { bucket, key, ...fields, size: pending.size, body },
        condition,
      );
      if (!written.ok && body.kind === "small") this.#statements.deleteSmallBody.run(body.id);
      return written;
    })();
    if (!result.ok) {
      if (pending.kind === "file") await this.#files.remove([{ blob: pending.id }]);
      return result;
    }
    await this.#wal.sync();
    await this.#files.remove(result.replaced);
    return { ok: true, record: result.record };
  }

  /** Removes the object, if any; true when there was one. */
  async delete(bucket: string, key: string): Promise<boolean> {
    const keyBytes = Buffer.from(key, "utf8");
    const removed = this.#db.transaction(() => {
      const row = this.#statements.getObject.get(bucket, keyBytes);
      if (!row) return undefined;
      this.#statements.deleteObject.run(bucket, keyBytes);
      return this.#release(row);
    })();
    if (removed === undefined) return false;
    await this.#wal.sync();
    await this.#files.remove(removed);
    return true;
  }

  /**
   * To be called inside a transaction: writes the object's row if its bucket exists and
   * the condition holds against the current object, and says which blobs the replaced
   * object had (to remove once the transaction is durable).
   */
  writeRow<F>(record: ObjectRecord, condition: ConditionCheck<F>): ObjectRowWrite<F> {
    if (!this.#buckets.existsInTransaction(record.bucket))
      return { ok: false, reason: "no-bucket" };
    const keyBytes = Buffer.from(record.key, "utf8");
    const current = this.#statements.getObject.get(record.bucket, keyBytes);
    const failure = condition(current);
    if (failure !== undefined) return { ok: false, reason: "condition", failure };
    this.#statements.upsertObject.run(toRow(record, keyBytes));
    return { ok: true, record, replaced: current ? this.#release(current) : [] };
  }

  /**
   * Inside the transaction that replaces or deletes `row`: removes its small body, and
   * says which blobs to remove once the transaction is durable.
   */
  #release(row: ObjectRow): Segment[] {
    if (row.small_body !== null) this.#statements.deleteSmallBody.run(row.small_body);
    return parseSegments(row.segments);
  }
}
