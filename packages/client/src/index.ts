/**
 * @sluice/client — the browser uploader. A file goes from the page straight into the
 * bucket: the upload API hands out presigned URLs, XHR sends the bytes with progress,
 * big files go in parallel parts that survive a flaky network and a reload, and every
 * failure is an `UploadError` that says what to fix.
 *
 * ```ts
 * const uploader = createUploader({ endpoint: "/api/uploads" });
 * const upload = uploader.upload(file, { route: "avatar", onProgress: (p) => bar.value = p.percent });
 * const record = await upload.result; // verified by the API: size, type, magic bytes
 * ```
 *
 * Browser-only (XMLHttpRequest, localStorage); it never holds a secret and never signs
 * anything. It shares only the protocol's types with `@sluice/server`.
 */
export type {
  FileRecord,
  RouteDescription,
  UploadedPart,
  UploadState,
} from "@sluice/server";
export type { HeadersOption } from "./api.js";
export {
  type BackoffOptions,
  DEFAULT_BACKOFF_BASE_MS,
  DEFAULT_BACKOFF_CAP_MS,
  fullJitterDelay,
  retryAfterMs,
} from "./backoff.js";
export {
  type ClassifyContext,
  classify,
  DEFAULT_MAX_ATTEMPTS,
  type Decision,
  type Failure,
  type NetworkDiagnosis,
} from "./classify.js";
export {
  nextUrlBatch,
  type PartPlan,
  partRange,
  partsToSend,
  planFits,
  storedBytes,
} from "./plan.js";
export { type Progress, ProgressTracker, SPEED_WINDOW_MS } from "./progress.js";
export {
  type FileIdentity,
  fingerprint,
  type KeyValueStorage,
  RESUME_MAX_AGE_MS,
  ResumeStore,
  resumeKey,
  type SavedUpload,
} from "./resume.js";
export {
  checkFile,
  type DescribeRouteOptions,
  describeRoute,
  type FileFacts,
  formatBytes,
} from "./route-description.js";
export {
  corsRefusalMessage,
  parseS3Error,
  type S3ErrorBody,
  storeRefusalMessage,
  UploadError,
  type UploadErrorKind,
} from "./upload-error.js";
export {
  createUploadStore,
  IDLE,
  type UploadSnapshot,
  type UploadStore,
} from "./upload-store.js";
export {
  createUploader,
  DEFAULT_PART_CONCURRENCY,
  MAX_PART_CONCURRENCY,
  type Uploader,
  type UploaderOptions,
  type UploadFile,
  type UploadHandle,
  type UploadOptions,
  type UploadStatus,
} from "./uploader.js";
