/**
 * The store's disk: buckets, objects and their bytes, and multipart uploads, behind one
 * class the HTTP layer calls. Each idea lives in a module of its own: `buckets.ts`, the
 * commit path (`object-commits.ts`), listing (`object-listing.ts`), recovery at start-up
 * (`recovery.ts`), the row codec (`object-rows.ts`), bodies in and out
 * (`object-bodies.ts`), and where bytes live on disk (`blob-files.ts`).
 *
 * This module never builds a response; refusals are returned as values for the HTTP
 * layer to turn into S3 errors.
 */
import { join } from "node:path";
import { BlobFiles } from "./blob-files.js";
import { Buckets } from "./buckets.js";
import { type Db, openDatabase, WalSync } from "./database.js";
import { MultipartUploads } from "./multipart-uploads.js";
import { chunksOf, readBlobs, receiveBody } from "./object-bodies.js";
import { ObjectCommits } from "./object-commits.js";
import { type ListOptions, type ListPage, ObjectListing } from "./object-listing.js";
import type {
  BucketRecord,
  CommitResult,
  ConditionCheck,
  ObjectRecord,
  PendingBody,
  TempBlob,
} from "./records.js";
import { recover } from "./recovery.js";

export { SMALL_BODY_MAX_BYTES } from "./object-bodies.js";
export type { ListOptions, ListPage } from "./object-listing.js";
export type {
  BucketRecord,
  CommitResult,
  ConditionCheck,
  ObjectAttributes,
  ObjectBody,
  ObjectRecord,
  PendingBody,
  Segment,
  SmallBody,
  TempBlob,
} from "./records.js";

export class ObjectStorage {
  readonly #db: Db;
  readonly #wal: WalSync;
  readonly #files: BlobFiles;
  readonly #buckets: Buckets;
  readonly #objects: ObjectCommits;
  readonly #listing: ObjectListing;
  readonly uploads: MultipartUploads;

  private constructor(dataDir: string) {
    this.#files = new BlobFiles(dataDir);
    const databasePath = join(dataDir, "metadata.sqlite3");
    this.#db = openDatabase(databasePath);
    this.#wal = new WalSync(databasePath);
    this.#buckets = new Buckets(this.#db, this.#wal);
    this.#objects = new ObjectCommits(this.#db, this.#wal, this.#files, this.#buckets);
    this.#listing = new ObjectListing(this.#db);
    this.uploads = new MultipartUploads(
      this.#db,
      this.#wal,
      this.#files,
      this.#buckets,
      this.#objects,
    );
  }

  /** Opens (creating if needed) the store in `dataDir` and removes what a crash left. */
  static open(dataDir: string): ObjectStorage {
    const storage = new ObjectStorage(dataDir);
    storage.recover();
    return storage;
  }

  close(): void {
    this.#db.close();
    this.#wal.close();
  }

  /** Removes temporary files and blobs no metadata names (see `recovery.ts`). */
  recover(): { temporary: number; orphans: number } {
    return recover(this.#db, this.#files);
  }

  // Buckets

  listBuckets(): BucketRecord[] {
    return this.#buckets.list();
  }

  getBucket(name: string): BucketRecord | undefined {
    return this.#buckets.get(name);
  }

  /** False when the bucket already exists. */
  createBucket(name: string, nowMs: number): boolean {
    return this.#buckets.create(name, nowMs);
  }

  deleteBucket(name: string): "deleted" | "missing" | "not-empty" {
    return this.#buckets.delete(name);
  }

  /** False when the bucket does not exist. */
  setCors(bucket: string, cors: string | undefined): boolean {
    return this.#buckets.setCors(bucket, cors);
  }

  // Objects

  getObject(bucket: string, key: string): ObjectRecord | undefined {
    return this.#objects.get(bucket, key);
  }

  /** Streams `source` to a temporary blob (a part's body); on any error nothing remains. */
  writeTemp(source: AsyncIterable<Uint8Array>): Promise<TempBlob> {
    return this.#files.writeTemp(source);
  }

  /**
   * Receives an object's body: held in memory while it is small, streamed to a temporary
   * blob from the moment it is larger. Memory stays bounded.
   */
  receive(source: AsyncIterable<Uint8Array>): Promise<PendingBody> {
    return receiveBody(this.#files, source);
  }

  async discard(body: PendingBody): Promise<void> {
    if (body.kind === "file") await this.#files.discard(body);
  }

  /** See `ObjectCommits.commit`. */
  commitObject<F>(
    bucket: string,
    key: string,
    pending: PendingBody,
    fields: Omit<ObjectRecord, "bucket" | "key" | "body" | "size">,
    condition: ConditionCheck<F>,
  ): Promise<CommitResult<F>> {
    return this.#objects.commit(bucket, key, pending, fields, condition);
  }

  /** Removes the object, if any; true when there was one. */
  deleteObject(bucket: string, key: string): Promise<boolean> {
    return this.#objects.delete(bucket, key);
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
    if (record.body.kind === "blobs")
      return readBlobs(this.#files, record.body.segments, start, end);
    const bytes = this.#objects.smallBody(record.body.id);
    if (!bytes) throw new Error(`the bytes of ${record.bucket}/${record.key} are gone`);
    return chunksOf(bytes.subarray(start, end + 1));
  }

  /** One page of a bucket's keys in S3's order (see `object-listing.ts`). */
  listObjects(bucket: string, options: ListOptions): ListPage {
    return this.#listing.list(bucket, options);
  }
}
