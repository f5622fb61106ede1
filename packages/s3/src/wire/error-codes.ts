/**
 * The S3 error codes the project speaks or reads, each with the HTTP status S3 answers
 * it with; `S3ErrorCode` is derived from this one table, so a misspelt code does not
 * compile. R2's own codes (`Unauthorized` for an unknown key, `ExpiredRequest`,
 * `BucketConflict`, `InvalidObjectName`) are here beside S3's. The store answers with
 * these codes and statuses; clients read them.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList
 * https://developers.cloudflare.com/r2/api/error-codes/
 */

export const S3_ERROR_STATUS = {
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
  SlowDown: 503,
  Unauthorized: 401,
  XAmzContentSHA256Mismatch: 400,
} as const satisfies Readonly<Record<string, number>>;

export type S3ErrorCode = keyof typeof S3_ERROR_STATUS;

export const S3_ERROR_CODES = Object.keys(S3_ERROR_STATUS) as readonly S3ErrorCode[];

export function isS3ErrorCode(code: string): code is S3ErrorCode {
  return Object.hasOwn(S3_ERROR_STATUS, code);
}
