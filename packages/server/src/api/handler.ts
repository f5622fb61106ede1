/**
 * The upload API as a Web-standard `Request → Response` function, for any runtime; the
 * Node/Express adapter (`node.ts`) is a thin wrapper. A request reads top to bottom:
 * match the endpoint → parse its body → find the route or the upload → authorize → act
 * (one file per endpoint in `endpoints/`). Every refusal is an `ApiError`, rendered once,
 * at the bottom of this file, as `{ "error": { "code", "message" } }`.
 *
 * | request                        | answer | refusals                                       |
 * | ------------------------------ | ------ | ---------------------------------------------- |
 * | `POST {base}`                  | 201    | 400, 401, 403, 404 route, 413, 415, 429         |
 * | `POST {base}/{id}/parts`       | 200    | 400 part numbers, 404, 409 state, 410           |
 * | `GET {base}/{id}`              | 200    | 404                                             |
 * | `POST {base}/{id}/complete`    | 200    | 404, 409 not uploaded/parts missing, 410, 422   |
 * | `DELETE {base}/{id}`           | 204    | 404, 409 complete                               |
 * | `{base}/s3/…`                  | Companion's S3 endpoints, for `@uppy/aws-s3` (`companion/`) |
 *
 * Store failures are 502 `storage_error`; anything unexpected is a logged 500 `internal`
 * that says nothing of the internals.
 */
import { helpForS3Error } from "@sluice/s3";
import { createS3Api, S3RequestError, type StorageConfig } from "@sluice/s3/client";
import {
  CompletionHookError,
  createCompleter,
  DEFAULT_LEASE_MS,
} from "../completion/completion.js";
import { createSweeper, type SweepReport } from "../completion/sweeper.js";
import type { Ledger } from "../ledger/ledger.js";
import { defaultDataDir, openLedgerOnFirstUse } from "../ledger/open-ledger.js";
import type { ApiErrorBody } from "../protocol.js";
import { onWorkers } from "../runtime.js";
import { ApiError, apiError } from "./api-error.js";
import { companionEndpoint, isCompanionPath } from "./companion/companion-s3.js";
import { abortUpload } from "./endpoints/abort-upload.js";
import { completeUpload } from "./endpoints/complete-upload.js";
import { createUpload } from "./endpoints/create-upload.js";
import { type EndpointContext, json } from "./endpoints/endpoint.js";
import { partUrls } from "./endpoints/part-urls.js";
import { describeRoute } from "./endpoints/route-description.js";
import { uploadState } from "./endpoints/upload-state.js";
import type { Routes } from "./route.js";

export interface UploadHandlerOptions {
  /** Route name → policy (`defineRoute`). The name is what pages send as `route`. */
  readonly routes: Routes;
  /** The bucket, reached over HTTP: R2, S3, or any S3-compatible store. */
  readonly storage: StorageConfig;
  /** Default: the one `databaseUrl` names, else SQLite in `<dataDir>/ledger.sqlite3`. */
  readonly ledger?: Ledger;
  /**
   * `postgres://…` or `postgresql://…`: the ledger in PostgreSQL, shared by every app
   * instance given the same URL. `""`: SQLite in `dataDir`. Default: `process.env.DATABASE_URL`
   * (unset: SQLite). Any other URL is refused here, saying why.
   */
  readonly databaseUrl?: string;
  /** Where the SQLite ledger lives; default `.sluice` in the working directory. */
  readonly dataDir?: string;
  /** Default `/api/uploads`. */
  readonly basePath?: string;
  readonly now?: () => Date;
  /**
   * How often this process sweeps; default 60 s (on Workers 0: a Cron Trigger calls
   * `sweep()`); 0 never (call `sweep()` yourself).
   */
  readonly sweepIntervalMs?: number;
  /**
   * How long after an intent's deadline the sweeper waits before settling it, so that a
   * PUT that started in time can finish. Default 15 minutes.
   */
  readonly sweepGraceMs?: number;
  /** A multipart upload lapses after this long without a request for part URLs. Default 24 h. */
  readonly multipartTtlMs?: number;
  /**
   * How often the sweeper looks in the store for a single PUT the page has not completed:
   * its object is whole or absent, so one that is there is settled at once rather than
   * after its URL's expiry and the grace. Default 60 s.
   */
  readonly settleCheckMs?: number;
  /**
   * A multipart upload with no part and no request for part URLs for this long is
   * expired (aborted in the store) well before `multipartTtlMs`; one with every part is
   * completed. Default 1 h.
   */
  readonly multipartIdleMs?: number;
  /**
   * How old a multipart upload in the bucket under a route's keys, that the ledger does
   * not hold, must be before the sweeper aborts it. Default 1 h.
   */
  readonly orphanGraceMs?: number;
  /** How long a completion claim holds before another caller may take it over. Default 2 min. */
  readonly leaseMs?: number;
  /** How long `complete` waits for another caller's completion of the same upload. Default 10 s. */
  readonly completeWaitMs?: number;
  /** Errors that are not the client's (storage failures, bugs, hooks that threw). */
  readonly onError?: (error: unknown) => void;
}

export interface UploadHandler {
  handle(request: Request): Promise<Response>;
  /** Settles every intent that is due now; also runs on the interval. */
  sweep(): Promise<SweepReport>;
  /** Stops the interval, waits for a running sweep, closes the ledger if it opened it. */
  close(): Promise<void>;
  /**
   * Resolves once the ledger is open (a PostgreSQL ledger: connected, its tables in
   * place); rejects with why not, and the next request tries again. Await it at start
   * to fail fast; requests wait for it by themselves.
   */
  ready(): Promise<void>;
  /**
   * The headers pages send with their PUTs (besides the browser's own), lower-case: what
   * the bucket's CORS rules must allow, e.g. `generateUploadCors({ headers })`.
   */
  readonly signedHeaders: readonly string[];
  readonly basePath: string;
  readonly ledger: Ledger;
}

const MINUTE_MS = 60 * 1000;
export const DEFAULT_SWEEP_GRACE_MS = 15 * MINUTE_MS;
export const DEFAULT_MULTIPART_TTL_MS = 24 * 60 * MINUTE_MS;
export const DEFAULT_SETTLE_CHECK_MS = MINUTE_MS;
export const DEFAULT_MULTIPART_IDLE_MS = 60 * MINUTE_MS;
export const DEFAULT_ORPHAN_GRACE_MS = 60 * MINUTE_MS;
/**
 * A `creating` intent older than this is a create that died (its request waits for the
 * store at most `timeoutMs`, 30 s by default): the sweeper cleans up after it.
 */
const CREATE_GRACE_MS = 2 * MINUTE_MS;

/** `{base}`, `{base}/{id}`, `{base}/{id}/parts`, `{base}/{id}/complete`. */
const ENDPOINT = /^(?:\/([^/]+))?(?:\/(parts|complete))?\/?$/;

export function createUploadHandler(options: UploadHandlerOptions): UploadHandler {
  const { routes } = options;
  const now = options.now ?? (() => new Date());
  const basePath = (options.basePath ?? "/api/uploads").replace(/\/+$/, "");
  const onError =
    options.onError ?? ((error: unknown) => console.error("sluice upload API:", error));
  const ownsLedger = options.ledger === undefined;
  if (options.ledger && options.databaseUrl !== undefined) {
    throw new Error("give createUploadHandler a ledger or a databaseUrl, not both");
  }
  const opened = options.ledger
    ? { ledger: options.ledger, ready: async () => {} }
    : openLedgerOnFirstUse({
        databaseUrl: options.databaseUrl,
        dataDir: options.dataDir ?? defaultDataDir(),
        onError,
      });
  const { ledger } = opened;
  // Connect now rather than at the first upload. A failure here is `ready()`'s to report
  // (and each request's, to onError, until an open succeeds): the next use tries again.
  if (ownsLedger) opened.ready().catch(() => {});
  const s3 = createS3Api(options.storage, now);
  const multipartTtlMs = options.multipartTtlMs ?? DEFAULT_MULTIPART_TTL_MS;
  const multipartIdleMs = options.multipartIdleMs ?? DEFAULT_MULTIPART_IDLE_MS;
  const sweepGraceMs = options.sweepGraceMs ?? DEFAULT_SWEEP_GRACE_MS;
  const settleCheckMs = options.settleCheckMs ?? DEFAULT_SETTLE_CHECK_MS;
  const completer = createCompleter({
    s3,
    ledger,
    routes,
    now,
    leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS,
    multipartTtlMs,
    multipartIdleMs,
  });
  const context: EndpointContext = {
    routes,
    ledger,
    s3,
    completer,
    now,
    multipartTtlMs,
    multipartIdleMs,
    sweepGraceMs,
    settleCheckMs,
    createGraceMs: CREATE_GRACE_MS,
    completeWaitMs: options.completeWaitMs ?? 10_000,
    onError,
  };

  async function dispatch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path.startsWith(basePath) && isCompanionPath(path.slice(basePath.length))) {
      try {
        return await companionEndpoint(context, request, path.slice(basePath.length), basePath);
      } catch (error) {
        return render(error, onError, true);
      }
    }
    const match = path.startsWith(basePath) ? ENDPOINT.exec(path.slice(basePath.length)) : null;
    if (path.startsWith(`${basePath}/routes/`))
      return describeRoute(context, request, path.slice(basePath.length));
    if (!match) throw apiError("not_found", `no such endpoint: ${path}`);
    const [, id, action] = match;
    const method = request.method;
    if (id === undefined) {
      if (method === "POST") return createUpload(context, request);
      throw notAllowed(method, "POST");
    }
    if (action === undefined) {
      if (method === "GET") return uploadState(context, request, id);
      if (method === "DELETE") return abortUpload(context, request, id);
      throw notAllowed(method, "GET, DELETE");
    }
    if (method !== "POST") throw notAllowed(method, "POST");
    if (action === "parts") return partUrls(context, request, id);
    return completeUpload(context, request, id);
  }

  const sweepOnce = createSweeper({
    ledger,
    completer,
    routes,
    now,
    s3,
    sweepGraceMs,
    settleCheckMs,
    multipartIdleMs,
    orphanGraceMs: options.orphanGraceMs ?? DEFAULT_ORPHAN_GRACE_MS,
  });
  let running: Promise<SweepReport> | undefined;
  function sweep(): Promise<SweepReport> {
    running ??= sweepOnce().finally(() => {
      running = undefined;
    });
    return running;
  }
  // A Worker has no process to keep a timer in: its Cron Trigger calls sweep().
  const intervalMs = options.sweepIntervalMs ?? (onWorkers() ? 0 : MINUTE_MS);
  const timer =
    intervalMs > 0
      ? setInterval(() => {
          sweep().then((report) => {
            for (const { id, error } of report.failed) onError(new Error(`sweep ${id}: ${error}`));
          }, onError);
        }, intervalMs)
      : undefined;
  // The sweeper never keeps a process alive on its own (where timers can: Node, Bun, Deno).
  if (typeof timer === "object" && typeof timer.unref === "function") timer.unref();
  else if (typeof timer === "number") {
    // Deno's own timers are ids. https://docs.deno.com/api/deno/~/Deno.unrefTimer
    (globalThis as { Deno?: { unrefTimer?(id: number): void } }).Deno?.unrefTimer?.(timer);
  }

  return {
    async handle(request) {
      try {
        return await dispatch(request);
      } catch (error) {
        return render(error, onError);
      }
    },
    sweep,
    ready: () => opened.ready(),
    async close() {
      if (timer) clearInterval(timer);
      await running?.catch(() => undefined);
      if (ownsLedger) await ledger.close();
    },
    signedHeaders: signedHeaders(routes),
    basePath,
    ledger,
  };
}

/** What a page's PUT may carry besides what browsers add: ours, and each route's metadata. */
function signedHeaders(routes: Routes): string[] {
  const metadata = new Set<string>();
  for (const route of Object.values(routes)) {
    for (const name of Object.keys(route.metadata)) metadata.add(`x-amz-meta-${name}`);
  }
  return ["content-type", "if-none-match", "x-amz-checksum-sha256", ...[...metadata].sort()];
}

function notAllowed(method: string, allow: string): ApiError {
  return apiError("method_not_allowed", `${method} is not allowed here; use ${allow}`, { allow });
}

/** The one place an error becomes a response. */
function render(error: unknown, onError: (error: unknown) => void, companion = false): Response {
  let refusal: ApiError;
  if (error instanceof ApiError) {
    refusal = error;
  } else if (error instanceof S3RequestError) {
    onError(error);
    const cause = helpForS3Error(error.code)?.cause;
    refusal = apiError(
      "storage_error",
      `the storage service failed: ${error.message}${cause ? ` (${cause})` : ""}`,
    );
  } else if (error instanceof CompletionHookError) {
    onError(error);
    refusal = apiError(
      "internal",
      "the upload is verified and kept, but the app could not record it yet; it will retry",
    );
  } else {
    onError(error);
    refusal = apiError("internal", "internal error");
  }
  const body: ApiErrorBody = { error: { code: refusal.code, message: refusal.message } };
  // Companion's shape too: Uppy 4 and 5 show a 4xx's top-level `message` to the user.
  return json(
    refusal.status,
    companion ? { ...body, message: refusal.message } : body,
    refusal.headers,
  );
}
