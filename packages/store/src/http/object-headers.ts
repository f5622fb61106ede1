/**
 * The headers an object keeps: the ones S3 stores and returns verbatim, and user
 * metadata (`x-amz-meta-*`), read from a request and written back on GET and HEAD.
 */
import { STORED_HEADERS } from "@sluice/s3";
import type { Flavor } from "../flavor.js";
import type { ObjectAttributes, ObjectRecord } from "../storage/object-storage.js";
import { checkStoredHeader } from "./header-values.js";
import { httpDate } from "./operation.js";
import { S3Error } from "./s3-error.js";

export function attributesFrom(
  headers: Headers,
  flavor: Flavor,
): Omit<ObjectAttributes, "checksums"> {
  const stored: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    let value = headers.get(name);
    // aws-chunked is how the body travelled, not how it is stored.
    if (name === "content-encoding" && value !== null) {
      value = value
        .split(",")
        .map((e) => e.trim())
        .filter((e) => e !== "" && e !== "aws-chunked")
        .join(", ");
      if (value === "") value = null;
    }
    if (value !== null) {
      checkStoredHeader(name, value);
      stored[name] = value;
    }
  }
  const metadata: Record<string, string> = {};
  let metadataBytes = 0;
  for (const [name, value] of headers) {
    if (!name.startsWith("x-amz-meta-")) continue;
    const key = name.slice("x-amz-meta-".length);
    checkStoredHeader(name, value);
    metadata[key] = value;
    metadataBytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (metadataBytes > flavor.maxMetadataBytes) {
    throw new S3Error(
      "MetadataTooLarge",
      "Your metadata headers exceed the maximum allowed metadata size.",
      {
        Size: metadataBytes,
        MaxSizeAllowed: flavor.maxMetadataBytes,
      },
    );
  }
  const contentType = headers.get("content-type") ?? undefined;
  if (contentType !== undefined) checkStoredHeader("content-type", contentType);
  return { contentType, headers: stored, metadata };
}

/** The headers of a GET or HEAD response for the object (not its length or range). */
export function objectResponseHeaders(
  record: ObjectRecord,
  withChecksums: boolean,
): Record<string, string> {
  const out: Record<string, string> = {
    etag: `"${record.etag}"`,
    "last-modified": httpDate(record.lastModifiedMs),
    "content-type": record.contentType ?? "application/octet-stream",
    "accept-ranges": "bytes",
  };
  for (const [name, value] of Object.entries(record.headers)) out[name] = value;
  for (const [name, value] of Object.entries(record.metadata)) out[`x-amz-meta-${name}`] = value;
  if (record.partsCount !== undefined) out["x-amz-mp-parts-count"] = String(record.partsCount);
  if (withChecksums) {
    for (const [algorithm, value] of Object.entries(record.checksums))
      out[`x-amz-checksum-${algorithm}`] = value;
  }
  return out;
}
