/**
 * AWS Signature Version 4 for S3: presign, sign, verify, and `aws-chunked` decoding.
 * Pure: no sockets, no files; the clock is injected wherever time matters.
 */
export {
  AwsChunkedDecoder,
  AwsChunkedError,
  type AwsChunkedErrorCode,
  type AwsChunkedOptions,
} from "./aws-chunked.js";
export {
  ALGORITHM,
  type CanonicalRequestParts,
  canonicalHeaders,
  canonicalHeaderValue,
  canonicalQueryString,
  canonicalRequest,
  credentialScope,
  type HeaderMap,
  parseQuery,
  type QueryParameter,
  stringToSign,
  UNSIGNED_PAYLOAD,
} from "./canonical-request.js";
export { EMPTY_SHA256 } from "./crypto.js";
export {
  type ClientRequest,
  describePresignedUrl,
  EMPTY_BODY_CRC32,
  type PresignedUrlDescription,
  type UrlFinding,
  type UrlFindingKind,
} from "./describe-presigned-url.js";
export {
  explainMismatch,
  type MismatchCause,
  type MismatchExplanation,
} from "./explain-mismatch.js";
export { type ObjectUrlOptions, objectUrl, splitUrl, type UrlParts } from "./object-url.js";
export {
  MAX_EXPIRES_SECONDS,
  type PresignedRequest,
  type PresignInput,
  presign,
} from "./presign.js";
export {
  type CanonicalRequestView,
  parseCanonicalRequest,
  parseStringToSign,
  type SigningScope,
  signatureOf,
} from "./read-canonical-request.js";
export type { Credentials, HeaderInput } from "./request-headers.js";
export { type SignedRequest, type SignInput, sign } from "./sign.js";
export { signingKey } from "./signing-key.js";
export { parseAmzDate, toAmzDate } from "./time.js";
export { canonicalUri, percentDecode, uriEncode, uriEncodePath } from "./uri-encode.js";
export {
  type ChunkSigning,
  MAX_SKEW_MS,
  type PayloadSigning,
  STREAMING_SIGNED,
  STREAMING_SIGNED_TRAILER,
  STREAMING_UNSIGNED_TRAILER,
  type Verified,
  type VerifyFailure,
  type VerifyOptions,
  type VerifyRequest,
  type VerifyResult,
  verify,
} from "./verify.js";
