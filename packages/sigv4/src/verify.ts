/**
 * Verifying a request's SigV4 signature, presigned (query) or `Authorization` header.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 *
 * The checks run in the order that reproduces AWS's recorded answers: parameters present
 * → algorithm → credential → date and expiry syntax → region and service → access key →
 * unsigned `x-amz-*` headers → signature → time (expired, not yet valid, skew). Every
 * failure says which check failed, with S3's code and message; a signature mismatch also
 * carries the canonical request and string to sign we computed, which S3 returns in
 * `SignatureDoesNotMatch` so a client can compare them with its own.
 *
 * The time checks take a tolerance (`maxSkewMs`, 15 minutes as AWS uses for header auth)
 * for presigned URLs dated slightly in the future too: the app server that signs and
 * the store that verifies are different machines.
 */
import {
  ALGORITHM,
  canonicalHeaders,
  canonicalQueryString,
  canonicalRequest,
  credentialScope,
  type HeaderMap,
  parseQuery,
  stringToSign,
  UNSIGNED_PAYLOAD,
} from "./canonical-request.js";
import { hmacHex, signaturesEqual } from "./crypto.js";
import { MAX_EXPIRES_SECONDS } from "./presign.js";
import { signingKey } from "./signing-key.js";
import { parseAmzDate, parseHttpDate, toAmzDate } from "./time.js";
import { canonicalUri } from "./uri-encode.js";

export const MAX_SKEW_MS = 15 * 60 * 1000;

export const STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
export const STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
export const STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

export interface VerifyRequest {
  readonly method: string;
  /** The path exactly as it arrived, still percent-encoded, without the query. */
  readonly path: string;
  /** The query exactly as it arrived, without `?`. */
  readonly query: string;
  /** Lower-case names; repeated headers as arrays (Node's `headersDistinct`). */
  readonly headers: HeaderMap;
}

export interface VerifyOptions {
  /** The secret for an access key id, or undefined when there is no such key. */
  readonly lookupSecret: (accessKeyId: string) => string | undefined;
  readonly now?: () => Date;
  /** Regions the credential scope may name; any when omitted. The first is "expected". */
  readonly regions?: readonly string[];
  readonly service?: string;
  readonly maxSkewMs?: number;
}

/** What the signature says about the body, for the reader of the body to enforce. */
export type PayloadSigning =
  | { readonly kind: "unsigned" }
  /** The body's SHA-256 must equal this (hex). */
  | { readonly kind: "sha256"; readonly sha256: string }
  /** An `aws-chunked` body; `signing` present when each chunk carries a signature. */
  | {
      readonly kind: "streaming";
      readonly trailer: boolean;
      readonly signing: ChunkSigning | undefined;
    };

/** What `AwsChunkedDecoder` needs to verify chunk signatures. */
export interface ChunkSigning {
  readonly signingKey: Uint8Array;
  readonly amzDate: string;
  readonly scope: string;
  readonly seedSignature: string;
}

export interface Verified {
  readonly ok: true;
  readonly auth: "query" | "header";
  readonly accessKeyId: string;
  readonly region: string;
  readonly signedHeaders: readonly string[];
  readonly signedAt: Date;
  /** Presigned URLs only. */
  readonly expiresAt: Date | undefined;
  readonly payload: PayloadSigning;
}

export type MalformedCode =
  | "AuthorizationQueryParametersError"
  | "AuthorizationHeaderMalformed"
  | "AccessDenied"
  | "InvalidArgument"
  | "InvalidRequest";

export type VerifyFailure =
  | { readonly kind: "missing"; readonly message: string }
  | {
      readonly kind: "malformed";
      readonly code: MalformedCode;
      readonly message: string;
      readonly fields?: Readonly<Record<string, string>>;
    }
  | {
      readonly kind: "wrong-region";
      readonly auth: "query" | "header";
      readonly region: string;
      readonly expected: string;
      readonly message: string;
    }
  | { readonly kind: "unknown-key"; readonly accessKeyId: string; readonly message: string }
  | {
      readonly kind: "unsigned-headers";
      readonly headers: readonly string[];
      readonly message: string;
    }
  | {
      readonly kind: "signature-mismatch";
      readonly message: string;
      readonly accessKeyId: string;
      readonly signatureProvided: string;
      readonly canonicalRequest: string;
      readonly stringToSign: string;
      /** Signed headers the request did not carry at all: the likeliest cause. */
      readonly missingHeaders: readonly string[];
    }
  | {
      readonly kind: "expired";
      readonly message: string;
      readonly expiresIn: number;
      readonly expiresAt: Date;
      readonly serverTime: Date;
    }
  | {
      readonly kind: "not-yet-valid";
      readonly message: string;
      readonly signedAt: Date;
      readonly serverTime: Date;
    }
  | {
      readonly kind: "clock-skew";
      readonly message: string;
      readonly requestTime: Date;
      readonly serverTime: Date;
      readonly maxSkewMs: number;
    };

export type VerifyResult = Verified | { readonly ok: false; readonly failure: VerifyFailure };

const QUERY_AUTH_PARAMETERS = [
  "X-Amz-Algorithm",
  "X-Amz-Credential",
  "X-Amz-Signature",
  "X-Amz-Date",
  "X-Amz-SignedHeaders",
  "X-Amz-Expires",
] as const;
const QUERY_AUTH_PARAMETER_NAMES: ReadonlySet<string> = new Set(QUERY_AUTH_PARAMETERS);

const HEX_SHA256 = /^[0-9a-f]{64}$/;
const CREDENTIAL_DATE = /^\d{8}$/;

function fail(failure: VerifyFailure): VerifyResult {
  return { ok: false, failure };
}

function malformed(
  code: MalformedCode,
  message: string,
  fields?: Record<string, string>,
): VerifyResult {
  return fail(
    fields ? { kind: "malformed", code, message, fields } : { kind: "malformed", code, message },
  );
}

/** Checks a request's signature. Never throws on bad input: every refusal is a result. */
export function verify(request: VerifyRequest, options: VerifyOptions): VerifyResult {
  const query = parseQuery(request.query);
  const authorization = headerValue(request.headers, "authorization");
  // Any of the six parameters makes it query auth, so a partial set is reported as such.
  const isQueryAuth = query.some((p) => QUERY_AUTH_PARAMETER_NAMES.has(p.name));
  if (isQueryAuth && authorization !== undefined) {
    return malformed(
      "InvalidArgument",
      "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
    );
  }
  if (isQueryAuth) return verifyQuery(request, query, options);
  if (authorization !== undefined) return verifyHeader(request, authorization, query, options);
  return fail({
    kind: "missing",
    message:
      "The request is not signed: it has neither an Authorization header nor X-Amz-Signature.",
  });
}

type ParsedQuery = ReturnType<typeof parseQuery>;

interface Credential {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
}

function verifyQuery(
  request: VerifyRequest,
  query: ParsedQuery,
  options: VerifyOptions,
): VerifyResult {
  const code = "AuthorizationQueryParametersError";
  const param = (name: string) => query.find((p) => p.name === name)?.value;
  // A second copy makes the request ambiguous: we would read the first, a proxy, a log
  // or a cache key might read the last.
  const repeated = QUERY_AUTH_PARAMETERS.find(
    (name) => query.filter((p) => p.name === name).length > 1,
  );
  if (repeated) {
    return malformed(
      code,
      `Query-string authentication takes each parameter once, but ${repeated} appears more than once.`,
    );
  }
  if (QUERY_AUTH_PARAMETERS.some((name) => param(name) === undefined)) {
    return malformed(
      code,
      "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
    );
  }
  const algorithm = param("X-Amz-Algorithm") as string;
  const credentialText = param("X-Amz-Credential") as string;
  const signatureProvided = param("X-Amz-Signature") as string;
  const amzDate = param("X-Amz-Date") as string;
  const signedHeadersText = param("X-Amz-SignedHeaders") as string;
  const expiresText = param("X-Amz-Expires") as string;

  if (algorithm !== ALGORITHM)
    return malformed(code, `X-Amz-Algorithm only supports "${ALGORITHM}"`);
  const credential = parseCredential(credentialText);
  if (typeof credential === "string") return malformed(code, credential);
  const signedAt = parseAmzDate(amzDate);
  if (signedAt === undefined) {
    return malformed(
      code,
      "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
    );
  }
  if (/^-\d+$/.test(expiresText)) return malformed(code, "X-Amz-Expires must be non-negative");
  if (!/^\d{1,9}$/.test(expiresText)) return malformed(code, "X-Amz-Expires should be a number");
  const expiresIn = Number(expiresText);
  if (expiresIn > MAX_EXPIRES_SECONDS) {
    return malformed(
      code,
      `X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than ${MAX_EXPIRES_SECONDS} seconds`,
    );
  }
  const scopeProblem = checkScope(credential, amzDate, "query", options);
  if (scopeProblem) return scopeProblem;

  const signedHeaders = signedHeadersText.split(";");
  const common = checkKeyAndHeaders(request, credential, signedHeaders, "query", options);
  if (!common.ok) return common;

  const payloadHash = param("X-Amz-Content-Sha256") ?? UNSIGNED_PAYLOAD;
  const mismatch = checkSignature(request, {
    credential,
    secret: common.secret,
    amzDate,
    signedHeaders,
    signatureProvided,
    payloadHash,
    canonicalQuery: canonicalQueryString(query.filter((p) => p.name !== "X-Amz-Signature")),
  });
  if (mismatch) return mismatch;

  const serverTime = (options.now ?? (() => new Date()))();
  const expiresAt = new Date(signedAt.getTime() + expiresIn * 1000);
  const maxSkewMs = options.maxSkewMs ?? MAX_SKEW_MS;
  if (signedAt.getTime() - serverTime.getTime() > maxSkewMs) {
    return fail({
      kind: "not-yet-valid",
      message: "Request is not yet valid",
      signedAt,
      serverTime,
    });
  }
  // "now > X-Amz-Date + X-Amz-Expires": the last instant is still valid.
  if (serverTime.getTime() > expiresAt.getTime()) {
    return fail({
      kind: "expired",
      message: "Request has expired",
      expiresIn,
      expiresAt,
      serverTime,
    });
  }
  return {
    ok: true,
    auth: "query",
    accessKeyId: credential.accessKeyId,
    region: credential.region,
    signedHeaders,
    signedAt,
    expiresAt,
    payload: HEX_SHA256.test(payloadHash)
      ? { kind: "sha256", sha256: payloadHash }
      : { kind: "unsigned" },
  };
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-fA-F]*)\s*$/;

function verifyHeader(
  request: VerifyRequest,
  authorization: string,
  query: ParsedQuery,
  options: VerifyOptions,
): VerifyResult {
  const code = "AuthorizationHeaderMalformed";
  if (!authorization.startsWith(`${ALGORITHM} `)) {
    return malformed(
      "InvalidArgument",
      `Unsupported Authorization Type: only ${ALGORITHM} (Signature Version 4) is accepted`,
    );
  }
  const match = AUTHORIZATION.exec(authorization);
  if (!match) {
    return malformed(
      code,
      'The authorization header is malformed; it must be "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...".',
    );
  }
  const [, credentialText, signedHeadersText, signatureProvided] = match as unknown as [
    string,
    string,
    string,
    string,
  ];
  const credential = parseCredential(credentialText);
  if (typeof credential === "string")
    return malformed(code, `The authorization header is malformed; ${credential}`);

  const amzDateHeader = headerValue(request.headers, "x-amz-date");
  const dateHeader = headerValue(request.headers, "date");
  const requestTime =
    amzDateHeader !== undefined
      ? parseAmzDate(amzDateHeader)
      : dateHeader !== undefined
        ? parseHttpDate(dateHeader)
        : undefined;
  if (requestTime === undefined) {
    return malformed(
      "AccessDenied",
      "AWS authentication requires a valid Date or x-amz-date header",
    );
  }
  // The string to sign carries x-amz-date when present, else the Date header in ISO basic form.
  const amzDate = amzDateHeader ?? toAmzDate(requestTime);
  const scopeProblem = checkScope(credential, amzDate, "header", options);
  if (scopeProblem) return scopeProblem;

  const payloadHash = headerValue(request.headers, "x-amz-content-sha256");
  if (payloadHash === undefined) {
    return malformed(
      "InvalidRequest",
      "Missing required header for this request: x-amz-content-sha256",
    );
  }
  const payload = payloadSigning(payloadHash);
  if (payload === undefined) {
    return malformed(
      "InvalidArgument",
      "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, or a valid sha256 value.",
    );
  }

  const signedHeaders = signedHeadersText.split(";");
  const common = checkKeyAndHeaders(request, credential, signedHeaders, "header", options);
  if (!common.ok) return common;

  const mismatch = checkSignature(request, {
    credential,
    secret: common.secret,
    amzDate,
    signedHeaders,
    signatureProvided,
    payloadHash,
    canonicalQuery: canonicalQueryString(query),
  });
  if (mismatch) return mismatch;

  const serverTime = (options.now ?? (() => new Date()))();
  const maxSkewMs = options.maxSkewMs ?? MAX_SKEW_MS;
  if (Math.abs(requestTime.getTime() - serverTime.getTime()) > maxSkewMs) {
    return fail({
      kind: "clock-skew",
      message: "The difference between the request time and the current time is too large.",
      requestTime,
      serverTime,
      maxSkewMs,
    });
  }
  const signing: ChunkSigning | undefined =
    payload.kind === "streaming" && payloadHash !== STREAMING_UNSIGNED_TRAILER
      ? {
          signingKey: signingKey(
            common.secret,
            credential.date,
            credential.region,
            credential.service,
          ),
          amzDate,
          scope: credentialScope(credential.date, credential.region, credential.service),
          seedSignature: signatureProvided.toLowerCase(),
        }
      : undefined;
  return {
    ok: true,
    auth: "header",
    accessKeyId: credential.accessKeyId,
    region: credential.region,
    signedHeaders,
    signedAt: requestTime,
    expiresAt: undefined,
    payload: payload.kind === "streaming" ? { ...payload, signing } : payload,
  };
}

function payloadSigning(value: string): PayloadSigning | undefined {
  if (value === UNSIGNED_PAYLOAD) return { kind: "unsigned" };
  if (HEX_SHA256.test(value)) return { kind: "sha256", sha256: value };
  if (value === STREAMING_SIGNED) return { kind: "streaming", trailer: false, signing: undefined };
  if (value === STREAMING_SIGNED_TRAILER || value === STREAMING_UNSIGNED_TRAILER) {
    return { kind: "streaming", trailer: true, signing: undefined };
  }
  return undefined;
}

/** Parses `AKID/yyyyMMdd/region/service/aws4_request`; a string is the complaint. */
function parseCredential(text: string): Credential | string {
  const parts = text.split("/");
  const base = "Error parsing the X-Amz-Credential parameter; ";
  // An empty region is left to `regions` to judge: R2 takes it as an alias of `auto`.
  if (parts.length !== 5 || parts.some((part, i) => part === "" && i !== 2)) {
    return `${base}the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`;
  }
  const [accessKeyId, date, region, service, terminal] = parts as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (!CREDENTIAL_DATE.test(date))
    return `${base}incorrect date format "${date}". This date in the credential must be in the format "yyyyMMdd".`;
  if (terminal !== "aws4_request")
    return `${base}incorrect terminal "${terminal}". This endpoint uses "aws4_request".`;
  return { accessKeyId, date, region, service };
}

function checkScope(
  credential: Credential,
  amzDate: string,
  auth: "query" | "header",
  options: VerifyOptions,
): VerifyResult | undefined {
  const code =
    auth === "query" ? "AuthorizationQueryParametersError" : "AuthorizationHeaderMalformed";
  const prefix =
    auth === "query"
      ? "Error parsing the X-Amz-Credential parameter;"
      : "The authorization header is malformed;";
  const service = options.service ?? "s3";
  if (credential.service !== service) {
    return malformed(
      code,
      `${prefix} incorrect service "${credential.service}". This endpoint belongs to "${service}".`,
    );
  }
  if (amzDate.slice(0, 8) !== credential.date) {
    return malformed(
      code,
      `${prefix} Invalid credential date "${credential.date}". This date is not the same as X-Amz-Date: "${amzDate.slice(0, 8)}".`,
    );
  }
  const regions = options.regions;
  if (regions !== undefined && regions.length > 0 && !regions.includes(credential.region)) {
    const expected = regions[0] as string;
    return fail({
      kind: "wrong-region",
      auth,
      region: credential.region,
      expected,
      message: `${prefix} the region '${credential.region}' is wrong; expecting '${expected}'`,
    });
  }
  return undefined;
}

function checkKeyAndHeaders(
  request: VerifyRequest,
  credential: Credential,
  signedHeaders: readonly string[],
  auth: "query" | "header",
  options: VerifyOptions,
): { ok: true; secret: string } | { ok: false; failure: VerifyFailure } {
  const secret = options.lookupSecret(credential.accessKeyId);
  if (secret === undefined) {
    return {
      ok: false,
      failure: {
        kind: "unknown-key",
        accessKeyId: credential.accessKeyId,
        message: "The AWS Access Key Id you provided does not exist in our records.",
      },
    };
  }
  if (
    !signedHeaders.includes("host") ||
    signedHeaders.some(
      (name, i) =>
        name === "" ||
        name !== name.toLowerCase() ||
        (i > 0 && (signedHeaders[i - 1] as string) >= name),
    )
  ) {
    const code =
      auth === "query" ? "AuthorizationQueryParametersError" : "AuthorizationHeaderMalformed";
    return {
      ok: false,
      failure: {
        kind: "malformed",
        code,
        message:
          "SignedHeaders must be lower-case header names, sorted, separated by ';', and include host.",
      },
    };
  }
  const unsigned = Object.keys(request.headers).filter(
    (name) =>
      name.startsWith("x-amz-") &&
      request.headers[name] !== undefined &&
      !signedHeaders.includes(name),
  );
  if (unsigned.length > 0) {
    return {
      ok: false,
      failure: {
        kind: "unsigned-headers",
        headers: unsigned,
        message: "There were headers present in the request which were not signed",
      },
    };
  }
  return { ok: true, secret };
}

interface SignatureCheck {
  readonly credential: Credential;
  readonly secret: string;
  readonly amzDate: string;
  readonly signedHeaders: readonly string[];
  readonly signatureProvided: string;
  readonly payloadHash: string;
  readonly canonicalQuery: string;
}

function checkSignature(request: VerifyRequest, check: SignatureCheck): VerifyResult | undefined {
  const { credential } = check;
  const canonical = canonicalRequest({
    method: request.method,
    canonicalUri: canonicalUri(request.path),
    canonicalQuery: check.canonicalQuery,
    canonicalHeaders: canonicalHeaders(request.headers, check.signedHeaders),
    signedHeaders: check.signedHeaders.join(";"),
    payloadHash: check.payloadHash,
  });
  const scope = credentialScope(credential.date, credential.region, credential.service);
  const toSign = stringToSign(check.amzDate, scope, canonical);
  const key = signingKey(check.secret, credential.date, credential.region, credential.service);
  const expected = hmacHex(key, toSign);
  if (signaturesEqual(expected, check.signatureProvided.toLowerCase())) return undefined;
  return fail({
    kind: "signature-mismatch",
    message:
      "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    accessKeyId: credential.accessKeyId,
    signatureProvided: check.signatureProvided,
    canonicalRequest: canonical,
    stringToSign: toSign,
    missingHeaders: check.signedHeaders.filter((name) => request.headers[name] === undefined),
  });
}

function headerValue(headers: HeaderMap, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined || typeof value === "string") return value;
  return value.join(",");
}
