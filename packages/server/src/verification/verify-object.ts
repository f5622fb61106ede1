/**
 * After an upload, look at what really arrived before anyone is told it did: the object
 * exists, has the declared size and the signed Content-Type (and SHA-256, when the store
 * reports one), and its first bytes are what the type says.
 *
 * A PUT may add headers its URL does not sign (S3 stores Content-Encoding, Content-Disposition,
 * Cache-Control, Content-Language and Expires from any PUT); what the route does not allow
 * is refused here. The bytes are read as stored, never content-decoded. Every answer is
 * a decision — verified, missing, or refused with the reason — except a store that cannot
 * be reached, which is tried again.
 *
 * A declared SHA-256 is vouched for only when the store reports the same one: R2 and S3
 * check the signed `x-amz-checksum-sha256` of a single PUT, but Ceph RGW 16.2 ignores it,
 * and a multipart object's checksum is of its parts' checksums.
 */
import type { S3Api } from "@sluice/s3/client";
import { S3RequestError } from "@sluice/s3/client";
import type { Intent } from "../ledger/ledger.js";
import { checkMagicBytes, SNIFF_BYTES } from "./magic-bytes.js";

export type Verification =
  | {
      readonly kind: "verified";
      readonly etag: string;
      /** The object's size (HEAD's), which is the declared one when there was one. */
      readonly size: number;
      /** The declared SHA-256 (hex), when the store reported that very one. */
      readonly sha256: string | undefined;
    }
  /** Nothing there (yet). */
  | { readonly kind: "missing" }
  /** Something there that is not what was promised; it must go. */
  | { readonly kind: "refused"; readonly reason: string };

/** The route's limits, checked against the object when the intent declared no size. */
export interface SizeLimits {
  readonly minSize: number;
  readonly maxSize: number;
}

export async function verifyObject(
  s3: S3Api,
  intent: Intent,
  allowHeaders: readonly string[] = [],
  limits?: SizeLimits,
): Promise<Verification> {
  const head = await s3.headObject(intent.key);
  if (!head) return { kind: "missing" };
  if (intent.size !== undefined && head.size !== intent.size) {
    return {
      kind: "refused",
      reason: `the object has ${head.size} bytes, not the declared ${intent.size}`,
    };
  }
  // No URL bound a length (Companion's requests carry none): the limits hold here.
  if (intent.size === undefined && limits && head.size > limits.maxSize) {
    return {
      kind: "refused",
      reason: `the object has ${head.size} bytes; this route takes at most ${limits.maxSize}`,
    };
  }
  if (intent.size === undefined && limits && head.size < limits.minSize) {
    return {
      kind: "refused",
      reason: `the object has ${head.size} bytes; this route takes at least ${limits.minSize}`,
    };
  }
  if (head.contentType !== intent.type) {
    return {
      kind: "refused",
      reason: `the object's Content-Type is ${head.contentType ?? "missing"}, not the declared ${intent.type}`,
    };
  }
  for (const [name, value] of Object.entries(head.storedHeaders)) {
    if (name === "content-encoding" && /^\s*(identity)?\s*$/i.test(value)) continue;
    // fetch itself adds `Cache-Control: no-cache` (Node) or `max-age=0` (Chromium) to a
    // request with If-None-Match, which every URL here binds, and S3 stores it: harmless
    // (it only asks caches to revalidate), and not the page's choice.
    // https://fetch.spec.whatwg.org/#http-network-or-cache-fetch
    if (name === "cache-control" && /^\s*(no-cache|max-age=0)\s*$/i.test(value)) continue;
    if (!allowHeaders.includes(name)) {
      return {
        kind: "refused",
        reason: `the PUT stored ${name}: ${JSON.stringify(value.slice(0, 100))}, which this route does not allow`,
      };
    }
  }
  let sha256: string | undefined;
  // A multipart object's checksum is of its parts' checksums ("…-N"): not comparable.
  if (intent.sha256 !== undefined && head.checksumSha256?.includes("-") === false) {
    if (head.checksumSha256 !== Buffer.from(intent.sha256, "hex").toString("base64")) {
      return { kind: "refused", reason: "the object's SHA-256 is not the declared one" };
    }
    sha256 = intent.sha256;
  }
  let bytes: Uint8Array;
  try {
    bytes =
      head.size === 0
        ? new Uint8Array(0)
        : await s3.getObjectRange(intent.key, 0, Math.min(SNIFF_BYTES, head.size) - 1);
  } catch (error) {
    // Answered, but not as stored bytes: no later try reads them either.
    if (error instanceof S3RequestError && error.code === "InvalidResponse") {
      return { kind: "refused", reason: error.message };
    }
    throw error;
  }
  const mismatch = await checkMagicBytes(intent.type, bytes);
  if (mismatch) return { kind: "refused", reason: mismatch };
  return { kind: "verified", etag: head.etag, size: head.size, sha256 };
}
