/**
 * One error class for the store, on the table of S3 error codes to HTTP statuses that
 * `@sluice/s3` holds for every side.
 * Every refusal is an `S3Error`; the handler renders it once, at its boundary, as S3's
 * XML (a HEAD response carries the status only).
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 */
import { S3_ERROR_STATUS, type S3ErrorCode } from "@sluice/s3";
import { el, plainDocument } from "./xml.js";

// The codes and their statuses are S3's wire, shared with every client in `@sluice/s3`:
// a code not in that table does not compile.
export { isS3ErrorCode, type S3ErrorCode } from "@sluice/s3";

export class S3Error extends Error {
  override readonly name = "S3Error";
  readonly status: number;

  constructor(
    readonly code: S3ErrorCode,
    message: string,
    /** Extra elements of `<Error>`, in order (`BucketName`, `Key`, `Condition`, ...). */
    readonly fields: Readonly<Record<string, string | number>> = {},
    status?: number,
  ) {
    super(message);
    this.status = status ?? S3_ERROR_STATUS[code];
  }
}

/** S3's `<Error>` document; `RequestId` equals the `x-amz-request-id` header. */
export function errorXml(error: S3Error, requestId: string): string {
  return plainDocument(
    el(
      "Error",
      el("Code", error.code),
      el("Message", error.message),
      Object.entries(error.fields).map(([name, value]) => el(name, value)),
      el("RequestId", requestId),
      el("HostId", requestId),
    ),
  );
}

// Constructors for the errors raised in many places, with S3's exact texts.

export const noSuchBucket = (bucket: string) =>
  new S3Error("NoSuchBucket", "The specified bucket does not exist", { BucketName: bucket });

export const noSuchKey = (key: string) =>
  new S3Error("NoSuchKey", "The specified key does not exist.", { Key: key });

export const malformedXml = () =>
  new S3Error(
    "MalformedXML",
    "The XML you provided was not well-formed or did not validate against our published schema",
  );

export const notImplemented = (what: string) =>
  new S3Error("NotImplemented", `${what} is not implemented by this store.`);

export const preconditionFailed = (condition: string) =>
  new S3Error(
    "PreconditionFailed",
    "At least one of the pre-conditions you specified did not hold",
    {
      Condition: condition,
    },
  );

export const invalidArgument = (message: string, name: string, value: string) =>
  new S3Error("InvalidArgument", message, { ArgumentName: name, ArgumentValue: value });
