/**
 * `DELETE {base}/{id}` → 204: the upload is given up, and the store cleaned (the
 * multipart upload aborted, or an uploaded but unreported object deleted). Idempotent;
 * an upload that already ended without a file answers 204 as well. A complete upload
 * is the app's file now: 409, and the app deletes it its own way.
 */
import { apiError } from "../api-error.js";
import { awaitOutcome } from "./await-outcome.js";
import { type EndpointContext, loadOwnIntent } from "./endpoint.js";

export async function abortUpload(
  context: EndpointContext,
  request: Request,
  id: string,
): Promise<Response> {
  await loadOwnIntent(context, request, id);
  const ended = await awaitOutcome(context, id, async (intent) => {
    return (await context.completer.abort(intent)).kind === "busy" ? "busy" : "ended";
  });
  if (ended.status === "complete") {
    throw apiError("invalid_state", "this upload is complete; it can no longer be aborted");
  }
  return new Response(null, { status: 204, headers: { "cache-control": "no-store" } });
}
