/**
 * Why a signature does not match, in words. A mismatch only says that some byte of the
 * canonical request differs from what was signed; here we try the usual suspects one at
 * a time — a signed header the request did not send, a duplicated header, a different
 * Content-Type, another method, another encoding of the key — and re-verify. When one
 * variant verifies, that variant is the cause. Costs a few dozen HMACs, on the failure
 * path only.
 */
import type { HeaderMap } from "./canonical-request.js";
import { type VerifyOptions, type VerifyRequest, verify } from "./verify.js";

/** Types clients commonly sign or send; a mismatch between two of them is common. */
const COMMON_CONTENT_TYPES = [
  "application/octet-stream",
  "image/jpeg",
  "image/png",
  "image/webp",
  "image/gif",
  "image/avif",
  "image/heic",
  "image/svg+xml",
  "application/pdf",
  "application/json",
  "application/zip",
  "application/x-www-form-urlencoded",
  "multipart/form-data",
  "text/plain",
  "text/plain;charset=UTF-8",
  "text/html",
  "text/csv",
  "video/mp4",
  "video/quicktime",
  "video/webm",
  "audio/mpeg",
  "audio/wav",
  "",
];

const METHODS = ["GET", "PUT", "HEAD", "DELETE", "POST"];

function single(headers: HeaderMap, name: string): string | undefined {
  const value = headers[name];
  return value === undefined || typeof value === "string" ? value : value.join(",");
}

/** Which difference made the signature fail; `unexplained` when no single one did. */
export type MismatchCause =
  | "header-not-sent"
  | "header-sent-twice"
  | "content-type"
  | "method"
  | "key-encoding"
  | "unexplained";

export interface MismatchExplanation {
  readonly cause: MismatchCause;
  /** A sentence naming the cause, or, when unexplained, what to check. */
  readonly message: string;
}

/**
 * Explains a `signature-mismatch` result of `verify(request, options)`: the likely cause,
 * or, when no single change explains it (a wrong secret key, a value we cannot guess),
 * what to check. Undefined when the request verifies or fails otherwise.
 */
export function explainMismatch(
  request: VerifyRequest,
  options: VerifyOptions,
): MismatchExplanation | undefined {
  const first = verify(request, options);
  if (first.ok || first.failure.kind !== "signature-mismatch") return undefined;
  const { missingHeaders } = first.failure;
  if (missingHeaders.length > 0) {
    const names = missingHeaders.join(", ");
    return {
      cause: "header-not-sent",
      message: `the signature covers ${names}, but the request did not send ${missingHeaders.length === 1 ? "it" : "them"}`,
    };
  }
  const signed = new Set(signedHeaderNames(first.failure.canonicalRequest));
  const matches = (variant: Partial<VerifyRequest>) =>
    verify({ ...request, ...variant }, options).ok;
  const withHeader = (name: string, value: string | undefined): HeaderMap => {
    const headers: Record<string, string | readonly string[] | undefined> = { ...request.headers };
    headers[name] = value;
    return headers;
  };

  // A header sent twice: browsers join the values ("image/png, image/png").
  for (const name of signed) {
    const value = request.headers[name];
    const values = typeof value === "string" ? value.split(/\s*,\s*/) : (value ?? []);
    if (values.length > 1 && matches({ headers: withHeader(name, values[0]) })) {
      return {
        cause: "header-sent-twice",
        message: `the request sent ${name} more than once (${JSON.stringify(single(request.headers, name))}); it was signed once, as ${JSON.stringify(values[0])}`,
      };
    }
  }

  const contentType = single(request.headers, "content-type");
  if (signed.has("content-type") && contentType !== undefined) {
    const candidates = new Set([...COMMON_CONTENT_TYPES, contentType.split(";")[0]?.trim() ?? ""]);
    for (const candidate of candidates) {
      if (candidate === contentType) continue;
      if (matches({ headers: withHeader("content-type", candidate) })) {
        return {
          cause: "content-type",
          message: `the request's Content-Type is ${JSON.stringify(contentType)} but the URL was signed for ${JSON.stringify(candidate)}`,
        };
      }
    }
  }

  for (const method of METHODS) {
    if (method !== request.method && matches({ method })) {
      return {
        cause: "method",
        message: `the request is a ${request.method}, but it was signed for ${method}`,
      };
    }
  }

  // The key encoded another way: "+" for a space, or encoded twice.
  const alternatives = [request.path.replaceAll("+", "%20"), safeDecode(request.path)];
  for (const path of alternatives) {
    if (path !== undefined && path !== request.path && matches({ path })) {
      return {
        cause: "key-encoding",
        message: `the key in the path is encoded differently from how it was signed (signed as ${path})`,
      };
    }
  }

  const hints: string[] = [];
  if (signed.has("content-length")) {
    hints.push(
      `content-length is signed and the request sent ${single(request.headers, "content-length") ?? "none"}: a file of another size needs a new URL`,
    );
  }
  hints.push(
    `check the secret key, and that Host (${single(request.headers, "host") ?? "none"}) is the host the URL was signed for`,
  );
  return { cause: "unexplained", message: `no single difference explains it; ${hints.join("; ")}` };
}

function signedHeaderNames(canonicalRequest: string): string[] {
  const lines = canonicalRequest.split("\n");
  return (lines[lines.length - 2] ?? "").split(";");
}

function safeDecode(path: string): string | undefined {
  try {
    return decodeURIComponent(path);
  } catch {
    return undefined;
  }
}
