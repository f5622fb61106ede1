/**
 * What a server saw, read from the `CanonicalRequest` and `StringToSign` that S3 (and
 * Sluice's store) put in a `SignatureDoesNotMatch` answer: the method, the path, the
 * query, each signed header with the value it used, the payload hash, the signing date
 * and scope. The canonical request is, line by line (SigV4):
 *
 *   METHOD \n CanonicalURI \n CanonicalQuery \n (name:value \n)* \n SignedHeaders \n Payload
 *
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 */
import { parseQuery, type QueryParameter } from "./canonical-request.js";
import { hmacHex } from "./crypto.js";
import { signingKey } from "./signing-key.js";
import { percentDecode } from "./uri-encode.js";

export interface CanonicalRequestView {
  readonly method: string;
  /** As canonicalized: percent-encoded. */
  readonly canonicalUri: string;
  /** Decoded, for people. */
  readonly path: string;
  readonly canonicalQuery: string;
  readonly query: readonly QueryParameter[];
  /** In signed order, values as the server used them. */
  readonly headers: readonly (readonly [name: string, value: string])[];
  readonly signedHeaders: readonly string[];
  readonly payloadHash: string;
}

export interface SigningScope {
  readonly amzDate: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
}

/** `undefined` when the text is not a canonical request. */
export function parseCanonicalRequest(text: string): CanonicalRequestView | undefined {
  const lines = text.split("\n");
  if (lines.length < 6) return undefined;
  const [method = "", canonicalUri = "", canonicalQuery = ""] = lines;
  const payloadHash = lines[lines.length - 1] ?? "";
  const signedHeaders = (lines[lines.length - 2] ?? "").split(";").filter((h) => h !== "");
  if (lines[lines.length - 3] !== "") return undefined;
  const headers: [string, string][] = [];
  for (const line of lines.slice(3, lines.length - 3)) {
    const colon = line.indexOf(":");
    if (colon <= 0) return undefined;
    headers.push([line.slice(0, colon), line.slice(colon + 1)]);
  }
  return {
    method,
    canonicalUri,
    path: new TextDecoder().decode(percentDecode(canonicalUri, false)),
    canonicalQuery,
    query: parseQuery(canonicalQuery),
    headers,
    signedHeaders,
    payloadHash,
  };
}

/** `AWS4-HMAC-SHA256 \n amzDate \n date/region/service/aws4_request \n hash`. */
export function parseStringToSign(text: string): SigningScope | undefined {
  const [algorithm, amzDate, scope] = text.split("\n");
  if (algorithm !== "AWS4-HMAC-SHA256" || amzDate === undefined || scope === undefined) {
    return undefined;
  }
  const [date, region, service, terminal] = scope.split("/");
  if (
    date === undefined ||
    region === undefined ||
    service === undefined ||
    terminal === undefined
  ) {
    return undefined;
  }
  return { amzDate, date, region, service };
}

/** The signature a secret gives the server's string to sign: one HMAC with the SigV4 key. */
export function signatureOf(secret: string, scope: SigningScope, stringToSign: string): string {
  return hmacHex(signingKey(secret, scope.date, scope.region, scope.service), stringToSign);
}
