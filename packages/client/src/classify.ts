/**
 * The one place that decides what a failed request means: retry (after how long), wait
 * for the network, fetch a fresh URL, go on as if it had worked, or fail with which
 * error. Pure: every input, the attempt count and the random source included, is given.
 *
 * The rules (after Uppy's `@uppy/aws-s3`, with S3's and R2's documented behaviour):
 * - offline → wait for the `online` event; waiting is not an attempt;
 * - a network error, a stalled request, 408, 429 and 5xx → retry with full-jitter
 *   backoff (longer when the answer says `Retry-After`);
 * - an expired presigned URL (403 `ExpiredRequest`, or S3's `AccessDenied` "Request has
 *   expired") → sign a new one and retry at once; so too a request the browser blocked
 *   (status 0) once the URL's own expiry has passed: a store that sends no CORS headers
 *   with its errors (Ceph RGW) refuses an expired URL in a way the page cannot read;
 * - 412 on a single PUT (`If-None-Match: *`) → an earlier attempt did land and only its
 *   answer was lost: go on to completion, which verifies the object;
 * - a request the browser blocked (status 0) while the store is reachable and has never
 *   answered this page → the bucket's CORS rules refused this origin: one retry (a lost
 *   connection looks the same once), then fail with how to check the rules;
 * - every other 4xx → fail at once: retrying cannot change the answer.
 */
import { type BackoffOptions, fullJitterDelay } from "./backoff.js";
import {
  corsRefusalMessage,
  isExpiredUrl,
  networkFailureMessage,
  type S3ErrorBody,
  storeRefusalMessage,
  UploadError,
  type UploadErrorKind,
} from "./upload-error.js";
import { presignedUrlExpiresAt } from "./url-expiry.js";

/**
 * What a status-0 failure turned out to be, from `navigator.onLine` and a probe of the
 * store (see `probe.ts`): `offline` (the browser says so), `unreachable` (the store does
 * not answer even an opaque request), `blocked` (it answers, but never answered this
 * page: CORS), `dropped` (it answers and has answered before: a lost connection),
 * `stalled` (no progress for too long; we gave up on the request).
 */
export type NetworkDiagnosis = "offline" | "unreachable" | "blocked" | "dropped" | "stalled";

export type Failure =
  /** A PUT of bytes to the store (a whole file or one part). */
  | {
      readonly source: "store";
      /** For messages: "The upload of photo.png" or "Part 3 of photo.png". */
      readonly what: string;
      readonly url: string;
      readonly status: number;
      /** The S3 error document, when the answer had one. */
      readonly s3?: S3ErrorBody | undefined;
      /** For status 0. */
      readonly diagnosis?: NetworkDiagnosis | undefined;
      /** A single PUT with `If-None-Match: *`, where 412 means "already there". */
      readonly conditional?: boolean;
      readonly retryAfterMs?: number | undefined;
    }
  /** A JSON request to the upload API. */
  | {
      readonly source: "api";
      readonly what: string;
      readonly status: number;
      /** The API's `error.code` and `error.message`, when it answered with them. */
      readonly code?: string | undefined;
      readonly message?: string | undefined;
      readonly offline?: boolean;
      readonly retryAfterMs?: number | undefined;
    };

export type Decision =
  | { readonly action: "retry"; readonly delayMs: number }
  | { readonly action: "wait-online" }
  | { readonly action: "resign" }
  | { readonly action: "proceed" }
  | { readonly action: "fail"; readonly error: UploadError };

export interface ClassifyContext {
  /** Attempts made so far, this failed one included (1 after the first failure). */
  readonly attempt: number;
  /** Attempts allowed in all (the first included). */
  readonly maxAttempts: number;
  /** `location.origin` of the page, for the CORS message. */
  readonly pageOrigin: string;
  readonly backoff?: BackoffOptions;
  readonly random?: () => number;
  /** Epoch milliseconds, to judge a URL's expiry; without it, no status-0 failure is taken for one. */
  readonly nowMs?: number;
}

export const DEFAULT_MAX_ATTEMPTS = 6;

const TRANSIENT = new Set([408, 429, 500, 502, 503, 504]);

export function classify(failure: Failure, context: ClassifyContext): Decision {
  return failure.source === "store"
    ? classifyStore(failure, context)
    : classifyApi(failure, context);
}

function retryOrFail(
  context: ClassifyContext,
  retryAfter: number | undefined,
  fail: () => UploadError,
): Decision {
  if (context.attempt >= context.maxAttempts) return { action: "fail", error: fail() };
  const jitter = fullJitterDelay(context.attempt, context.backoff, context.random);
  return { action: "retry", delayMs: Math.max(jitter, retryAfter ?? 0) };
}

function classifyStore(
  failure: Extract<Failure, { source: "store" }>,
  context: ClassifyContext,
): Decision {
  const { status, s3, what } = failure;
  const diagnosis = failure.diagnosis ?? "dropped";
  // Read from the URL itself when the page could not read the answer.
  const lapsedAt =
    status === 0 && diagnosis !== "offline" ? lapsed(failure.url, context.nowMs) : undefined;
  if (isExpiredUrl(status, s3) || lapsedAt !== undefined) {
    if (context.attempt >= context.maxAttempts) {
      const message =
        lapsedAt === undefined
          ? storeRefusalMessage(status, s3, what)
          : `${what} failed: its URL expired at ${new Date(lapsedAt).toISOString()}, and signing a new one did not help`;
      return {
        action: "fail",
        error: new UploadError("expired", message, { status, code: s3?.code }),
      };
    }
    return { action: "resign" };
  }
  if (status === 0) {
    if (diagnosis === "offline") return { action: "wait-online" };
    if (diagnosis === "blocked" && context.attempt >= 2) {
      return {
        action: "fail",
        error: new UploadError("cors", corsRefusalMessage(context.pageOrigin, failure.url), {
          status: 0,
        }),
      };
    }
    return retryOrFail(context, undefined, () => {
      const error = new UploadError("network", networkFailureMessage(what, context.attempt), {
        status: 0,
      });
      return error;
    });
  }
  if (status === 412 && failure.conditional) return { action: "proceed" };
  if (TRANSIENT.has(status)) {
    return retryOrFail(
      context,
      failure.retryAfterMs,
      () =>
        new UploadError("storage", storeRefusalMessage(status, s3, what), {
          status,
          code: s3?.code,
        }),
    );
  }
  const kind: UploadErrorKind = s3?.code === "NoSuchUpload" ? "expired" : "storage";
  return {
    action: "fail",
    error: new UploadError(kind, storeRefusalMessage(status, s3, what), {
      status,
      code: s3?.code,
    }),
  };
}

/** When the presigned URL stopped working, if it has by `nowMs` (and the URL says when). */
function lapsed(url: string, nowMs: number | undefined): number | undefined {
  const expiresAt = presignedUrlExpiresAt(url);
  return nowMs !== undefined && expiresAt !== undefined && nowMs >= expiresAt
    ? expiresAt
    : undefined;
}

function classifyApi(
  failure: Extract<Failure, { source: "api" }>,
  context: ClassifyContext,
): Decision {
  const { status, code, what } = failure;
  const said = failure.message ?? `HTTP ${status}`;
  const options = { status, ...(code !== undefined ? { code } : {}) };
  if (status === 0) {
    if (failure.offline) return { action: "wait-online" };
    return retryOrFail(
      context,
      undefined,
      () => new UploadError("network", networkFailureMessage(what, context.attempt), options),
    );
  }
  if (status === 401)
    return { action: "fail", error: new UploadError("unauthenticated", said, options) };
  // Another request is completing the same upload: its answer will be ours.
  if (status === 409 && code === "completion_in_progress") {
    return retryOrFail(
      context,
      failure.retryAfterMs ?? 1000,
      () => new UploadError("server", said, options),
    );
  }
  // "Too many pending uploads" is a policy, not a rate limit: waiting does not help.
  if (TRANSIENT.has(status) && code !== "too_many_pending") {
    return retryOrFail(
      context,
      failure.retryAfterMs,
      () => new UploadError("server", said, options),
    );
  }
  if (status === 410) return { action: "fail", error: new UploadError("expired", said, options) };
  if (status === 422) return { action: "fail", error: new UploadError("rejected", said, options) };
  if (status >= 500) return { action: "fail", error: new UploadError("server", said, options) };
  return { action: "fail", error: new UploadError("refused", said, options) };
}
