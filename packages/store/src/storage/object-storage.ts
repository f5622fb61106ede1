/**
 * The store's disk: buckets, objects and their bytes. Bytes stream to a temporary file,
 * are renamed into place and synced, and only then does the metadata commit, in one
 * SQLite transaction that also checks write conditions. So an object is visible whole or
 * not at all, after any crash; what a crash can leave behind (temporary files, blobs no
 * metadata names) is removed by `recover()` at start-up.
 *
 * A small object's bytes skip the file: they are written into the database in the same
 * transaction as its row, so one WAL sync (shared by every commit that arrived
 * meanwhile) makes the whole object durable, where a file costs a sync of its own and
 * one of its folder. SQLite reads blobs of this size faster than the file system does:
 * https://www.sqlite.org/intern-v-extern-blob.html, https://www.sqlite.org/fasterthanfs.html
 *
 * This module never builds a response; refusals are returned as values for the HTTP
 * layer to turn into S3 errors.
 */
import { createReadStream, type ReadStream, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { BlobFiles, type TempBlob } from "./blob-files.js";

export type { TempBlob };

/** Bodies up to this size are kept in the database with their object's row. */
export const SMALL_BODY_MAX_BYTES = 64 * 1024;

/** A small body, received into memory; it becomes part of its object's commit. */
export interface SmallBody {
  readonly kind: "small";
  readonly bytes: Buffer;
  readonly size: number;
}

/** A body received (and its checksums checked) that is not an object yet. */
export type PendingBody = TempBlob | SmallBody;

import { type Db, openDatabase, WalSync } from "./database.js";
import { MultipartUploads } from "./multipart-uploads.js";

export interface BucketRecord {
  readonly name: string;
  readonly createdMs: number;
  /** The bucket's CORS configuration as stored (S3 XML), if any. */
  readonly cors: string | undefined;
}

export interface Segment {
  readonly blob: string;
  readonly size: number;
}

/** What a client stored with an object besides its bytes. */
export interface ObjectAttributes {
  readonly contentType: string | undefined;
  /** Cache-Control, Content-Disposition, Content-Encoding, Content-Language, Expires. */
  readonly headers: Readonly<Record<string, string>>;
  /** `x-amz-meta-*`, names lower-case without the prefix. */
  readonly metadata: Readonly<Record<string, string>>;
  /** `x-amz-checksum-*` values, base64, by algorithm. */
  readonly checksums: Readonly<Record<string, string>>;
}

/** Where an object's bytes are. */
export type ObjectBody =
  /** Blobs on disk, in order: one for a PUT, the parts of a completed multipart upload. */
  | { readonly kind: "blobs"; readonly segments: readonly Segment[] }
  /** A row of `small_bodies`. */
  | { readonly kind: "small"; readonly id: number };

export interface ObjectRecord extends ObjectAttributes {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  /** Without quotes: hex MD5, or `hex-N` for a multipart upload. */
  readonly etag: string;
  readonly lastModifiedMs: number;
  readonly partsCount: number | undefined;
  readonly body: ObjectBody;
}

/** Decides a write's condition against the object the key holds at commit time: undefined to go ahead. */
export type ConditionCheck<F> = (current: { readonly etag: string } | undefined) => F | undefined;

export type CommitResult<F> =
  | { readonly ok: true; readonly record: ObjectRecord }
  | { readonly ok: false; readonly reason: "no-bucket" }
  | { readonly ok: false; readonly reason: "condition"; readonly failure: F };

export interface ListOptions {
  readonly prefix: string;
  readonly delimiter: string | undefined;
  /** Entries up to and including this key (or common prefix) are skipped. */
  readonly after: string | undefined;
  readonly maxKeys: number;
}

export interface ListPage {
  readonly objects: ObjectRecord[];
  readonly commonPrefixes: string[];
  readonly isTruncated: boolean;
  /** The last key or common prefix returned, to continue after. */
  readonly last: string | undefined;
}

interface ObjectRow {
  bucket: string;
  key: Buffer;
  size: number;
  etag: string;
  last_modified_ms: number;
  content_type: string | null;
  headers: string;
  metadata: string;
  checksums: string;
  parts_count: number | null;
  segments: string;
  small_body: number | null;
}

export type ObjectRowWrite<F> =
  | { readonly ok: true; readonly record: ObjectRecord; readonly replaced: readonly Segment[] }
  | { readonly ok: false; readonly reason: "no-bucket" }
  | { readonly ok: false; readonly reason: "condition"; readonly failure: F };

/** Bytes per read when serving a blob. */
const READ_CHUNK_BYTES = 256 * 1024;

export class ObjectStorage {
  readonly #db: Db;
  /** Internal: shared with the multipart uploads of the same store. */
  readonly files: BlobFiles;
  readonly uploads: MultipartUploads;
  readonly #statements;
  readonly #wal: WalSync;
  /**
   * Buckets, read on every request: kept in memory. One process owns a data folder,
   * so every change goes through this class and updates the map.
   */
  readonly #buckets = new Map<string, BucketRecord>();

  private constructor(dataDir: string) {
    this.files = new BlobFiles(dataDir);
    const databasePath = join(dataDir, "metadata.sqlite3");
    this.#db = openDatabase(databasePath);
    this.#wal = new WalSync(databasePath);
    const db = this.#db;
    this.#statements = {
      listBuckets: db.prepare<[], { name: string; created_ms: number; cors: string | null }>(
        "SELECT name, created_ms, cors FROM buckets ORDER BY name",
      ),
      getBucket: db.prepare<[string], { name: string; created_ms: number; cors: string | null }>(
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
      listFrom: db.prepare<[string, Buffer, number], ObjectRow>(
        "SELECT * FROM objects WHERE bucket = ? AND key > ? ORDER BY key LIMIT ?",
      ),
      listFromInclusive: db.prepare<[string, Buffer, number], ObjectRow>(
        "SELECT * FROM objects WHERE bucket = ? AND key >= ? ORDER BY key LIMIT ?",
      ),
      listFromStart: db.prepare<[string, number], ObjectRow>(
        "SELECT * FROM objects WHERE bucket = ? ORDER BY key LIMIT ?",
      ),
      allSegments: db.prepare<[], { segments: string }>("SELECT segments FROM objects"),
    };
    this.uploads = new MultipartUploads(db, this.files, this);
  }

  /** Opens (creating if needed) the store in `dataDir` and removes what a crash left. */
  static open(dataDir: string): ObjectStorage {
    const storage = new ObjectStorage(dataDir);
    for (const row of storage.#statements.listBuckets.all())
      storage.#buckets.set(row.name, toBucket(row));
    storage.recover();
    return storage;
  }

  close(): void {
    this.#db.close();
    this.#wal.close();
  }

  /** Internal: resolves once every commit made so far is on disk. */
  durable(): Promise<void> {
    return this.#wal.sync();
  }

  /** Internal: the same, blocking, for rare operations with a synchronous API. */
  durableNow(): void {
    this.#wal.syncNow();
  }

  /**
   * Removes temporary files (writes a crash interrupted) and blobs no metadata names
   * (written and renamed, but the crash came before the metadata commit, or an old
   * version whose removal the crash interrupted).
   */
  recover(): { temporary: number; orphans: number } {
    let temporary = 0;
    for (const name of readdirSync(this.files.tmpDir)) {
      rmSync(join(this.files.tmpDir, name), { force: true, recursive: true });
      temporary++;
    }
    const referenced = new Set<string>();
    for (const row of this.#statements.allSegments.iterate()) {
      for (const segment of parseSegments(row.segments)) referenced.add(segment.blob);
    }
    for (const blob of this.uploads.referencedBlobs()) referenced.add(blob);
    let orphans = 0;
    for (const dir of readdirSync(this.files.blobsDir)) {
      for (const name of readdirSync(join(this.files.blobsDir, dir))) {
        if (BlobFiles.isId(name) && referenced.has(name)) continue;
        rmSync(join(this.files.blobsDir, dir, name), { force: true });
        orphans++;
      }
    }
    return { temporary, orphans };
  }

  // Buckets

  listBuckets(): BucketRecord[] {
    return [...this.#buckets.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  getBucket(name: string): BucketRecord | undefined {
    return this.#buckets.get(name);
  }

  /** False when the bucket already exists. */
  createBucket(name: string, nowMs: number): boolean {
    if (this.#statements.insertBucket.run(name, nowMs).changes !== 1) return false;
    this.#wal.syncNow();
    this.#buckets.set(name, { name, createdMs: nowMs, cors: undefined });
    return true;
  }

  deleteBucket(name: string): "deleted" | "missing" | "not-empty" {
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

  // Objects

  getObject(bucket: string, key: string): ObjectRecord | undefined {
    const row = this.#statements.getObject.get(bucket, Buffer.from(key, "utf8"));
    return row ? toObject(row) : undefined;
  }

  /** Streams `source` to a temporary blob (a part's body); on any error nothing remains. */
  writeTemp(source: AsyncIterable<Uint8Array>): Promise<TempBlob> {
    return this.files.writeTemp(source);
  }

  /**
   * Receives an object's body: held in memory while it is at most SMALL_BODY_MAX_BYTES,
   * streamed to a temporary blob from the moment it is larger. Memory stays bounded.
   */
  async receive(source: AsyncIterable<Uint8Array>): Promise<PendingBody> {
    const iterator = source[Symbol.asyncIterator]();
    const held: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return { kind: "small", bytes: Buffer.concat(held, size), size };
      held.push(next.value);
      size += next.value.length;
      if (size > SMALL_BODY_MAX_BYTES) return this.files.writeTemp(resume(held, iterator));
    }
  }

  async discard(body: PendingBody): Promise<void> {
    if (body.kind === "file") await this.files.discard(body);
  }

  /**
   * Makes a received body the object `bucket/key`, if the bucket exists and the
   * condition holds at the moment of the commit. A blob moves into place and is synced
   * before the metadata names it; a small body is written in the commit itself. The
   * replaced object's blobs are removed after.
   */
  async commitObject<F>(
    bucket: string,
    key: string,
    pending: PendingBody,
    fields: Omit<ObjectRecord, "bucket" | "key" | "body" | "size">,
    condition: ConditionCheck<F>,
  ): Promise<CommitResult<F>> {
    if (pending.kind === "file") await this.files.place(pending);
    const result = this.#db.transaction((): ObjectRowWrite<F> => {
      const body: ObjectBody =
        pending.kind === "small"
          ? {
              kind: "small",
              id: Number(this.#statements.insertSmallBody.run(pending.bytes).lastInsertRowid),
            }
          : { kind: "blobs", segments: [{ blob: pending.id, size: pending.size }] };
      const written = this.writeObjectRow(
        { bucket, key, ...fields, size: pending.size, body },
        condition,
      );
      if (!written.ok && body.kind === "small") this.#statements.deleteSmallBody.run(body.id);
      return written;
    })();
    if (!result.ok) {
      if (pending.kind === "file") await this.files.remove([{ blob: pending.id }]);
      return result;
    }
    await this.#wal.sync();
    await this.files.remove(result.replaced);
    return { ok: true, record: result.record };
  }

  /** Removes the object, if any; true when there was one. */
  async deleteObject(bucket: string, key: string): Promise<boolean> {
    const keyBytes = Buffer.from(key, "utf8");
    const removed = this.#db.transaction(() => {
      const row = this.#statements.getObject.get(bucket, keyBytes);
      if (!row) return undefined;
      this.#statements.deleteObject.run(bucket, keyBytes);
      return this.#release(row);
    })();
    if (removed === undefined) return false;
    await this.#wal.sync();
    await this.files.remove(removed);
    return true;
  }

  /**
   * Copies an object's bytes into a new body (a copy is an object of its own: deleting
   * the source must not touch it).
   */
  copyBody(record: ObjectRecord): Promise<PendingBody> {
    return this.receive(this.read(record));
  }

  /**
   * The object's bytes, or a range of them (`end` inclusive), as a stream of chunks. A
   * small body is read at the call, so an overwrite that commits before the stream is
   * consumed cannot take it away.
   */
  read(record: ObjectRecord, start = 0, end = record.size - 1): AsyncGenerator<Uint8Array> {
    if (record.body.kind === "blobs") return this.#readBlobs(record.body.segments, start, end);
    const row = this.#statements.getSmallBody.get(record.body.id);
    if (!row) throw new Error(`the bytes of ${record.bucket}/${record.key} are gone`);
    return chunksOf(row.bytes.subarray(start, end + 1));
  }

  async *#readBlobs(
    segments: readonly Segment[],
    start: number,
    end: number,
  ): AsyncGenerator<Uint8Array> {
    let base = 0;
    for (const segment of segments) {
      const segmentEnd = base + segment.size - 1;
      if (segmentEnd >= start && base <= end) {
        const stream: ReadStream = createReadStream(this.files.blobPath(segment.blob), {
          start: Math.max(0, start - base),
          end: Math.min(segment.size - 1, end - base),
          highWaterMark: READ_CHUNK_BYTES,
        });
        for await (const chunk of stream) yield chunk as Buffer;
      }
      base += segment.size;
      if (base > end) break;
    }
  }

  /**
   * One page of a bucket's keys in S3's order, grouping keys that share a prefix up to
   * the delimiter into common prefixes. A group is skipped in one step, so a page costs
   * queries in proportion to what it returns, not to what it skips.
   */
  listObjects(bucket: string, options: ListOptions): ListPage {
    const { prefix, delimiter, maxKeys } = options;
    const prefixBytes = Buffer.from(prefix, "utf8");
    const after = options.after === undefined ? undefined : Buffer.from(options.after, "utf8");
    const objects: ObjectRecord[] = [];
    const commonPrefixes: string[] = [];
    let last: string | undefined;
    const page = (isTruncated: boolean): ListPage => ({
      objects,
      commonPrefixes,
      isTruncated,
      last,
    });
    if (maxKeys <= 0) return page(false);

    // Start strictly after `after`, or at the prefix, whichever is later.
    let cursor: { key: Buffer; inclusive: boolean } | undefined =
      after !== undefined && Buffer.compare(after, prefixBytes) >= 0
        ? { key: after, inclusive: false }
        : prefixBytes.length > 0
          ? { key: prefixBytes, inclusive: true }
          : undefined;
    const batch = Math.min(maxKeys + 1, 1001);
    for (;;) {
      const rows: ObjectRow[] =
        cursor === undefined
          ? this.#statements.listFromStart.all(bucket, batch)
          : cursor.inclusive
            ? this.#statements.listFromInclusive.all(bucket, cursor.key, batch)
            : this.#statements.listFrom.all(bucket, cursor.key, batch);
      let jumped = false;
      for (const row of rows) {
        if (!startsWith(row.key, prefixBytes)) return page(false);
        if (objects.length + commonPrefixes.length === maxKeys) return page(true);
        const key = row.key.toString("utf8");
        const group = delimiter ? commonPrefixOf(key, prefix, delimiter) : undefined;
        if (group === undefined) {
          objects.push(toObject(row));
          last = key;
          cursor = { key: row.key, inclusive: false };
          continue;
        }
        const groupBytes = Buffer.from(group, "utf8");
        // A continuation resumes after the group it returned last; a marker or start-after
        // that is a key inside a group still lists the group.
        if (after === undefined || !groupBytes.equals(after)) {
          commonPrefixes.push(group);
          last = group;
        }
        // No UTF-8 byte is 0xFF, so this sorts after every key in the group.
        cursor = { key: Buffer.concat([groupBytes, Buffer.from([0xff])]), inclusive: false };
        jumped = true;
        break;
      }
      if (!jumped && rows.length < batch) return page(false);
    }
  }

  /**
   * Internal, to be called inside a transaction: writes the object's row if its bucket
   * exists and the condition holds against the current object, and says which blobs
   * the replaced object had.
   */
  writeObjectRow<F>(record: ObjectRecord, condition: ConditionCheck<F>): ObjectRowWrite<F> {
    if (!this.#statements.getBucket.get(record.bucket)) return { ok: false, reason: "no-bucket" };
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

function toBucket(row: { name: string; created_ms: number; cors: string | null }): BucketRecord {
  return { name: row.name, createdMs: row.created_ms, cors: row.cors ?? undefined };
}

function toObject(row: ObjectRow): ObjectRecord {
  return {
    bucket: row.bucket,
    key: row.key.toString("utf8"),
    size: row.size,
    etag: row.etag,
    lastModifiedMs: row.last_modified_ms,
    contentType: row.content_type ?? undefined,
    headers: JSON.parse(row.headers),
    metadata: JSON.parse(row.metadata),
    checksums: JSON.parse(row.checksums),
    partsCount: row.parts_count ?? undefined,
    body:
      row.small_body === null
        ? { kind: "blobs", segments: parseSegments(row.segments) }
        : { kind: "small", id: row.small_body },
  };
}

export function toRow(record: ObjectRecord, key: Buffer): ObjectRow {
  return {
    bucket: record.bucket,
    key,
    size: record.size,
    etag: record.etag,
    last_modified_ms: record.lastModifiedMs,
    content_type: record.contentType ?? null,
    headers: JSON.stringify(record.headers),
    metadata: JSON.stringify(record.metadata),
    checksums: JSON.stringify(record.checksums),
    parts_count: record.partsCount ?? null,
    segments:
      record.body.kind === "blobs"
        ? record.body.segments.map((s) => `${s.blob}:${s.size}`).join(" ")
        : "",
    small_body: record.body.kind === "small" ? record.body.id : null,
  };
}

export function parseSegments(text: string): Segment[] {
  if (text === "") return [];
  return text.split(" ").map((part) => {
    const [blob = "", size = "0"] = part.split(":");
    return { blob, size: Number(size) };
  });
}

/** The chunks already taken from `iterator`, then the rest of it. */
async function* resume(
  taken: readonly Uint8Array[],
  iterator: AsyncIterator<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  try {
    yield* taken;
    for (let next = await iterator.next(); !next.done; next = await iterator.next())
      yield next.value;
  } finally {
    // Stopped early (the disk failed): let the source release what it holds.
    await iterator.return?.();
  }
}

async function* chunksOf(bytes: Buffer): AsyncGenerator<Uint8Array> {
  if (bytes.length > 0) yield bytes;
}

function startsWith(bytes: Buffer, prefix: Buffer): boolean {
  return (
    bytes.length >= prefix.length && bytes.compare(prefix, 0, prefix.length, 0, prefix.length) === 0
  );
}

/** The common prefix `key` rolls up into, or undefined when it has no delimiter past the prefix. */
function commonPrefixOf(key: string, prefix: string, delimiter: string): string | undefined {
  const at = key.indexOf(delimiter, prefix.length);
  return at < 0 ? undefined : key.slice(0, at + delimiter.length);
}
