/**
 * `POST {base}` → 201: a URL for one PUT, or a multipart plan. The order of checks is
 * the order of refusals: body (400/415), route (404), caller (401/403), type (415), size
 * (413/400), the user's pending uploads (429).
 *
 * A single PUT's URL binds, as signed headers: Content-Type (exact), Content-Length
 * (exactly the declared size), `If-None-Match: *`, the SHA-256 when the page gave one,
 * and the route's metadata. What binds nothing is left out: no checksum of an empty body.
 */

import type { Intent } from "../../ledger/ledger.js";
import type { CreateUploadResponse } from "../../protocol.js";
import { apiError } from "../api-error.js";
import { extensionFor, normalizeType } from "../content-types.js";
import { checkKey } from "../object-key.js";
import { parseCreateUpload, readJson } from "../parse-request.js";
import { planParts } from "../plan.js";
import { routeNamed } from "../route.js";
import { newUploadId } from "../upload-id.js";
import { authorizeUser, type EndpointContext, json } from "./endpoint.js";

export async function createUpload(context: EndpointContext, request: Request): Promise<Response> {
  const body = parseCreateUpload(await readJson(request));
  const opened = await openUpload(context, request, body, "plan");
  const expiresAt = new Date(opened.expiresAt).toISOString();
  const response: CreateUploadResponse =
    opened.plan.kind === "multipart"
      ? {
          id: opened.id,
          key: opened.key,
          expiresAt,
          multipart: { partSize: opened.plan.partSize, partCount: opened.plan.partCount },
        }
      : {
          id: opened.id,
          key: opened.key,
          expiresAt,
          method: "PUT",
          url: opened.put?.url ?? "",
          headers: opened.put?.headers ?? {},
        };
  return json(201, response);
}

/** What an upload is asked for with: the native body, or Companion's (no size). */
export interface UploadRequest {
  readonly route: string;
  readonly name: string;
  readonly type: string;
  readonly size: number | undefined;
  readonly sha256?: string | undefined;
}

export interface OpenedUpload {
  readonly id: string;
  readonly key: string;
  readonly expiresAt: number;
  readonly plan: Intent["plan"];
  /** A single PUT's URL and the headers the page sends (Content-Length is the browser's). */
  readonly put?: { readonly url: string; readonly headers: Record<string, string> };
}

/**
 * Checks the request against its route and opens the upload: `plan` follows the route's
 * threshold and part size; `single` and `unplanned` (Companion's endpoints, where Uppy
 * chose) are one PUT, or a multipart upload whose parts the page cuts, each part URL
 * bound to no length.
 */
export async function openUpload(
  context: EndpointContext,
  request: Request,
  body: UploadRequest,
  shape: "plan" | "single" | "unplanned",
): Promise<OpenedUpload> {
  const { ledger, s3 } = context;
  const routeName = body.route;
  const route = routeNamed(context.routes, routeName);
  if (!route) {
    throw apiError("unknown_route", `there is no upload route named ${JSON.stringify(routeName)}`);
  }
  const user = await authorizeUser(route, request);
  const type = normalizeType(body.type);
  if (!route.types.includes(type)) {
    throw apiError(
      "type_not_allowed",
      `${body.type} files are not allowed here; allowed: ${route.types.join(", ")}`,
    );
  }
  if (body.size !== undefined && body.size > route.maxSize) {
    throw apiError(
      "too_large",
      `the file has ${formatBytes(body.size)}; this route takes at most ${formatBytes(route.maxSize)}`,
    );
  }
  if (body.size !== undefined && body.size < route.minSize) {
    throw apiError(
      "too_small",
      `the file has ${formatBytes(body.size)}; this route takes at least ${formatBytes(route.minSize)}`,
    );
  }

  const at = context.now().getTime();
  const id = newUploadId();
  const key = checkKey(
    route.key({ route: routeName, user, id, extension: extensionFor(type), type }),
  );
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(route.metadata)) {
    metadata[name] = headerSafe(value({ user, id, name: body.name, type, size: body.size }));
  }
  const metadataHeaders = Object.fromEntries(
    Object.entries(metadata).map(([name, value]) => [`x-amz-meta-${name}`, value]),
  );
  const tooMany = () =>
    apiError(
      "too_many_pending",
      `you have ${route.maxPendingPerUser} uploads in progress here; finish or cancel one first`,
    );
  const intent = {
    id,
    route: routeName,
    userId: user.id,
    user,
    key,
    name: body.name,
    type,
    size: body.size,
    metadata,
    createdAt: at,
  };

  const multipart =
    shape === "plan" ? (body.size as number) > route.multipartThreshold : shape === "unplanned";
  if (multipart) {
    // Refuse before creating an upload in the store that would only be aborted.
    if ((await ledger.countPending(user.id, at)) >= route.maxPendingPerUser) throw tooMany();
    const { partSize, partCount } =
      shape === "plan"
        ? planParts(body.size as number, route.partSize)
        : { partSize: 0, partCount: 0 };
    // The row first, `creating`: if this process dies, or the store's answer is lost,
    // before the upload id is written, the sweeper finds the row and aborts what the
    // store made at the key. Part URLs bind no whole-file hash, so no sha256 is kept.
    const creating = at + context.createGraceMs;
    const created = await ledger.create(
      {
        ...intent,
        status: "creating",
        sha256: undefined,
        plan: { kind: "multipart", uploadId: "", partSize, partCount },
        expiresAt: creating,
        sweepAt: creating,
      },
      route.maxPendingPerUser,
      at,
    );
    if (!created) throw tooMany();
    const uploadId = await s3.createMultipartUpload(key, {
      "content-type": type,
      ...metadataHeaders,
    });
    const expiresAt = context.now().getTime() + context.multipartTtlMs;
    const sweepAt = Math.min(expiresAt + context.sweepGraceMs, at + context.multipartIdleMs);
    if (!(await ledger.started(id, uploadId, expiresAt, sweepAt))) {
      // The store took longer than the sweeper waits: it has given this create up.
      await s3.abortMultipartUpload(key, uploadId).catch(context.onError);
      throw apiError("storage_error", "the storage took too long to start the upload; try again");
    }
    return { id, key, expiresAt, plan: { kind: "multipart", uploadId, partSize, partCount } };
  }

  const presigned = s3.presignPut(
    key,
    {
      "content-type": type,
      // The store itself refuses a body of any other length: R2 has no POST policy, so
      // this is where a size limit holds. Undeclared, the limit holds at verification.
      ...(body.size !== undefined ? { "content-length": body.size } : {}),
      // Create, never replace.
      "if-none-match": "*",
      ...(body.sha256 !== undefined
        ? { "x-amz-checksum-sha256": Buffer.from(body.sha256, "hex").toString("base64") }
        : {}),
      ...metadataHeaders,
    },
    route.expiresIn,
  );
  const expiresAt = presigned.expiresAt.getTime();
  const created = await ledger.create(
    {
      ...intent,
      sha256: body.sha256,
      plan: { kind: "single" },
      expiresAt,
      // The sweeper looks early: a page that went away after its PUT is settled soon.
      sweepAt: Math.min(expiresAt + context.sweepGraceMs, at + context.settleCheckMs),
    },
    route.maxPendingPerUser,
    at,
  );
  if (!created) throw tooMany();
  // Browsers set Content-Length from the body and refuse to let a page set it.
  const { "content-length": _length, ...headers } = presigned.headers;
  return { id, key, expiresAt, plan: { kind: "single" }, put: { url: presigned.url, headers } };
}

/**
 * A metadata value as a header can carry it: visible ASCII as it is, anything else
 * percent-encoded (browsers refuse to send it otherwise, and S3 would mangle it).
 */
function headerSafe(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value);
}

/** Sizes for people: exact bytes below 1 KiB, else KiB/MiB/GiB with up to two decimals. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toFixed(2))} ${units[unit]}`;
}
