/**
 * What every endpoint gets (the handler's parts, built once) and shares: finding the
 * caller's own upload, JSON answers, and the error each ended state answers with.
 */
import type { S3Api } from "@sluice/s3/client";
import type { Completer } from "../../completion/completion.js";
import type { Intent, Ledger } from "../../ledger/ledger.js";
import { type ApiError, apiError } from "../api-error.js";
import type { Routes, UploadUser } from "../route.js";
import { type Route, routeNamed } from "../route.js";
import { isUploadId } from "../upload-id.js";

export interface EndpointContext {
  readonly routes: Routes;
  readonly ledger: Ledger;
  readonly s3: S3Api;
  readonly completer: Completer;
  readonly now: () => Date;
  /** A multipart upload lapses after this long without a request for part URLs. */
  readonly multipartTtlMs: number;
  /** A multipart upload with no part and no activity for this long is expired early. */
  readonly multipartIdleMs: number;
  /** How long past its deadline an intent waits for in-flight PUTs before the sweeper acts. */
  readonly sweepGraceMs: number;
  /** When the sweeper first looks in the store for a single PUT the page did not complete. */
  readonly settleCheckMs: number;
  /** How long a `creating` intent may wait for the store before the sweeper cleans up. */
  readonly createGraceMs: number;
  /** How long `complete` and `abort` wait for another caller's claim to end. */
  readonly completeWaitMs: number;
  readonly onError: (error: unknown) => void;
}

/** The route's user for this request: 401 when there is none; `authorize` may throw 403. */
export async function authorizeUser<User extends UploadUser>(
  route: Route<User>,
  request: Request,
): Promise<User> {
  const user = await route.authorize(request);
  if (user === undefined || user === null) {
    throw apiError("unauthenticated", "sign in to upload files");
  }
  if (typeof user.id !== "string" || user.id === "") {
    throw new TypeError("authorize() must return a user whose id is a non-empty string");
  }
  return user;
}

/**
 * The upload, if it exists and is the caller's. Another user's upload answers exactly
 * as an unknown id does: its existence is not theirs to learn.
 */
export async function loadOwnIntent(
  context: EndpointContext,
  request: Request,
  id: string,
): Promise<Intent> {
  const intent = isUploadId(id) ? await context.ledger.get(id) : undefined;
  const route = intent && routeNamed(context.routes, intent.route);
  // A `creating` intent was never handed out: its create request has not answered.
  if (!intent || !route || intent.status === "creating") throw notFound(id);
  const user = await authorizeUser(route, request);
  if (user.id !== intent.userId) throw notFound(id);
  return intent;
}

/**
 * An upload asking for part URLs: refused unless it is pending and within its deadline;
 * otherwise it is alive, so its deadline moves on, and the sweeper's next look with it.
 * Answers the route whose expiry the URLs take.
 */
export async function keepSigningParts(context: EndpointContext, intent: Intent): Promise<Route> {
  if (intent.status !== "pending") throw stateError(intent);
  const at = context.now().getTime();
  if (at >= intent.expiresAt) throw apiError("expired", "this upload has expired; start a new one");
  const expiresAt = at + context.multipartTtlMs;
  await context.ledger.extend(
    intent.id,
    expiresAt,
    Math.min(expiresAt + context.sweepGraceMs, at + context.multipartIdleMs),
  );
  return routeNamed(context.routes, intent.route) as Route;
}

export function notFound(id: string): ApiError {
  return apiError("not_found", `there is no upload ${JSON.stringify(id.slice(0, 64))}`);
}

/** The refusal for acting on an upload in this state. */
export function stateError(intent: Intent): ApiError {
  switch (intent.status) {
    case "rejected":
      return apiError(
        "verification_failed",
        `the upload was refused: ${intent.error ?? "it did not verify"}`,
      );
    case "expired":
      return apiError(
        "expired",
        `the upload has expired: ${intent.error ?? "it was not finished in time"}`,
      );
    case "aborted":
      return apiError("invalid_state", "the upload was aborted");
    case "complete":
      return apiError("invalid_state", "the upload is already complete");
    case "creating":
    case "pending":
    case "completing":
      return apiError(
        "completion_in_progress",
        "another request is completing this upload; ask again in a moment",
        { "retry-after": "1" },
      );
  }
}

export function json(
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      // Presigned URLs are credentials for a few minutes: no cache keeps them.
      "cache-control": "no-store",
      ...headers,
    },
  });
}
