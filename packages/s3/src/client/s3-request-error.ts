/**
 * The storage side's one error: a request to the S3 endpoint that failed, with S3's own
 * `<Code>` and `<Message>` (or, when there was no answer, what went wrong on the way).
 * The handler turns it into a 502 `storage_error` naming the operation and the code.
 */

export class S3RequestError extends Error {
  override readonly name = "S3RequestError";

  constructor(
    /** The HTTP status, or 0 when no response arrived (refused, timed out). */
    readonly status: number,
    /** S3's error code (`NoSuchKey`, `PreconditionFailed`), or ours for transport failures. */
    readonly code: string,
    message: string,
    /** The S3 operation, e.g. `CompleteMultipartUpload`. */
    readonly operation: string,
  ) {
    super(`${operation}: ${status === 0 ? "" : `${status} `}${code}: ${message}`);
  }
}

/**
 * The multipart upload is gone: completed, aborted, or removed by a lifecycle rule. S3
 * and R2 say NoSuchUpload; Ceph RGW 16.2 answers ListParts with NoSuchKey.
 */
export function isUploadGone(error: unknown): boolean {
  return (
    error instanceof S3RequestError &&
    error.status === 404 &&
    (error.code === "NoSuchUpload" || error.code === "NoSuchKey")
  );
}
