/**
 * One error class for the store, and the table of S3 error codes to HTTP statuses.
 * Every refusal is an `S3Error`; the handler renders it once, at its boundary, as S3's
 * XML (a HEAD response carries the status only).
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 */
import { el, plainDocument } from "./xml.js";

/**
 * Every code the store answers with, and its status. A code not in this table does not
 * compile: `S3ErrorCode` is its keys.
 */
const STATUS = {
  AccessDenied: 403,
  AccessForbidden: 403,
  AuthorizationHeaderMalformed: 400,
  AuthorizationQueryParametersError: 400,
  BadDigest: 400,
  BadRequest: 400,
  BucketAlreadyExists: 409,
  BucketAlreadyOwnedByYou: 409,
  BucketConflict: 409,
  BucketNotEmpty: 409,
  ConditionalRequestConflict: 409,
  EntityTooLarge: 400,
  EntityTooSmall: 400,
  ExpiredRequest: 403,
  IncompleteBody: 400,
  InternalError: 500,
  InvalidAccessKeyId: 403,
  InvalidArgument: 400,
  InvalidBucketName: 400,
  InvalidDigest: 400,
  InvalidObjectName: 400,
  InvalidPart: 400,
  InvalidPartNumber: 416,
  InvalidPartOrder: 400,
  InvalidRange: 416,
  InvalidRequest: 400,
  InvalidURI: 400,
  KeyTooLongError: 400,
  MalformedTrailerError: 400,
  MalformedXML: 400,
  MaxMessageLengthExceeded: 400,
  MetadataTooLarge: 400,
  MethodNotAllowed: 405,
  MissingContentLength: 411,
  MissingRequestBodyError: 400,
  NoSuchBucket: 404,
  NoSuchCORSConfiguration: 404,
  NoSuchKey: 404,
  NoSuchUpload: 404,
  NotImplemented: 501,
  NotModified: 304,
  PreconditionFailed: 412,
  RequestHeaderSectionTooLarge: 400,
  RequestTimeTooSkewed: 403,
  RequestTimeout: 400,
  ServiceUnavailable: 503,
  SignatureDoesNotMatch: 403,
  Unauthorized: 401,
  XAmzContentSHA256Mismatch: 400,
} as const satisfies Readonly<Record<string, number>>;

export type S3ErrorCode = keyof typeof STATUS;

export function isS3ErrorCode(code: string): code is S3ErrorCode {
  return Object.hasOwn(STATUS, code);
}

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
    this.status = status ?? STATUS[code];
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
