/**
 * What an S3 error code means and what to do about it, in words: the one table behind
 * every explanation the project gives — `sluice explain` and `sluice doctor`, the
 * diagnosis functions, the browser uploader's messages. Sentences start in lower case
 * and end without a full stop, so callers can put them after what they know already
 * ("the URL expired at …: " + fix). Codes are typed: a misspelt one does not compile.
 */
import type { S3ErrorCode } from "./error-codes.js";

export interface S3ErrorHelp {
  /** Why S3 answers this code. */
  readonly cause: string;
  /** What to do about it. */
  readonly fix: string;
}

const EXPIRED: S3ErrorHelp = {
  cause: "the presigned URL expired before the request reached the storage service",
  fix: "ask for a new URL, and check the clocks of the signing machine and the client",
};
const UNKNOWN_KEY: S3ErrorHelp = {
  cause: "the endpoint does not know the access key",
  fix: "sign with a key of the account the endpoint belongs to (a key of another account or endpoint, or a deleted one, is refused)",
};
const WRONG_REGION: S3ErrorHelp = {
  cause: "the request was signed for another region than the endpoint's",
  fix: "sign with the region the endpoint expects (R2: auto; S3: the bucket's region)",
};

export const S3_ERROR_HELP: { readonly [Code in S3ErrorCode]?: S3ErrorHelp } = {
  SignatureDoesNotMatch: {
    cause:
      "the request is not the one that was signed: a signed header, the method, the key's encoding or a query parameter differs, or another secret key signed it",
    fix: "send exactly the headers the URL was signed for, each once; if the request is exactly that, the secret access key is not the one the endpoint holds",
  },
  ExpiredRequest: EXPIRED,
  AccessDenied: {
    cause:
      "the credentials may not do this, the presigned URL expired (S3 says AccessDenied for both), or the request sends an x-amz-* header the signature does not cover",
    fix: "read the message: for an expired URL ask for a new one; for an unsigned x-amz-* header sign it or do not send it; otherwise give the key access to the bucket",
  },
  AuthorizationHeaderMalformed: WRONG_REGION,
  AuthorizationQueryParametersError: WRONG_REGION,
  RequestTimeTooSkewed: {
    cause:
      "the clock of the machine that signed the request and the server's differ by more than 15 minutes",
    fix: "fix the clock of the machine that signs the requests",
  },
  InvalidAccessKeyId: UNKNOWN_KEY,
  Unauthorized: UNKNOWN_KEY,
  BadDigest: {
    cause: "the body is not the one the request declared a checksum for",
    fix: 'send the body the checksum was computed for; a URL from the AWS SDK presigner binds the CRC32 of an empty body (x-amz-checksum-crc32=AAAAAA==) unless it is made with requestChecksumCalculation: "WHEN_REQUIRED"',
  },
  XAmzContentSHA256Mismatch: {
    cause: "the body's SHA-256 is not the x-amz-content-sha256 the request signed",
    fix: "sign the hash of the body that is sent, or UNSIGNED-PAYLOAD",
  },
  AccessForbidden: {
    cause: "the bucket's CORS rules refused the browser's preflight",
    fix: "run sluice cors check --origin ORIGIN to see which rule part fails",
  },
  NoSuchCORSConfiguration: {
    cause: "the bucket has no CORS rules, so browsers' preflights are refused",
    fix: "set them: sluice cors generate --origin ORIGIN, then sluice cors put",
  },
  NoSuchBucket: {
    cause: "there is no such bucket at this endpoint",
    fix: "check the bucket's name and the endpoint, or create the bucket",
  },
  NoSuchKey: {
    cause: "there is no object under this key",
    fix: "check the key; an upload that was never completed leaves no object",
  },
  NoSuchUpload: {
    cause: "the multipart upload is gone: completed, aborted, or expired",
    fix: "start the upload again",
  },
  PreconditionFailed: {
    cause:
      "a condition of the request does not hold (If-None-Match: * over an existing object, or an If-Match of another ETag)",
    fix: "upload under a new key, or drop the condition if replacing is meant",
  },
  EntityTooSmall: {
    cause: "a part other than the last is smaller than 5 MiB",
    fix: "make every part but the last at least 5 MiB",
  },
  EntityTooLarge: {
    cause: "the body is larger than the service takes in one request (5 GiB for a PUT or a part)",
    fix: "upload it in parts",
  },
  InvalidPart: {
    cause:
      "a listed part is not stored, its ETag differs, or (R2) the parts but the last are not all the same size",
    fix: "list the parts the store holds (ListParts) and complete with those; on R2 use one part size",
  },
  InvalidPartOrder: {
    cause: "the parts are not listed in ascending order of part number",
    fix: "list the parts in ascending order",
  },
  MissingContentLength: {
    cause: "the request has no Content-Length",
    fix: "send Content-Length (Ceph RGW needs it for aws-chunked bodies too)",
  },
  MalformedXML: {
    cause: "the request's XML is not well-formed or does not match S3's schema",
    fix: "check the document against the operation's reference",
  },
  NotImplemented: {
    cause: "the storage service does not implement this operation or header",
    fix: "leave the header out, or use an operation the service supports",
  },
  SlowDown: {
    cause: "the storage service asks for fewer requests",
    fix: "retry with backoff",
  },
  ServiceUnavailable: {
    cause: "the storage service is unavailable for a moment",
    fix: "retry with backoff",
  },
  InternalError: {
    cause: "the storage service failed",
    fix: "retry; if it persists, ask the service's operator",
  },
};

/** The help for a code read off the wire; `undefined` for a code the table does not know. */
export function helpForS3Error(code: string): S3ErrorHelp | undefined {
  return Object.hasOwn(S3_ERROR_HELP, code) ? S3_ERROR_HELP[code as S3ErrorCode] : undefined;
}
