/**
 * @sluice/s3/client — a small fetch-based S3 client signed with `@sluice/sigv4`, for the
 * upload API, the CLI and the demo. Node (it hashes bodies with `node:crypto`); a browser
 * takes only `@sluice/s3`.
 */
export {
  createS3Api,
  type ObjectHead,
  type OpenUpload,
  type S3Api,
  type StorageConfig,
  type StoredPart,
} from "./client/s3-api.js";
export {
  isS3RequestError,
  isUploadGone,
  type S3ClientErrorCode,
  S3RequestError,
} from "./client/s3-request-error.js";
export { type SignedFetchOptions, signedFetch } from "./client/signed-fetch.js";
