/**
 * What the store keeps, as the rest of the store sees it: buckets, objects and where an
 * object's bytes are. Types only, so every storage module can name them without
 * importing another's code.
 */
import type { TempBlob } from "./blob-files.js";

export type { TempBlob };

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

/** A small body, received into memory; it becomes part of its object's commit. */
export interface SmallBody {
  readonly kind: "small";
  readonly bytes: Buffer;
  readonly size: number;
}

/** A body received (and its checksums checked) that is not an object yet. */
export type PendingBody = TempBlob | SmallBody;

/** Decides a write's condition against the object the key holds at commit time: undefined to go ahead. */
export type ConditionCheck<F> = (current: { readonly etag: string } | undefined) => F | undefined;

export type CommitResult<F> =
  | { readonly ok: true; readonly record: ObjectRecord }
  | { readonly ok: false; readonly reason: "no-bucket" }
  | { readonly ok: false; readonly reason: "condition"; readonly failure: F };
