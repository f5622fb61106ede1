/**
 * @sluice/s3 — S3's wire, for the browser and Node alike (no Node APIs here): its XML
 * (the project's one reader and escaper), the `<Error>` document, the error codes as a
 * typed table with what each means and how to fix it, ETags and checksum headers.
 *
 * Also, as separate entries so a browser bundle never takes them in:
 * - `@sluice/s3/client`: a small fetch-based S3 client signed with `@sluice/sigv4`;
 * - `@sluice/s3/diagnose`: explanations of an S3 error or a presigned URL, and the
 *   checks behind `sluice cors check` and `sluice doctor`.
 */
export {
  CHECKSUM_ALGORITHMS,
  type ChecksumAlgorithm,
  checksumAlgorithmOf,
  checksumHeader,
  checksumValue,
} from "./wire/checksum-headers.js";
export {
  isS3ErrorCode,
  S3_ERROR_CODES,
  S3_ERROR_STATUS,
  type S3ErrorCode,
} from "./wire/error-codes.js";
export { parseS3Error, type S3ErrorDocument, summarizeS3Error } from "./wire/error-document.js";
export { helpForS3Error, S3_ERROR_HELP, type S3ErrorHelp } from "./wire/error-help.js";
export { quoteEtag, unquoteEtag } from "./wire/etag.js";
export { STORED_HEADERS, type StoredHeader } from "./wire/stored-headers.js";
export {
  childElement,
  childText,
  escapeXml,
  readXml,
  S3_NAMESPACE,
  type XmlElement,
} from "./wire/xml.js";
