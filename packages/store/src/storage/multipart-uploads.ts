/**
 * Multipart uploads on disk. Each part is a blob of its own, written like any object
 * (temporary file, fsync, rename) and then named in the `parts` table; a part sent again
 * replaces the earlier one. Completion copies nothing: in one transaction the object's
 * row is written naming the listed parts' blobs in order, and the upload and its part
 * rows are removed. So the object appears whole or not at all, also if the process dies
 * mid-completion, and an upload in progress survives a restart.
 */
import { randomBytes } from "node:crypto";
import type { BlobFiles } from "./blob-files.js";
import type { Buckets } from "./buckets.js";
import type { Db, WalSync } from "./database.js";
import type { ObjectCommits } from "./object-commits.js";
import type {
  ConditionCheck,
  ObjectAttributes,
  ObjectRecord,
  Segment,
  TempBlob,
} from "./records.js";

export interface UploadRecord extends Omit<ObjectAttributes, "checksums"> {
  readonly uploadId: string;
  readonly bucket: string;
  readonly key: string;
  readonly initiatedMs: number;
  readonly checksumAlgorithm: string | undefined;
  /** `absent`: created with If-None-Match: *, which completion enforces. */
  readonly condition: "absent" | undefined;
}

export interface PartRecord {
  readonly partNumber: number;
  readonly blob: string;
  readonly size: number;
  /** Hex MD5, without quotes. */
  readonly etag: string;
  readonly checksums: Readonly<Record<string, string>>;
  readonly lastModifiedMs: number;
}

export interface CompletedUpload {
  readonly uploadId: string;
  readonly bucket: string;
  readonly key: string;
  readonly etag: string;
  /** `partNumber:etag` of each listed part, in order. */
  readonly parts: string;
}

/** What the caller decides, inside the completion transaction, from the upload and its parts. */
export type CompletionPlan<E> =
  | { readonly ok: false; readonly error: E }
  | {
      readonly ok: true;
      readonly parts: readonly PartRecord[];
      readonly record: Omit<ObjectRecord, "body" | "size" | "bucket" | "key">;
      readonly condition: ConditionCheck<E>;
    };

export type CompletionResult<E> =
  | { readonly ok: true; readonly record: ObjectRecord }
  | { readonly ok: false; readonly reason: "no-upload" | "no-bucket" }
  | { readonly ok: false; readonly reason: "refused"; readonly error: E };

export interface UploadListing {
  readonly uploads: UploadRecord[];
  readonly commonPrefixes: string[];
  readonly isTruncated: boolean;
  readonly nextKeyMarker: string | undefined;
  readonly nextUploadIdMarker: string | undefined;
}

interface UploadRow {
  upload_id: string;
  bucket: string;
  key: Buffer;
  initiated_ms: number;
  content_type: string | null;
  headers: string;
  metadata: string;
  checksum_algorithm: string | null;
  condition: string | null;
}

interface PartRow {
  upload_id: string;
  part_number: number;
  blob: string;
  size: number;
  etag: string;
  checksums: string;
  last_modified_ms: number;
}

export class MultipartUploads {
  readonly #db: Db;
  readonly #wal: WalSync;
  readonly #files: BlobFiles;
  readonly #buckets: Buckets;
  readonly #objects: ObjectCommits;
  readonly #statements;

  constructor(db: Db, wal: WalSync, files: BlobFiles, buckets: Buckets, objects: ObjectCommits) {
    this.#db = db;
    this.#wal = wal;
    this.#files = files;
    this.#buckets = buckets;
    this.#objects = objects;
    this.#statements = {
      insertUpload: db.prepare(
        `INSERT INTO uploads (upload_id, bucket, key, initiated_ms, content_type, headers, metadata, checksum_algorithm, condition)
         VALUES (@upload_id, @bucket, @key, @initiated_ms, @content_type, @headers, @metadata, @checksum_algorithm, @condition)`,
      ),
      getUpload: db.prepare<[string], UploadRow>("SELECT * FROM uploads WHERE upload_id = ?"),
      deleteUpload: db.prepare<[string]>("DELETE FROM uploads WHERE upload_id = ?"),
      getPart: db.prepare<[string, number], PartRow>(
        "SELECT * FROM parts WHERE upload_id = ? AND part_number = ?",
      ),
      upsertPart: db.prepare(
        `INSERT INTO parts (upload_id, part_number, blob, size, etag, checksums, last_modified_ms)
         VALUES (@upload_id, @part_number, @blob, @size, @etag, @checksums, @last_modified_ms)
         ON CONFLICT (upload_id, part_number) DO UPDATE SET blob = excluded.blob, size = excluded.size,
           etag = excluded.etag, checksums = excluded.checksums, last_modified_ms = excluded.last_modified_ms`,
      ),
      partsFrom: db.prepare<[string, number, number], PartRow>(
        "SELECT * FROM parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?",
      ),
      allParts: db.prepare<[string], PartRow>(
        "SELECT * FROM parts WHERE upload_id = ? ORDER BY part_number",
      ),
      deleteParts: db.prepare<[string]>("DELETE FROM parts WHERE upload_id = ?"),
      insertCompleted: db.prepare(
        "INSERT OR REPLACE INTO completed_uploads (upload_id, bucket, key, etag, parts, completed_ms) VALUES (?, ?, ?, ?, ?, ?)",
      ),
      getCompleted: db.prepare<
        [string],
        { upload_id: string; bucket: string; key: Buffer; etag: string; parts: string }
      >("SELECT upload_id, bucket, key, etag, parts FROM completed_uploads WHERE upload_id = ?"),
      forgetCompleted: db.prepare<[number]>("DELETE FROM completed_uploads WHERE completed_ms < ?"),
      expired: db.prepare<[number], { upload_id: string }>(
        "SELECT upload_id FROM uploads WHERE initiated_ms < ?",
      ),
      uploadsAfter: db.prepare<
        [{ bucket: string; key: Buffer; uploadId: string; limit: number }],
        UploadRow
      >(
        `SELECT * FROM uploads WHERE bucket = @bucket AND (key > @key OR (key = @key AND upload_id > @uploadId))
         ORDER BY key, upload_id LIMIT @limit`,
      ),
    };
  }

  create(
    bucket: string,
    key: string,
    attributes: Omit<ObjectAttributes, "checksums">,
    options: { checksumAlgorithm: string | undefined; condition: "absent" | undefined },
    nowMs: number,
  ): UploadRecord | undefined {
    if (!this.#buckets.get(bucket)) return undefined;
    // Long and random, like S3's: an upload id is as good as a capability.
    const uploadId = randomBytes(24).toString("base64url");
    this.#statements.insertUpload.run({
      upload_id: uploadId,
      bucket,
      key: Buffer.from(key, "utf8"),
      initiated_ms: nowMs,
      content_type: attributes.contentType ?? null,
      headers: JSON.stringify(attributes.headers),
      metadata: JSON.stringify(attributes.metadata),
      checksum_algorithm: options.checksumAlgorithm ?? null,
      condition: options.condition ?? null,
    });
    this.#wal.syncNow();
    return this.get(uploadId);
  }

  get(uploadId: string): UploadRecord | undefined {
    const row = this.#statements.getUpload.get(uploadId);
    return row ? toUpload(row) : undefined;
  }

  completed(uploadId: string): CompletedUpload | undefined {
    const row = this.#statements.getCompleted.get(uploadId);
    return row
      ? {
          uploadId: row.upload_id,
          bucket: row.bucket,
          key: row.key.toString("utf8"),
          etag: row.etag,
          parts: row.parts,
        }
      : undefined;
  }

  /** Names a written part; false (and the blob removed) when the upload is gone meanwhile. */
  async commitPart(
    uploadId: string,
    partNumber: number,
    temp: TempBlob,
    fields: { etag: string; checksums: Readonly<Record<string, string>> },
    nowMs: number,
  ): Promise<PartRecord | undefined> {
    await this.#files.place(temp);
    const part: PartRecord = {
      partNumber,
      blob: temp.id,
      size: temp.size,
      etag: fields.etag,
      checksums: fields.checksums,
      lastModifiedMs: nowMs,
    };
    const replaced = this.#db.transaction(() => {
      if (!this.#statements.getUpload.get(uploadId)) return undefined;
      const previous = this.#statements.getPart.get(uploadId, partNumber);
      this.#statements.upsertPart.run({
        upload_id: uploadId,
        part_number: partNumber,
        blob: part.blob,
        size: part.size,
        etag: part.etag,
        checksums: JSON.stringify(part.checksums),
        last_modified_ms: nowMs,
      });
      return previous ? [{ blob: previous.blob }] : [];
    })();
    if (replaced === undefined) {
      await this.#files.remove([{ blob: temp.id }]);
      return undefined;
    }
    await this.#wal.sync();
    await this.#files.remove(replaced);
    return part;
  }

  parts(
    uploadId: string,
    afterPartNumber: number,
    maxParts: number,
  ): { parts: PartRecord[]; isTruncated: boolean } {
    const rows = this.#statements.partsFrom.all(uploadId, afterPartNumber, maxParts + 1);
    return { parts: rows.slice(0, maxParts).map(toPart), isTruncated: rows.length > maxParts };
  }

  /** False when there was no such upload. */
  async abort(uploadId: string): Promise<boolean> {
    const removed = this.#db.transaction(() => {
      if (!this.#statements.getUpload.get(uploadId)) return undefined;
      const parts = this.#statements.allParts.all(uploadId);
      this.#statements.deleteParts.run(uploadId);
      this.#statements.deleteUpload.run(uploadId);
      return parts;
    })();
    if (removed === undefined) return false;
    await this.#wal.sync();
    await this.#files.remove(removed);
    return true;
  }

  /**
   * Completes an upload in one transaction. `plan` sees the upload and all its parts and
   * either refuses (its error comes back) or names the parts that make the object, its
   * row, and the condition to check against the key's current object.
   */
  async complete<E>(
    uploadId: string,
    partsListed: string,
    nowMs: number,
    plan: (upload: UploadRecord, parts: ReadonlyMap<number, PartRecord>) => CompletionPlan<E>,
  ): Promise<CompletionResult<E>> {
    const outcome = this.#db.transaction(() => {
      const row = this.#statements.getUpload.get(uploadId);
      if (!row) return { ok: false as const, reason: "no-upload" as const };
      const upload = toUpload(row);
      const parts = new Map(
        this.#statements.allParts.all(uploadId).map((p) => [p.part_number, toPart(p)]),
      );
      const decided = plan(upload, parts);
      if (!decided.ok)
        return { ok: false as const, reason: "refused" as const, error: decided.error };
      const segments: Segment[] = decided.parts.map((p) => ({ blob: p.blob, size: p.size }));
      const size = segments.reduce((sum, s) => sum + s.size, 0);
      const written = this.#objects.writeRow(
        {
          ...decided.record,
          bucket: upload.bucket,
          key: upload.key,
          size,
          body: { kind: "blobs", segments },
        },
        decided.condition,
      );
      if (!written.ok) {
        return written.reason === "no-bucket"
          ? { ok: false as const, reason: "no-bucket" as const }
          : { ok: false as const, reason: "refused" as const, error: written.failure };
      }
      const used = new Set(decided.parts.map((p) => p.blob));
      const unused = [...parts.values()].filter((p) => !used.has(p.blob));
      this.#statements.deleteParts.run(uploadId);
      this.#statements.deleteUpload.run(uploadId);
      this.#statements.insertCompleted.run(
        uploadId,
        upload.bucket,
        Buffer.from(upload.key, "utf8"),
        written.record.etag,
        partsListed,
        nowMs,
      );
      return {
        ok: true as const,
        record: written.record,
        garbage: [...written.replaced, ...unused],
      };
    })();
    if (!outcome.ok) return outcome;
    await this.#wal.sync();
    await this.#files.remove(outcome.garbage);
    return { ok: true, record: outcome.record };
  }

  /** Uploads of a bucket in key, then upload-id order, grouped by delimiter. */
  list(
    bucket: string,
    options: {
      prefix: string;
      delimiter: string | undefined;
      keyMarker: string | undefined;
      uploadIdMarker: string | undefined;
      maxUploads: number;
    },
  ): UploadListing {
    const { prefix, delimiter, maxUploads, keyMarker } = options;
    const uploads: UploadRecord[] = [];
    const commonPrefixes: string[] = [];
    let nextKeyMarker: string | undefined;
    let nextUploadIdMarker: string | undefined;
    const page = (isTruncated: boolean): UploadListing => ({
      uploads,
      commonPrefixes,
      isTruncated,
      nextKeyMarker: isTruncated ? nextKeyMarker : undefined,
      nextUploadIdMarker: isTruncated ? nextUploadIdMarker : undefined,
    });
    // Positions are (key, upload id) pairs; the query returns those after the cursor.
    // A key marker without an upload-id marker skips every upload of that key: "~"
    // sorts after every base64url upload id.
    let cursor: { key: Buffer; uploadId: string } = {
      key: Buffer.from(prefix, "utf8"),
      uploadId: "",
    };
    if (keyMarker !== undefined && keyMarker >= prefix) {
      cursor = { key: Buffer.from(keyMarker, "utf8"), uploadId: options.uploadIdMarker ?? "~" };
    }
    const batch = Math.min(maxUploads + 1, 1001);
    for (;;) {
      const rows = this.#statements.uploadsAfter.all({
        bucket,
        key: cursor.key,
        uploadId: cursor.uploadId,
        limit: batch,
      });
      let jumped = false;
      for (const row of rows) {
        const key = row.key.toString("utf8");
        if (!key.startsWith(prefix)) return page(false);
        if (uploads.length + commonPrefixes.length === maxUploads) return page(true);
        const at = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
        if (delimiter && at >= 0) {
          const group = key.slice(0, at + delimiter.length);
          if (keyMarker === undefined || group > keyMarker) {
            commonPrefixes.push(group);
            nextKeyMarker = group;
            nextUploadIdMarker = undefined;
          }
          // No UTF-8 byte is 0xFF: past every key in the group.
          cursor = {
            key: Buffer.concat([Buffer.from(group, "utf8"), Buffer.from([0xff])]),
            uploadId: "",
          };
          jumped = true;
          break;
        }
        uploads.push(toUpload(row));
        nextKeyMarker = key;
        nextUploadIdMarker = row.upload_id;
        cursor = { key: row.key, uploadId: row.upload_id };
      }
      if (!jumped && rows.length < batch) return page(false);
    }
  }

  /**
   * Aborts uploads initiated before `cutoffMs`; forgets completions older than it. All
   * the metadata goes in one transaction, made durable, before the first await: a store
   * closed meanwhile (it runs at start) cannot cut the sweep short, and a crash cannot
   * bring back an upload whose parts' files are gone. The files go after.
   */
  async reap(cutoffMs: number): Promise<number> {
    const { count, parts } = this.#db.transaction(() => {
      const expired = this.#statements.expired.all(cutoffMs);
      const parts: PartRow[] = [];
      for (const { upload_id } of expired) {
        parts.push(...this.#statements.allParts.all(upload_id));
        this.#statements.deleteParts.run(upload_id);
        this.#statements.deleteUpload.run(upload_id);
      }
      this.#statements.forgetCompleted.run(cutoffMs);
      return { count: expired.length, parts };
    })();
    if (count > 0) this.#wal.syncNow();
    await this.#files.remove(parts);
    return count;
  }
}

function toUpload(row: UploadRow): UploadRecord {
  return {
    uploadId: row.upload_id,
    bucket: row.bucket,
    key: row.key.toString("utf8"),
    initiatedMs: row.initiated_ms,
    contentType: row.content_type ?? undefined,
    headers: JSON.parse(row.headers),
    metadata: JSON.parse(row.metadata),
    checksumAlgorithm: row.checksum_algorithm ?? undefined,
    condition: row.condition === "absent" ? "absent" : undefined,
  };
}

function toPart(row: PartRow): PartRecord {
  return {
    partNumber: row.part_number,
    blob: row.blob,
    size: row.size,
    etag: row.etag,
    checksums: JSON.parse(row.checksums),
    lastModifiedMs: row.last_modified_ms,
  };
}
