/**
 * @sluice/server — the upload API an app mounts: routes (upload policies), presigned
 * URLs that bind type, length and no-overwrite, completion that verifies what arrived
 * (size, type, magic bytes) before the app hears of it, and a ledger with a sweeper so
 * no upload is lost (SQLite by default; PostgreSQL, shared by app instances, when
 * `DATABASE_URL` names one). Web-standard `Request → Response`, with a Node/Express adapter.
 *
 * The source is laid out as the API is: `api/` (the handler, its endpoints, routes and
 * limits), `completion/` (claim, verify, hook, record; the sweeper), `verification/`,
 * `ledger/` (one definition, a dialect per database) and `adapters/`.
 */

// The JSON the page and the API exchange (`@sluice/protocol`).
export type * from "@sluice/protocol";
// The S3 client the API is built on (`@sluice/s3/client`), for apps that want the same requests.
export {
  createS3Api,
  type ObjectHead,
  type OpenUpload,
  type S3Api,
  S3RequestError,
  type StorageConfig,
  type StoredPart,
} from "@sluice/s3/client";
// adapters/: the handler as a Node listener (http, Express, Koa), a Fastify plugin, and
// route handlers (Next.js). Bun, Deno, Hono and Workers take `handler.handle` as it is.
export { fastifyUploads } from "./adapters/fastify.js";
export { type NodeListener, toNodeListener, type WebHandler } from "./adapters/node.js";
export { type RouteHandlers, toRouteHandlers } from "./adapters/web.js";
// api/: the handler, routes (upload policies), keys, types and the limits it enforces.
export { ApiError, type ApiErrorCode } from "./api/api-error.js";
export { expandTypes, extensionFor } from "./api/content-types.js";
export {
  createUploadHandler,
  DEFAULT_MULTIPART_TTL_MS,
  DEFAULT_SWEEP_GRACE_MS,
  type UploadHandler,
  type UploadHandlerOptions,
} from "./api/handler.js";
export { defaultKey, type KeyContext, keySegment } from "./api/object-key.js";
export { MAX_PART_URLS_PER_REQUEST } from "./api/parse-request.js";
export {
  MAX_OBJECT_SIZE,
  MAX_PART_SIZE,
  MAX_PARTS,
  MAX_SINGLE_PUT_SIZE,
  MIN_PART_SIZE,
  type PartPlan,
  partSizeOf,
  planParts,
} from "./api/plan.js";
export {
  type AllowedHeader,
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
  type UploadUser,
} from "./api/route.js";
// completion/: claim, verify, hook and record; the sweeper.
export { CompletionHookError } from "./completion/completion.js";
export type { SweepReport } from "./completion/sweeper.js";
export { type D1Binding, type D1LedgerOptions, openD1Ledger } from "./ledger/d1-ledger.js";
// ledger/: where uploads are recorded (SQLite, PostgreSQL shared by instances, or D1).
export {
  describeLedger,
  type LedgerLocation,
  type LedgerLocationOptions,
  ledgerLocation,
} from "./ledger/database-url.js";
export type { DialectName, LedgerTransaction } from "./ledger/dialect.js";
export type {
  Intent,
  IntentPlan,
  IntentStatus,
  Ledger,
  NewIntent,
  Outcome,
} from "./ledger/ledger.js";
export { type OpenLedgerOptions, openLedger } from "./ledger/open-ledger.js";
export { openPostgresLedger, type PostgresLedgerOptions } from "./ledger/postgres-ledger.js";
export { defaultSqliteDriver, type SqliteDriverName } from "./ledger/sqlite-connection.js";
export { LEDGER_FILE, openSqliteLedger, type SqliteLedgerOptions } from "./ledger/sqlite-ledger.js";
