/**
 * The canonical request and the string to sign: the two texts a SigV4 signature is
 * computed over, as separate steps so that tests (and `SignatureDoesNotMatch` answers)
 * can show each one.
 *
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 */
import { sha256Hex } from "./crypto.js";
import { percentDecode, uriEncodeBytes } from "./uri-encode.js";

export const ALGORITHM = "AWS4-HMAC-SHA256";
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";

/** Request headers by lower-case name; a header sent more than once has all its values. */
export type HeaderMap = Readonly<Record<string, string | readonly string[] | undefined>>;

/** One query parameter: its name and value decoded, and both encoded S3's way for signing. */
export interface QueryParameter {
  readonly name: string;
  readonly value: string;
  readonly encodedName: string;
  readonly encodedValue: string;
}

const utf8 = new TextDecoder();

/**
 * Parses a raw query string (without `?`) as it arrived. Every name and value is decoded
 * and encoded again S3's way, so the canonical form does not depend on how the client
 * chose to escape. A raw `+` is read as a space, as form encoding and Go's `ParseQuery`
 * (MinIO) read it; SDKs never send one.
 */
export function parseQuery(raw: string): QueryParameter[] {
  const parameters: QueryParameter[] = [];
  if (raw === "") return parameters;
  for (const part of raw.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const [name, encodedName] = decodeComponent(eq < 0 ? part : part.slice(0, eq));
    const [value, encodedValue] = decodeComponent(eq < 0 ? "" : part.slice(eq + 1));
    parameters.push({ name, value, encodedName, encodedValue });
  }
  return parameters;
}

/** A raw query component, decoded and encoded again S3's way. */
function decodeComponent(raw: string): [decoded: string, encoded: string] {
  // Most components (every X-Amz-* value but the credential) need no decoding at all.
  if (PLAIN.test(raw)) return [raw, raw];
  const bytes = percentDecode(raw, true);
  return [utf8.decode(bytes), uriEncodeBytes(bytes)];
}

const PLAIN = /^[A-Za-z0-9\-_.~]*$/;

/** Sorted by encoded name, then encoded value (byte order), joined as `name=value&...`. */
export function canonicalQueryString(
  parameters: readonly { readonly encodedName: string; readonly encodedValue: string }[],
): string {
  if (parameters.length === 0) return "";
  const pairs = parameters.map((p) => [p.encodedName, p.encodedValue] as const);
  pairs.sort(comparePairs);
  let out = "";
  for (const [name, value] of pairs) out += `${out === "" ? "" : "&"}${name}=${value}`;
  return out;
}

export function comparePairs(a: readonly [string, string], b: readonly [string, string]): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return 0;
}

/**
 * A header value as SigV4 signs it: repeated values joined with `,`, each trimmed and
 * runs of spaces collapsed to one ("Trimall" in the SigV4 documentation).
 */
export function canonicalHeaderValue(value: string | readonly string[] | undefined): string {
  if (value === undefined) return "";
  if (typeof value === "string") return trimAll(value);
  return value.map(trimAll).join(",");
}

function trimAll(value: string): string {
  return value.trim().replace(/\s+/g, " ");
}

/** `name:value\n` for every signed header, in the (sorted, lower-case) order given. */
export function canonicalHeaders(headers: HeaderMap, signedHeaders: readonly string[]): string {
  let out = "";
  for (const name of signedHeaders) out += `${name}:${canonicalHeaderValue(headers[name])}\n`;
  return out;
}

export interface CanonicalRequestParts {
  readonly method: string;
  /** The path encoded S3's way (see `canonicalUri`). */
  readonly canonicalUri: string;
  readonly canonicalQuery: string;
  /** The output of `canonicalHeaders`: one `name:value\n` line per signed header. */
  readonly canonicalHeaders: string;
  /** Lower-case, sorted, `;`-joined. */
  readonly signedHeaders: string;
  /** Hex SHA-256 of the body, `UNSIGNED-PAYLOAD`, or a `STREAMING-...` marker. */
  readonly payloadHash: string;
}

export function canonicalRequest(parts: CanonicalRequestParts): string {
  return `${parts.method}\n${parts.canonicalUri}\n${parts.canonicalQuery}\n${parts.canonicalHeaders}\n${parts.signedHeaders}\n${parts.payloadHash}`;
}

/** `yyyyMMdd/region/service/aws4_request`. */
export function credentialScope(date: string, region: string, service: string): string {
  return `${date}/${region}/${service}/aws4_request`;
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`;
}
