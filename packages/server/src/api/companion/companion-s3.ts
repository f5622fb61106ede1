/**
 * Companion's S3 endpoints under the API's base path, which `@uppy/aws-s3` calls given
 * `endpoint:` (Uppy 4, 5) or `companionEndpoint:` (Uppy 6), served by the same routes,
 * `authorize`, ledger and verification as the native API. The protocol is Companion's
 * (`packages/@uppy/companion/src/server/controllers/s3.js`, and the calls in
 * `@uppy/aws-s3`): Uppy's `uploadId` is Sluice's upload id, and every call that names
 * one must also give its `key`.
 *
 * | request                                          | answer                              |
 * | ------------------------------------------------ | ----------------------------------- |
 * | `GET  s3/params?filename&type&metadata[…]`       | `{ method: "PUT", url, fields, headers }` |
 * | `POST s3/multipart` `{ filename, type, metadata }` | `{ key, uploadId }`               |
 * | `GET  s3/multipart/{uploadId}/{partNumber}?key`  | `{ url, expires }`                  |
 * | `GET  s3/multipart/{uploadId}/batch?key&partNumbers=1,2` | `{ presignedUrls: { n: url } }` |
 * | `GET  s3/multipart/{uploadId}?key`               | `[{ PartNumber, Size, ETag }]`      |
 * | `POST s3/multipart/{uploadId}/complete?key` `{ parts }` | `{ location, key, file }`    |
 * | `DELETE s3/multipart/{uploadId}?key`             | `{}`                                |
 *
 * The route is `metadata.route` (Uppy sends a file's meta), else the only route. Uppy
 * sends no size: `metadata.size`, when the page sets it, is bound exactly; otherwise no
 * URL binds a length and the route's limits are checked on the object (HEAD) when it is
 * verified. Parts are Uppy's, so part URLs bind no length (only the key, the upload,
 * the part number and the expiry), and completion takes the store's own part list. A
 * single PUT is never reported by Uppy: the sweeper settles it (`settleCheckMs`).
 *
 * Uppy 6 POSTs a form to whatever `s3/params` answers, which R2 does not accept; Uppy 4
 * and 5 send `Accept: application/json` and follow `method: "PUT"`. A request without it
 * is refused, saying to upload every file as multipart (`shouldUseMultipart: true`).
 * Refusals carry Companion's top-level `message` besides Sluice's `error`: Uppy 4 and 5
 * show it for a 4xx (`@uppy/companion-client`'s `UserFacingApiError`).
 */
import type { Intent } from "../../ledger/ledger.js";
import { type ApiError, apiError } from "../api-error.js";
import { awaitOutcome } from "../endpoints/await-outcome.js";
import { openUpload } from "../endpoints/create-upload.js";
import {
  type EndpointContext,
  json,
  keepSigningParts,
  loadOwnIntent,
  notFound,
  stateError,
} from "../endpoints/endpoint.js";
import { readJson } from "../parse-request.js";

/** `/s3` or below it, relative to the base path. */
export function isCompanionPath(subpath: string): boolean {
  return subpath === "/s3" || subpath.startsWith("/s3/");
}

const MULTIPART = /^\/s3\/multipart(?:\/([^/]+)(?:\/([^/]+))?)?\/?$/;
const MAX_PART_NUMBER = 10_000;

export const POST_FORM_REFUSAL =
  "this upload API answers s3/params with a PUT, and Uppy 6 sends a POST form, which R2 " +
  "does not accept; give @uppy/aws-s3 `shouldUseMultipart: true`";

/** Companion's endpoint at `subpath` (below the base path). */
export async function companionEndpoint(
  context: EndpointContext,
  request: Request,
  subpath: string,
  basePath: string,
): Promise<Response> {
  const url = new URL(request.url);
  const method = request.method;
  if (subpath === "/s3/params" || subpath === "/s3/params/") {
    if (method !== "GET") throw notAllowed(method, "GET");
    return params(context, request, url);
  }
  const match = MULTIPART.exec(subpath);
  if (!match) {
    throw apiError(
      "not_found",
      `no such endpoint: ${url.pathname} (temporary credentials are never given out)`,
    );
  }
  const [, id, action] = match;
  if (id === undefined) {
    if (method !== "POST") throw notAllowed(method, "POST");
    return createMultipart(context, request);
  }
  if (action === undefined) {
    if (method === "GET") return listParts(context, request, id, url);
    if (method === "DELETE") return abort(context, request, id, url);
    throw notAllowed(method, "GET, DELETE");
  }
  if (action === "complete") {
    if (method !== "POST") throw notAllowed(method, "POST");
    return complete(context, request, id, url, basePath);
  }
  if (method !== "GET") throw notAllowed(method, "GET");
  if (action === "batch") {
    const numbers = (url.searchParams.get("partNumbers") ?? "").split(",");
    const intent = await ownUpload(context, request, id, url);
    const signed = await signParts(context, intent, numbers.map(partNumber));
    return json(200, {
      presignedUrls: Object.fromEntries(signed.map(({ n, url }) => [n, url])),
    });
  }
  const intent = await ownUpload(context, request, id, url);
  const [signed] = await signParts(context, intent, [partNumber(action)]);
  return json(200, { url: signed?.url, expires: signed?.expires });
}

async function params(context: EndpointContext, request: Request, url: URL): Promise<Response> {
  if (!/application\/json/i.test(request.headers.get("accept") ?? "")) {
    throw apiError("bad_request", POST_FORM_REFUSAL);
  }
  const query = url.searchParams;
  const metadata: Record<string, string> = {};
  for (const [name, value] of query) {
    const inner = /^metadata\[(.+)\]$/.exec(name)?.[1];
    if (inner !== undefined) metadata[inner] = value;
  }
  const opened = await openUpload(
    context,
    request,
    uploadRequest(context, query.get("filename"), query.get("type"), metadata),
    "single",
  );
  return json(200, {
    method: "PUT",
    url: opened.put?.url,
    fields: {},
    headers: opened.put?.headers ?? {},
  });
}

async function createMultipart(context: EndpointContext, request: Request): Promise<Response> {
  const body = await readJson(request);
  const metadata: Record<string, string> = {};
  if (typeof body.metadata === "object" && body.metadata !== null) {
    for (const [name, value] of Object.entries(body.metadata)) {
      if (value !== null && value !== undefined) metadata[name] = String(value);
    }
  }
  const opened = await openUpload(
    context,
    request,
    uploadRequest(context, body.filename, body.type, metadata),
    "unplanned",
  );
  return json(200, { key: opened.key, uploadId: opened.id });
}

/** The native request for Companion's fields: route and size from the file's meta. */
function uploadRequest(
  context: EndpointContext,
  filename: unknown,
  type: unknown,
  metadata: Record<string, string>,
) {
  if (typeof filename !== "string" || filename === "") {
    throw apiError("bad_request", "filename: the file's name is required");
  }
  if (typeof type !== "string" || type === "") {
    throw apiError("bad_request", "type: the file's content type is required");
  }
  const names = Object.keys(context.routes);
  const route = metadata.route ?? (names.length === 1 ? names[0] : undefined);
  if (route === undefined) {
    throw apiError(
      "bad_request",
      `say which upload route: set the file's meta "route" (one of ${names.join(", ")})`,
    );
  }
  let size: number | undefined;
  if (metadata.size !== undefined) {
    size = Number(metadata.size);
    if (!/^\d+$/.test(metadata.size) || !Number.isSafeInteger(size)) {
      throw apiError(
        "bad_request",
        `metadata size must be the file's size in bytes, not ${JSON.stringify(metadata.size.slice(0, 40))}`,
      );
    }
  }
  return { route, name: filename, type, size };
}

/** The caller's upload `id`, if `key` (Companion's `?key=`) is its key. */
async function ownUpload(
  context: EndpointContext,
  request: Request,
  id: string,
  url: URL,
): Promise<Intent> {
  const intent = await loadOwnIntent(context, request, id);
  if (url.searchParams.get("key") !== intent.key) throw notFound(id);
  return intent;
}

function partNumber(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_PART_NUMBER) {
    throw apiError(
      "bad_request",
      `part numbers are 1 to ${MAX_PART_NUMBER}, not ${JSON.stringify(text.slice(0, 20))}`,
    );
  }
  return n;
}

async function signParts(context: EndpointContext, intent: Intent, numbers: number[]) {
  const plan = intent.plan;
  if (plan.kind !== "multipart" || plan.partCount !== 0) {
    throw apiError("invalid_state", "this upload was not started with s3/multipart");
  }
  const route = await keepSigningParts(context, intent);
  return numbers.map((n) => {
    // Uppy cuts the parts: no length is bound; the object's is checked at verification.
    const presigned = context.s3.presignUploadPart(
      intent.key,
      plan.uploadId,
      n,
      undefined,
      route.expiresIn,
    );
    return { n, url: presigned.url, expires: route.expiresIn };
  });
}

async function listParts(
  context: EndpointContext,
  request: Request,
  id: string,
  url: URL,
): Promise<Response> {
  const intent = await ownUpload(context, request, id, url);
  if (intent.plan.kind !== "multipart" || intent.status !== "pending") throw stateError(intent);
  const stored = await context.s3.listParts(intent.key, intent.plan.uploadId);
  return json(
    200,
    stored.map((part) => ({
      PartNumber: part.partNumber,
      Size: part.size,
      ETag: `"${part.etag}"`,
    })),
  );
}

async function complete(
  context: EndpointContext,
  request: Request,
  id: string,
  url: URL,
  basePath: string,
): Promise<Response> {
  const body = await readJson(request, { optional: true });
  const pageParts = new Map<number, string>();
  for (const part of Array.isArray(body.parts) ? body.parts : []) {
    const { PartNumber, ETag } = (part ?? {}) as { PartNumber?: unknown; ETag?: unknown };
    if (typeof PartNumber !== "number" || typeof ETag !== "string") {
      throw apiError("bad_request", "parts: an array of { PartNumber, ETag }");
    }
    pageParts.set(PartNumber, ETag);
  }
  await ownUpload(context, request, id, url);
  const ended = await awaitOutcome(context, id, async (intent) => {
    const settled = await context.completer.settle(intent, "complete", pageParts);
    if (settled.kind === "not-ready") throw apiError(settled.code, settled.message);
    return settled.kind;
  });
  if (ended.status === "complete" && ended.record) {
    // Where the app reads the record: the native state of this upload.
    return json(200, {
      location: `${basePath}/${ended.id}`,
      key: ended.key,
      file: ended.record,
    });
  }
  throw stateError(ended);
}

async function abort(
  context: EndpointContext,
  request: Request,
  id: string,
  url: URL,
): Promise<Response> {
  await ownUpload(context, request, id, url);
  const ended = await awaitOutcome(context, id, async (intent) => {
    return (await context.completer.abort(intent)).kind === "busy" ? "busy" : "ended";
  });
  if (ended.status === "complete") {
    throw apiError("invalid_state", "this upload is complete; it can no longer be aborted");
  }
  return json(200, {});
}

function notAllowed(method: string, allow: string): ApiError {
  return apiError("method_not_allowed", `${method} is not allowed here; use ${allow}`, { allow });
}
