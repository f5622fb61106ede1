/**
 * The JSON bodies the API accepts, parsed once, here, into typed values: a field of the
 * wrong type, out of range or missing is a 400 naming the field. Unknown fields are
 * ignored, so a newer client can talk to an older server.
 */

import type { CreateUploadRequest } from "../protocol.js";
import { apiError } from "./api-error.js";

/** Request bodies are small JSON; anything larger is not ours. */
export const MAX_BODY_BYTES = 64 * 1024;
/** Part URLs per request: enough for a few minutes of parallel parts, no more. */
export const MAX_PART_URLS_PER_REQUEST = 100;
const MAX_NAME_LENGTH = 1024;

type Json = Record<string, unknown>;

/**
 * Reads a JSON object body. POSTs must say `Content-Type: application/json`: a page on
 * another site cannot send that without a CORS preflight, which an HTML form cannot. An
 * `optional` body (complete's) may also be absent or empty, whatever its type.
 */
export async function readJson(
  request: Request,
  options: { optional?: boolean } = {},
): Promise<Json> {
  const length = request.headers.get("content-length");
  const type = request.headers.get("content-type");
  const isJson = type !== null && /^application\/json\s*(?:;|$)/i.test(type);
  if (!isJson && !options.optional) throw notJson();
  if (length !== null && Number(length) > MAX_BODY_BYTES) throw bodyTooLarge();
  const text = await readText(request);
  if (options.optional && text.trim() === "") return {};
  if (!isJson) throw notJson();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw apiError("bad_request", "the request body is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw apiError("bad_request", "the request body must be a JSON object");
  }
  return value as Json;
}

function notJson() {
  return apiError(
    "unsupported_media_type",
    "send the request body as JSON, with Content-Type: application/json",
  );
}

async function readText(request: Request): Promise<string> {
  if (request.body === null) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw bodyTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function bodyTooLarge() {
  return apiError("too_large", `request bodies are JSON of at most ${MAX_BODY_BYTES} bytes`);
}

function field(body: Json, name: string, expected: string): never {
  const value = body[name];
  throw apiError(
    "bad_request",
    value === undefined
      ? `"${name}" is missing; it must be ${expected}`
      : `"${name}" must be ${expected}, not ${JSON.stringify(value)?.slice(0, 100)}`,
  );
}

export function parseCreateUpload(body: Json): CreateUploadRequest {
  const { route, name, type, size, sha256 } = body;
  if (typeof route !== "string" || route === "") field(body, "route", "a route name");
  if (typeof name !== "string" || name.length === 0 || name.length > MAX_NAME_LENGTH) {
    field(body, "name", `the file's name, 1 to ${MAX_NAME_LENGTH} characters`);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  if (/[\u0000-\u001f\u007f]/.test(name)) field(body, "name", "a name without control characters");
  if (typeof type !== "string" || type === "") field(body, "type", "the file's content type");
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    field(body, "size", "the file's size in bytes, a whole number");
  }
  if (sha256 !== undefined && (typeof sha256 !== "string" || !/^[0-9a-fA-F]{64}$/.test(sha256))) {
    field(body, "sha256", "the file's SHA-256 as 64 hex digits");
  }
  return {
    route,
    name,
    type,
    size,
    ...(sha256 !== undefined ? { sha256: (sha256 as string).toLowerCase() } : {}),
  };
}

/** Part numbers: whole numbers from 1 to `partCount`, each once, at most 100. */
export function parsePartNumbers(body: Json, partCount: number): number[] {
  const { partNumbers } = body;
  if (!Array.isArray(partNumbers) || partNumbers.length === 0) {
    field(body, "partNumbers", "a non-empty array of part numbers");
  }
  if (partNumbers.length > MAX_PART_URLS_PER_REQUEST) {
    throw apiError(
      "bad_request",
      `ask for at most ${MAX_PART_URLS_PER_REQUEST} part URLs at a time (asked for ${partNumbers.length}); URLs are signed just in time, so ask as parts start`,
    );
  }
  const seen = new Set<number>();
  for (const n of partNumbers) {
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > partCount) {
      throw apiError(
        "bad_request",
        `part numbers must be whole numbers from 1 to ${partCount}, the plan's part count; ${JSON.stringify(n)} is not`,
      );
    }
    if (seen.has(n)) throw apiError("bad_request", `part ${n} is asked for twice`);
    seen.add(n);
  }
  return [...seen];
}

/** The page's view of its parts, if it sent one: part number → ETag. */
export function parseCompleteParts(body: Json): Map<number, string> | undefined {
  const { parts } = body;
  if (parts === undefined) return undefined;
  const expected = "an array of { partNumber, etag }";
  if (!Array.isArray(parts)) field(body, "parts", expected);
  const out = new Map<number, string>();
  for (const part of parts) {
    const { partNumber, etag } = (part ?? {}) as Json;
    if (typeof partNumber !== "number" || !Number.isInteger(partNumber) || typeof etag !== "string")
      field(body, "parts", expected);
    out.set(partNumber, etag);
  }
  return out;
}
