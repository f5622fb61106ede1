/**
 * An incoming request, parsed once at the boundary: which bucket and key it names
 * (path-style or virtual-hosted), its query, and its headers both as the Web API has
 * them and as they arrived (SigV4 signs repeated headers joined by ",", which
 * `Headers` cannot reproduce).
 */
import { randomBytes } from "node:crypto";
import { type HeaderMap, parseQuery, percentDecode } from "@sluice/sigv4";
import { S3Error } from "./s3-error.js";

export interface S3Request {
  /** Returned as `x-amz-request-id` and in every error body. */
  readonly id: string;
  readonly method: string;
  /** The path as it arrived, percent-encoded. */
  readonly rawPath: string;
  /** The query as it arrived, without `?`. */
  readonly rawQuery: string;
  /** Decoded query parameters (the first value of each name). */
  readonly query: ReadonlyMap<string, string>;
  readonly headers: Headers;
  /** Lower-case names, every value as sent: what SigV4 signs. */
  readonly rawHeaders: HeaderMap;
  readonly host: string;
  /** Whether the request came over TLS (the Node adapter serves plain HTTP only). */
  readonly secure: boolean;
  readonly bucket: string | undefined;
  readonly key: string | undefined;
  readonly body: ReadableStream<Uint8Array> | null;
}

export interface RequestContext {
  /** The request target exactly as sent (`/bucket/a/../b?x`): `Request.url` is normalised. */
  readonly rawTarget?: string;
  /** Headers exactly as sent, repeated ones as arrays. */
  readonly rawHeaders?: HeaderMap;
}

export interface Addressing {
  /** Hosts under which `<bucket>.<host>` is virtual-hosted addressing. */
  readonly virtualHostSuffixes: readonly string[];
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

export function parseS3Request(
  request: Request,
  context: RequestContext,
  addressing: Addressing,
): S3Request {
  const url = new URL(request.url);
  const target = context.rawTarget ?? `${url.pathname}${url.search}`;
  const q = target.indexOf("?");
  const rawPath = q < 0 ? target : target.slice(0, q);
  const rawQuery = q < 0 ? "" : target.slice(q + 1);
  const host = (request.headers.get("host") ?? url.host).toLowerCase();

  const query = new Map<string, string>();
  for (const parameter of parseQuery(rawQuery)) {
    if (!query.has(parameter.name)) query.set(parameter.name, parameter.value);
  }

  const [bucket, key] = address(rawPath, host, addressing);
  return {
    id: randomBytes(8).toString("hex").toUpperCase(),
    method: request.method,
    rawPath,
    rawQuery,
    query,
    headers: request.headers,
    rawHeaders: context.rawHeaders ?? headerMapOf(request.headers, host),
    host,
    secure: url.protocol === "https:",
    bucket,
    key,
    body: request.body,
  };
}

function address(
  rawPath: string,
  host: string,
  addressing: Addressing,
): [bucket: string | undefined, key: string | undefined] {
  const path = decodePath(rawPath);
  const hostname = host.replace(/:\d+$/, "");
  for (const suffix of addressing.virtualHostSuffixes) {
    if (hostname.endsWith(`.${suffix}`)) {
      const bucket = hostname.slice(0, -suffix.length - 1);
      const key = path.slice(1);
      return [bucket, key === "" ? undefined : key];
    }
  }
  if (path === "/" || path === "") return [undefined, undefined];
  const slash = path.indexOf("/", 1);
  if (slash < 0) return [path.slice(1), undefined];
  const key = path.slice(slash + 1);
  return [path.slice(1, slash), key === "" ? undefined : key];
}

/** Decodes `%XX` into UTF-8; a key that is not UTF-8 cannot be an S3 key. */
function decodePath(rawPath: string): string {
  if (!rawPath.includes("%")) return rawPath;
  try {
    return utf8.decode(percentDecode(rawPath, false));
  } catch {
    throw new S3Error("InvalidURI", "Couldn't parse the specified URI.", { URI: rawPath });
  }
}

/** When no raw headers are given (a Request built in-process), the Web API's view. */
function headerMapOf(headers: Headers, host: string): HeaderMap {
  const map: Record<string, string> = { host };
  for (const [name, value] of headers) map[name] = value;
  return map;
}

/** Header names arrive in any case; this is the one place raw headers are collected. */
export function rawHeaderMap(rawHeaders: readonly string[]): HeaderMap {
  const map: Record<string, string[]> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const values = map[name];
    if (values) values.push(rawHeaders[i + 1] as string);
    else map[name] = [rawHeaders[i + 1] as string];
  }
  return map;
}
