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
 * anything. It shares only the protocol's types with the server, through `@sluice/protocol`.
 * The React hook is `useUpload` from `@sluice/client/react`.
 *
 * The parts behind this API (the plan, the retry decision, resume bookkeeping) are
 * tested from their own modules and are not part of it.
 */

// The uploader: options, one upload's handle and its status.

export type { HeadersOption } from "./api.js";
export type { Progress } from "./progress.js";
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

// Failures: one error class, its `kind` saying what to do.

export { UploadError, type UploadErrorKind } from "./upload-error.js";

// Retries and resume: the defaults behind the options, and where uploads are remembered.

export {
  type BackoffOptions,
  DEFAULT_BACKOFF_BASE_MS,
  DEFAULT_BACKOFF_CAP_MS,
} from "./backoff.js";
export { DEFAULT_MAX_ATTEMPTS } from "./classify.js";
export { type KeyValueStorage, RESUME_MAX_AGE_MS } from "./resume.js";

// A route's policy, read from the API before a file is chosen, and the same checks it makes.

export {
  checkFile,
  type DescribeRouteOptions,
  describeRoute,
  type FileFacts,
  formatBytes,
} from "./route-description.js";

// One upload as state a UI subscribes to (what the React hook renders from).

export {
  createUploadStore,
  IDLE,
  type UploadSnapshot,
  type UploadStore,
} from "./upload-store.js";

// The records the upload API answers with.

export type {
  FileRecord,
  RouteDescription,
  UploadedPart,
  UploadState,
} from "@sluice/protocol";
