/**
 * The signing key: HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
 * "aws4_request"). Four HMACs per signature would dominate presigning, and the key only
 * changes once a day, so it is cached per (secret, date, region, service).
 */
import { hmac } from "./crypto.js";

const MAX_CACHED_KEYS = 256;
const cache = new Map<string, Buffer>();

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const id = `${date}\n${region}\n${service}\n${secret}`;
  const cached = cache.get(id);
  if (cached !== undefined) return cached;
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), "aws4_request");
  // Dates move forward, so the oldest entry is the one to drop.
  if (cache.size >= MAX_CACHED_KEYS) cache.delete(cache.keys().next().value as string);
  cache.set(id, key);
  return key;
}
