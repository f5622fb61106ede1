/**
 * The S3 client's one error: a request to the S3 endpoint that failed, with S3's own
 * `<Code>` and `<Message>` (or, when there was no answer, what went wrong on the way).
 * The upload API turns it into a 502 `storage_error` naming the operation and the code.
 */
import type { S3ErrorCode } from "../wire/error-codes.js";

/**
 * Codes of the client's own, for answers that carry none: no answer at all, a body that
 * is not S3's, or a HEAD refused with a status and no body.
 */
export type S3ClientErrorCode =
  | "NetworkError"
  | "Timeout"
  | "InvalidResponse"
  | "NotFound"
  | "Forbidden"
  | `HTTP${number}`;

export class S3RequestError extends Error {
  override readonly name = "S3RequestError";

  constructor(
    /** The HTTP status, or 0 when no response arrived (refused, timed out). */
    readonly status: number,
    /** S3's error code (`NoSuchKey`, `PreconditionFailed`), or ours for transport failures. */
    readonly code: S3ErrorCode | S3ClientErrorCode | (string & {}),
    /** S3's own `<Message>` (or what went wrong on the way), without operation and code. */
    readonly s3Message: string,
    /** The S3 operation, e.g. `CompleteMultipartUpload`. */
    readonly operation: string,
  ) {
    super(`${operation}: ${status === 0 ? "" : `${status} `}${code}: ${s3Message}`);
  }

  /** Whether S3 answered one of these codes; typed, so a misspelt code does not compile. */
  hasCode(...codes: readonly (S3ErrorCode | S3ClientErrorCode)[]): boolean {
    return (codes as readonly string[]).includes(this.code);
  }
}

/** Whether `error` is an `S3RequestError` with one of these codes. */
export function isS3RequestError(
  error: unknown,
  ...codes: readonly (S3ErrorCode | S3ClientErrorCode)[]
): error is S3RequestError {
  return error instanceof S3RequestError && (codes.length === 0 || error.hasCode(...codes));
}

/**
 * The multipart upload is gone: completed, aborted, or removed by a lifecycle rule. S3
 * and R2 say NoSuchUpload; Ceph RGW 16.2 answers ListParts with NoSuchKey.
 */
export function isUploadGone(error: unknown): boolean {
  return isS3RequestError(error, "NoSuchUpload", "NoSuchKey") && error.status === 404;
}
