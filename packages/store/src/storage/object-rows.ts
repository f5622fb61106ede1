/**
 * The row codec: how an object record is laid out in the `objects` table and read back.
 * Keys are BLOBs of their UTF-8 bytes (so SQLite orders them as S3 lists them); a
 * record's attributes are JSON; its blobs are one text column, `id:size id:size ...`.
 */
import type { ObjectRecord, Segment } from "./records.js";

export interface ObjectRow {
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

export function toObject(row: ObjectRow): ObjectRecord {
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
