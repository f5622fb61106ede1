/**
 * `POST {base}/{id}/parts` → URLs for the parts asked for, signed now: a page asks as
 * parts start, so no URL waits in a queue long enough to expire. Each URL binds its part's
 * exact length, so the store refuses a part of any other size, as it does a single PUT.
 */

import type { PartUrlsResponse } from "../../protocol.js";
import { apiError } from "../api-error.js";
import { parsePartNumbers, readJson } from "../parse-request.js";
import { partSizeOf } from "../plan.js";
import { type EndpointContext, json, keepSigningParts, loadOwnIntent } from "./endpoint.js";

export async function partUrls(
  context: EndpointContext,
  request: Request,
  id: string,
): Promise<Response> {
  const body = await readJson(request);
  const intent = await loadOwnIntent(context, request, id);
  const plan = intent.plan;
  if (plan.kind !== "multipart") {
    throw apiError("invalid_state", "this upload is a single PUT; it has no parts");
  }
  const size = intent.size;
  if (size === undefined || plan.partCount === 0) {
    throw apiError("invalid_state", "this upload has no plan; its parts are signed at {base}/s3/");
  }
  const partNumbers = parsePartNumbers(body, plan.partCount);
  const route = await keepSigningParts(context, intent);
  const response: PartUrlsResponse = {
    parts: partNumbers.map((partNumber) => {
      const partSize = partSizeOf(plan, size, partNumber);
      const presigned = context.s3.presignUploadPart(
        intent.key,
        plan.uploadId,
        partNumber,
        partSize,
        route.expiresIn,
      );
      // The bound Content-Length is the browser's to send.
      const { "content-length": _length, ...headers } = presigned.headers;
      return {
        partNumber,
        method: "PUT" as const,
        url: presigned.url,
        headers,
        size: partSize,
        expiresAt: presigned.expiresAt.toISOString(),
      };
    }),
  };
  return json(200, response);
}
