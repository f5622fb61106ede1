/** What every operation gets, and the small helpers most of them share. */
import type { Verified } from "@sluice/sigv4";
import { Digests } from "../checksums.js";
import type { Flavor } from "../flavor.js";
import type { BucketRecord, ObjectStorage } from "../storage/object-storage.js";
import { algorithmsFor, checkClaims, readClaims } from "./integrity.js";
import { RequestBody } from "./request-body.js";
import { noSuchBucket, S3Error } from "./s3-error.js";
import type { S3Request } from "./s3-request.js";

export interface OperationContext {
  readonly request: S3Request;
  readonly verified: Verified;
  readonly storage: ObjectStorage;
  readonly flavor: Flavor;
  readonly now: () => Date;
}

export type OperationHandler = (context: OperationContext) => Promise<Response>;

export function requireBucket(context: OperationContext): BucketRecord {
  const name = context.request.bucket as string;
  const bucket = context.storage.getBucket(name);
  if (!bucket) throw noSuchBucket(name);
  return bucket;
}

export function requireKey(context: OperationContext): string {
  const key = context.request.key as string;
  const length = Buffer.byteLength(key, "utf8");
  if (length > context.flavor.maxKeyBytes) throw keyTooLong(context.flavor, length);
  return key;
}

/**
 * S3's KeyTooLongError; R2's error table gives `400 InvalidObjectName` ("Object key
 * contains invalid characters or is too long", https://developers.cloudflare.com/r2/api/error-codes/).
 */
export function keyTooLong(flavor: Flavor, length: number): S3Error {
  return new S3Error(
    flavor.name === "r2" ? "InvalidObjectName" : "KeyTooLongError",
    flavor.name === "r2"
      ? `The specified object name is not valid: it has ${length} bytes, the limit is ${flavor.maxKeyBytes}.`
      : "Your key is too long",
    { MaxSizeAllowed: flavor.maxKeyBytes, Size: length },
  );
}

export function xmlResponse(
  body: string,
  init: { status?: number; headers?: Record<string, string> } = {},
): Response {
  return new Response(body, {
    status: init.status ?? 200,
    headers: { "content-type": "application/xml", ...init.headers },
  });
}

/** Reads a small body whole (an XML document), with its integrity claims checked. */
export async function readSmallBody(context: OperationContext, maxBytes: number): Promise<Buffer> {
  const claims = readClaims(context.request, context.verified);
  const body = new RequestBody(context.request, context.verified, maxBytes);
  const digests = new Digests(algorithmsFor(claims), { sha256Hex: claims.sha256Hex !== undefined });
  const parts: Uint8Array[] = [];
  for await (const chunk of body.chunks()) {
    digests.update(chunk);
    parts.push(chunk);
  }
  checkClaims(claims, digests.finish(), body.trailers);
  return Buffer.concat(parts);
}

/** HTTP dates, as S3 sends Last-Modified. */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** ISO 8601 with milliseconds, as S3 writes dates in XML. */
export function xmlDate(ms: number): string {
  return new Date(ms).toISOString();
}
