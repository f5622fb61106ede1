/**
 * `POST {base}/{id}/complete` → the verified file record (see `completion.ts` for what
 * "verified" means). Idempotent: a second call, or five at once, answer the same record,
 * and `onComplete` has run once.
 */
import { apiError } from "../api-error.js";
import { parseCompleteParts, readJson } from "../parse-request.js";
import { awaitOutcome } from "./await-outcome.js";
import { type EndpointContext, json, loadOwnIntent, stateError } from "./endpoint.js";

export async function completeUpload(
  context: EndpointContext,
  request: Request,
  id: string,
): Promise<Response> {
  const pageParts = parseCompleteParts(await readJson(request, { optional: true }));
  await loadOwnIntent(context, request, id);
  const ended = await awaitOutcome(context, id, async (intent) => {
    const settled = await context.completer.settle(intent, "complete", pageParts);
    if (settled.kind === "not-ready") throw apiError(settled.code, settled.message);
    return settled.kind;
  });
  if (ended.status === "complete" && ended.record) return json(200, ended.record);
  throw stateError(ended);
}
