/**
 * What a route takes, read from the upload API (`GET {endpoint}/routes/{name}`) so a page
 * can say it before anything is chosen, and `checkFile()`, the same type and size checks
 * the API makes, so a file it would refuse is refused here without a request.
 * The API stays the judge: a page that skips the check is refused there, in the same words.
 */
import type { ApiErrorBody, RouteDescription } from "@sluice/protocol";
import type { HeadersOption } from "./api.js";
import { browserFetch, type CredentialsMode } from "./browser.js";
import { UploadError } from "./upload-error.js";

export interface DescribeRouteOptions {
  /** The upload API's base URL, as given to `createUploader`. */
  readonly endpoint: string;
  readonly headers?: HeadersOption;
  readonly credentials?: CredentialsMode;
  readonly signal?: AbortSignal;
}

/** The route's public policy; rejects with an `UploadError` saying why not. */
export async function describeRoute(
  route: string,
  options: DescribeRouteOptions,
): Promise<RouteDescription> {
  const url = `${options.endpoint.replace(/\/+$/, "")}/routes/${encodeURIComponent(route)}`;
  const extra =
    typeof options.headers === "function" ? await options.headers() : (options.headers ?? {});
  let response: Response;
  try {
    response = await browserFetch(url, {
      headers: { accept: "application/json", ...extra },
      credentials: options.credentials ?? "same-origin",
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw new UploadError("network", `Could not reach the upload API at ${url}.`, { cause: error });
  }
  const body = (await response.json().catch(() => undefined)) as unknown;
  if (response.status === 200 && isRouteDescription(body)) return body;
  const refusal = (body as Partial<ApiErrorBody> | undefined)?.error;
  throw new UploadError(
    response.status >= 500 ? "server" : "refused",
    refusal?.message ??
      `Reading the upload route ${JSON.stringify(route)} failed: the upload API answered HTTP ${response.status}.`,
    { status: response.status, ...(refusal?.code ? { code: refusal.code } : {}) },
  );
}

/** What `checkFile` needs of a file. */
export interface FileFacts {
  readonly name: string;
  readonly type: string;
  readonly size: number;
}

/**
 * Why the route would refuse this file (an `UploadError` of kind `refused`, with the
 * API's code and words), or `undefined` when it fits. A file without a type is declared
 * `application/octet-stream`, as `upload()` declares it.
 */
export function checkFile(route: RouteDescription, file: FileFacts): UploadError | undefined {
  const type = (file.type || "application/octet-stream").trim().toLowerCase();
  if (!route.types.includes(type)) {
    return new UploadError(
      "refused",
      `${type} files are not allowed here; allowed: ${route.types.join(", ")}`,
      { status: 415, code: "type_not_allowed" },
    );
  }
  if (file.size > route.maxSize) {
    return new UploadError(
      "refused",
      `the file has ${formatBytes(file.size)}; this route takes at most ${formatBytes(route.maxSize)}`,
      { status: 413, code: "too_large" },
    );
  }
  if (file.size < route.minSize) {
    return new UploadError(
      "refused",
      `the file has ${formatBytes(file.size)}; this route takes at least ${formatBytes(route.minSize)}`,
      { status: 400, code: "too_small" },
    );
  }
  return undefined;
}

/** `1.5 MiB`, `300 bytes`: sizes as the API's messages write them. */
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

function isRouteDescription(body: unknown): body is RouteDescription {
  const value = body as Partial<RouteDescription> | undefined;
  return (
    typeof value?.route === "string" &&
    Array.isArray(value.types) &&
    typeof value.maxSize === "number" &&
    typeof value.minSize === "number"
  );
}
