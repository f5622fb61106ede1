/** The three primitives SigV4 needs, on node:crypto (OpenSSL), the fastest available here. */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

export function hmac(key: Uint8Array | string, data: string): Buffer {
  return createHmac("sha256", key).update(data, "utf8").digest();
}

export function hmacHex(key: Uint8Array, data: string): string {
  return createHmac("sha256", key).update(data, "utf8").digest("hex");
}

/** Compares two signatures (hex strings) without leaking where they first differ. */
export function signaturesEqual(expected: string, provided: string): boolean {
  const a = Buffer.from(expected, "latin1");
  const b = Buffer.from(provided, "latin1");
  return a.length === b.length && timingSafeEqual(a, b);
}
