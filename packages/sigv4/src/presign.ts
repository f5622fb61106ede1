/**
 * Presigned (query-string authenticated) URLs.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
 *
 * Every header passed in is signed, and the caller gets back exactly the headers that the
 * client must send: a presigned URL here binds what it claims to bind. (The AWS SDK's
 * presigner signs only `host` unless told otherwise, so its "content type" restricts
 * nothing.) The URL's query is ordered as the AWS SDK orders it, so the same inputs give
 * the same bytes.
 */
import {
  ALGORITHM,
  canonicalHeaderValue,
  canonicalRequest,
  comparePairs,
  credentialScope,
  parseQuery,
  stringToSign,
  UNSIGNED_PAYLOAD,
} from "./canonical-request.js";
import { hmacHex } from "./crypto.js";
import { splitUrl } from "./object-url.js";
import { type Credentials, type HeaderInput, normalizeHeaders } from "./request-headers.js";
import { signingKey } from "./signing-key.js";
import { toAmzDate } from "./time.js";
import { canonicalUri, uriEncode } from "./uri-encode.js";

/** "X-Amz-Expires [...] Minimum value of 1. Maximum value of 604800." */
export const MAX_EXPIRES_SECONDS = 604_800;

export interface PresignInput {
  readonly method: string;
  /** Endpoint, path (percent-encoded, see `objectUrl`) and any query the request needs. */
  readonly url: string | URL;
  /** Headers to bind. Each is signed; the client must send each with exactly this value. */
  readonly headers?: HeaderInput;
  readonly credentials: Credentials;
  /** `auto` for R2. */
  readonly region: string;
  readonly service?: string;
  /** Lifetime in seconds, 1..604800. */
  readonly expiresIn: number;
  /** The signing time; defaults to now. */
  readonly signingDate?: Date;
  /** Defaults to `UNSIGNED-PAYLOAD`; a hex SHA-256 binds the body too. */
  readonly payloadHash?: string;
}

export interface PresignedRequest {
  readonly method: string;
  readonly url: string;
  /** The headers the client must send, exactly (never `host`: clients set it). */
  readonly headers: Readonly<Record<string, string>>;
  readonly signedHeaders: readonly string[];
  readonly expiresAt: Date;
}

export function presign(input: PresignInput): PresignedRequest {
  const { credentials, region, expiresIn } = input;
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_EXPIRES_SECONDS) {
    throw new RangeError(`expiresIn must be an integer from 1 to ${MAX_EXPIRES_SECONDS} seconds`);
  }
  const service = input.service ?? "s3";
  const url = splitUrl(input.url);
  const signingDate = input.signingDate ?? new Date();
  const amzDate = toAmzDate(signingDate);
  const date = amzDate.slice(0, 8);
  const scope = credentialScope(date, region, service);

  const headers = normalizeHeaders(input.headers);
  const signed: [string, string][] = [["host", url.host], ...headers];
  signed.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  let canonicalHeaderLines = "";
  for (const [name, value] of signed)
    canonicalHeaderLines += `${name}:${canonicalHeaderValue(value)}\n`;
  const signedHeaderNames = signed.map(([name]) => name);
  const signedHeaders = signedHeaderNames.join(";");

  const query: [string, string][] = parseQuery(url.query).map((p) => [
    p.encodedName,
    p.encodedValue,
  ]);
  query.push(
    ["X-Amz-Algorithm", ALGORITHM],
    ["X-Amz-Content-Sha256", input.payloadHash ?? UNSIGNED_PAYLOAD],
    ["X-Amz-Credential", uriEncode(`${credentials.accessKeyId}/${scope}`)],
    ["X-Amz-Date", amzDate],
    ["X-Amz-Expires", String(expiresIn)],
    ["X-Amz-SignedHeaders", uriEncode(signedHeaders)],
  );
  if (credentials.sessionToken !== undefined) {
    query.push(["X-Amz-Security-Token", uriEncode(credentials.sessionToken)]);
  }
  query.sort(comparePairs);
  let canonicalQuery = "";
  for (const [name, value] of query)
    canonicalQuery += `${canonicalQuery === "" ? "" : "&"}${name}=${value}`;

  const path = canonicalUri(url.path);
  const canonical = canonicalRequest({
    method: input.method,
    canonicalUri: path,
    canonicalQuery,
    canonicalHeaders: canonicalHeaderLines,
    signedHeaders,
    payloadHash: input.payloadHash ?? UNSIGNED_PAYLOAD,
  });
  const key = signingKey(credentials.secretAccessKey, date, region, service);
  const signature = hmacHex(key, stringToSign(amzDate, scope, canonical));

  // The signature takes its sorted place among the parameters, as the AWS SDK puts it.
  const at = query.findIndex(([name]) => name > "X-Amz-Signature");
  query.splice(at < 0 ? query.length : at, 0, ["X-Amz-Signature", signature]);
  let search = "";
  for (const [name, value] of query) search += `${search === "" ? "?" : "&"}${name}=${value}`;

  return {
    method: input.method,
    url: `${url.protocol}//${url.host}${path}${search}`,
    headers: Object.fromEntries(headers),
    signedHeaders: signedHeaderNames,
    expiresAt: new Date(Math.floor(signingDate.getTime() / 1000) * 1000 + expiresIn * 1000),
  };
}
