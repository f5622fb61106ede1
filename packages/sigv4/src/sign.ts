/**
 * Header authentication: the `Authorization: AWS4-HMAC-SHA256 ...` form the SDKs and the
 * `aws` CLI use. Sluice's CLI and tests sign with it.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 */
import {
  ALGORITHM,
  canonicalHeaders,
  canonicalQueryString,
  canonicalRequest,
  credentialScope,
  parseQuery,
  stringToSign,
} from "./canonical-request.js";
import { EMPTY_SHA256, hmacHex, sha256Hex } from "./crypto.js";
import { splitUrl } from "./object-url.js";
import { type Credentials, type HeaderInput, normalizeHeaders } from "./request-headers.js";
import { signingKey } from "./signing-key.js";
import { toAmzDate } from "./time.js";
import { canonicalUri } from "./uri-encode.js";

export interface SignInput {
  readonly method: string;
  readonly url: string | URL;
  /** Headers to send; all are signed. */
  readonly headers?: HeaderInput;
  readonly credentials: Credentials;
  readonly region: string;
  readonly service?: string;
  readonly signingDate?: Date;
  /**
   * The body, hashed to `x-amz-content-sha256`; or give `payloadHash` (a hex SHA-256,
   * `UNSIGNED-PAYLOAD`, or a `STREAMING-...` marker). Neither means an empty body.
   */
  readonly body?: string | Uint8Array;
  readonly payloadHash?: string;
}

export interface SignedRequest {
  readonly method: string;
  readonly url: string;
  /** Every header to send, `authorization` included (lower-case names). */
  readonly headers: Readonly<Record<string, string>>;
  /** The signature, the seed of an `aws-chunked` body's chunk signatures. */
  readonly signature: string;
  readonly canonicalRequest: string;
  readonly stringToSign: string;
}

export function sign(input: SignInput): SignedRequest {
  const { credentials, region } = input;
  const service = input.service ?? "s3";
  const url = splitUrl(input.url);
  const amzDate = toAmzDate(input.signingDate ?? new Date());
  const date = amzDate.slice(0, 8);
  const scope = credentialScope(date, region, service);
  const payloadHash =
    input.payloadHash ?? (input.body === undefined ? EMPTY_SHA256 : sha256Hex(input.body));

  const headers: Record<string, string> = { host: url.host };
  for (const [name, value] of normalizeHeaders(input.headers)) headers[name] = value;
  headers["x-amz-date"] = amzDate;
  headers["x-amz-content-sha256"] = payloadHash;
  if (credentials.sessionToken !== undefined) {
    headers["x-amz-security-token"] = credentials.sessionToken;
  }
  const signedHeaderNames = Object.keys(headers).sort();
  const signedHeaders = signedHeaderNames.join(";");

  const canonical = canonicalRequest({
    method: input.method,
    canonicalUri: canonicalUri(url.path),
    canonicalQuery: canonicalQueryString(parseQuery(url.query)),
    canonicalHeaders: canonicalHeaders(headers, signedHeaderNames),
    signedHeaders,
    payloadHash,
  });
  const toSign = stringToSign(amzDate, scope, canonical);
  const signature = hmacHex(signingKey(credentials.secretAccessKey, date, region, service), toSign);
  headers.authorization = `${ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return {
    method: input.method,
    url: `${url.protocol}//${url.host}${url.path}${url.query === "" ? "" : `?${url.query}`}`,
    headers,
    signature,
    canonicalRequest: canonical,
    stringToSign: toSign,
  };
}
