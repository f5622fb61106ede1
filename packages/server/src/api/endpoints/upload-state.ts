/**
 * `GET {base}/{id}` → where an upload stands; for a pending multipart upload, the parts
 * the store already holds (ListParts), so a page reloaded mid-upload sends only the rest.
 */
import { isUploadGone } from "@sluice/s3/client";
import type { Intent } from "../../ledger/ledger.js";
import type { UploadedPart, UploadState } from "../../protocol.js";
import { type EndpointContext, json, loadOwnIntent } from "./endpoint.js";

export async function uploadState(
  context: EndpointContext,
  request: Request,
  id: string,
): Promise<Response> {
  const intent = await loadOwnIntent(context, request, id);
  return json(200, await describeIntent(context, intent));
}

async function describeIntent(context: EndpointContext, intent: Intent): Promise<UploadState> {
  let multipart: UploadState["multipart"];
  const plan = intent.plan;
  if (plan.kind === "multipart") {
    let uploaded: UploadedPart[] = [];
    if (intent.status === "pending") {
      try {
        const stored = await context.s3.listParts(intent.key, plan.uploadId);
        // A plan of no parts (Uppy's, through Companion's endpoints): every stored part.
        uploaded = stored.filter(
          (part) => plan.partCount === 0 || part.partNumber <= plan.partCount,
        );
      } catch (error) {
        // Gone from the store (aborted by a lifecycle rule): nothing to resume.
        if (!isUploadGone(error)) throw error;
      }
    }
    multipart = { partSize: plan.partSize, partCount: plan.partCount, uploaded };
  }
  const size = intent.record?.size ?? intent.size;
  return {
    id: intent.id,
    key: intent.key,
    route: intent.route,
    name: intent.name,
    type: intent.type,
    ...(size !== undefined ? { size } : {}),
    // `loadOwnIntent` never gives a `creating` one.
    status: intent.status === "creating" ? "pending" : intent.status,
    createdAt: new Date(intent.createdAt).toISOString(),
    expiresAt: new Date(intent.expiresAt).toISOString(),
    ...(multipart ? { multipart } : {}),
    ...(intent.status === "complete" && intent.record ? { file: intent.record } : {}),
    ...(intent.error !== undefined ? { error: intent.error } : {}),
  };
}
