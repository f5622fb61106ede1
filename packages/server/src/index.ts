/**
 * @sluice/server — the upload API an app mounts: routes (upload policies), presigned
 * URLs that bind type, length and no-overwrite, completion that verifies what arrived
 * (size, type, magic bytes) before the app hears of it, and a ledger with a sweeper so
 * no upload is lost (SQLite by default; PostgreSQL, shared by app instances, when
 * `DATABASE_URL` names one). Web-standard `Request → Response`, with a Node/Express adapter.
 */

export type * from "@sluice/protocol";
// The S3 client the API is built on, for apps that want the same requests.
export {
  createS3Api,
  type ObjectHead,
  type S3Api,
  S3RequestError,
  type StorageConfig,
  type StoredPart,
} from "@sluice/s3/client";
export { ApiError, type ApiErrorCode, apiError } from "./api-error.js";
export { CompletionHookError } from "./completion.js";
export { EXTENSIONS, expandTypes, extensionFor, NOT_IN_FAMILIES } from "./content-types.js";
export {
  describeLedger,
  type LedgerLocation,
  type LedgerLocationOptions,
  ledgerLocation,
} from "./database-url.js";
export {
  createUploadHandler,
  DEFAULT_MULTIPART_TTL_MS,
  DEFAULT_SWEEP_GRACE_MS,
  type UploadHandler,
  type UploadHandlerOptions,
} from "./handler.js";
export type { Intent, IntentPlan, IntentStatus, Ledger, NewIntent, Outcome } from "./ledger.js";
export { checkMagicBytes, detectable, SNIFF_BYTES } from "./magic-bytes.js";
export { type NodeListener, toNodeListener, type WebHandler } from "./node.js";
export { defaultKey, type KeyContext, keySegment } from "./object-key.js";
export { type OpenLedgerOptions, openLedger } from "./open-ledger.js";
export { MAX_PART_URLS_PER_REQUEST } from "./parse-request.js";
export {
  MAX_OBJECT_SIZE,
  MAX_PART_SIZE,
  MAX_PARTS,
  MAX_SINGLE_PUT_SIZE,
  MIN_PART_SIZE,
  type PartPlan,
  partSizeOf,
  planParts,
} from "./plan.js";
export {
  openPostgresLedger,
  POSTGRES_SCHEMA_VERSION,
  type PostgresLedgerOptions,
} from "./postgres-ledger.js";
export {
  type CompleteEvent,
  DEFAULT_EXPIRES_SECONDS,
  DEFAULT_MAX_PENDING_PER_USER,
  DEFAULT_MULTIPART_THRESHOLD,
  DEFAULT_PART_SIZE,
  defineRoute,
  type MetadataContext,
  type Route,
  type RouteOptions,
  type Routes,
  routeNamed,
  type UploadUser,
} from "./route.js";
export { LEDGER_FILE, openSqliteLedger, type SqliteLedgerOptions } from "./sqlite-ledger.js";
export type { SweepReport } from "./sweeper.js";
