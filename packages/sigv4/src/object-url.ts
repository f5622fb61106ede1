/** URLs for objects, and the pieces SigV4 needs from a URL, without WHATWG normalisation. */
import { uriEncodePath } from "./uri-encode.js";

export interface UrlParts {
  /** `http:` or `https:`. */
  readonly protocol: string;
  /** Host and port as the client sends them in `Host`. */
  readonly host: string;
  /** Percent-encoded path, verbatim: `.` and `..` segments are part of an S3 key. */
  readonly path: string;
  /** Raw query, without `?`. */
  readonly query: string;
}

const URL_PATTERN = /^(https?:)\/\/([^/?#]+)([^?#]*)(?:\?([^#]*))?(?:#.*)?$/i;

/**
 * Splits an absolute http(s) URL. Unlike `new URL()`, it keeps `/a/../b` as it is: the
 * WHATWG parser would remove the dot segments and so change which key is signed.
 */
export function splitUrl(url: string | URL): UrlParts {
  if (typeof url !== "string") {
    return {
      protocol: url.protocol,
      host: url.host,
      path: url.pathname,
      query: url.search.slice(1),
    };
  }
  const match = URL_PATTERN.exec(url);
  if (!match) throw new TypeError(`not an absolute http(s) URL: ${url}`);
  const [, scheme, authority, path, query] = match as unknown as [
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  const protocol = scheme.toLowerCase();
  return {
    protocol,
    host: hostHeader(protocol, authority),
    path: path === "" ? "/" : path,
    query: query ?? "",
  };
}

/**
 * The `Host` a client sends for this authority: lower-case, without a default port. It is
 * what browsers, fetch and the AWS SDK send and sign, so it is what we sign too.
 */
function hostHeader(protocol: string, authority: string): string {
  const host = authority.toLowerCase();
  const defaultPort = protocol === "https:" ? ":443" : ":80";
  return host.endsWith(defaultPort) ? host.slice(0, -defaultPort.length) : host;
}

export interface ObjectUrlOptions {
  /** `https://bucket.host/key` instead of `https://host/bucket/key`. */
  readonly virtualHosted?: boolean;
}

/**
 * The URL of an object: the key encoded S3's way (every byte but unreserved ones and `/`),
 * so any key, `a b+c/ü.txt` or `a//b/../c`, reaches the store as itself.
 */
export function objectUrl(
  endpoint: string,
  bucket: string,
  key: string,
  options: ObjectUrlOptions = {},
): string {
  const { protocol, host, path } = splitUrl(endpoint);
  const base = path.endsWith("/") ? path.slice(0, -1) : path;
  if (options.virtualHosted) return `${protocol}//${bucket}.${host}${base}/${uriEncodePath(key)}`;
  return `${protocol}//${host}${base}/${bucket}/${uriEncodePath(key)}`;
}
