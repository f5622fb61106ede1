/**
 * The client's one error class. `kind` says what went wrong in a way a page can branch
 * on; `code` carries the upload API's code (`type_not_allowed`) or the store's S3 code
 * (`SignatureDoesNotMatch`) when there is one; `message` is written for a person.
 *
 * The messages here are built by pure functions, so each can be read and tested alone.
 * S3's error document and what its codes mean come from `@sluice/s3`, the project's one
 * reading of them.
 */
import { helpForS3Error, parseS3Error as readS3Error } from "@sluice/s3";

export type UploadErrorKind =
  /** The upload API refused it (its policy: type, size, route, too many pending; 4xx). */
  | "refused"
  /** The upload API does not know who is asking (401): sign in. */
  | "unauthenticated"
  /** The bytes arrived but did not verify (422): wrong type, size or content. */
  | "rejected"
  /** The browser blocked the request to the store: the bucket's CORS rules refused this origin. */
  | "cors"
  /** The network failed, retries included. */
  | "network"
  /** The store refused a request (an S3 error code, e.g. `SignatureDoesNotMatch`). */
  | "storage"
  /** The upload API failed (5xx), retries included. */
  | "server"
  /** The upload (or its URL) expired and could not be renewed. */
  | "expired"
  /** `abort()` or the caller's signal. */
  | "aborted";

export interface UploadErrorOptions {
  /** HTTP status; 0 when no response was readable (network, CORS). */
  readonly status?: number;
  /** The API's error code or the store's S3 code. */
  readonly code?: string;
  readonly cause?: unknown;
}

export class UploadError extends Error {
  override readonly name = "UploadError";
  readonly status: number;
  readonly code: string | undefined;

  constructor(
    readonly kind: UploadErrorKind,
    message: string,
    options: UploadErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status ?? 0;
    this.code = options.code;
  }
}

/** `<Error><Code>…</Code><Message>…</Message></Error>`, as S3 (and our store) answer. */
export interface S3ErrorBody {
  readonly code: string;
  readonly message: string;
}

/**
 * Reads S3's error document. The page can read it because the store adds the bucket's
 * CORS headers to error responses too (S3 and R2 do the same). `undefined` for anything
 * that is not an S3 error document.
 */
export function parseS3Error(text: string): S3ErrorBody | undefined {
  const document = readS3Error(text);
  return document && { code: document.code, message: document.message };
}

/** Where a presigned URL points: the store's origin and (path-style) its bucket. */
export interface StoreTarget {
  readonly endpoint: string;
  readonly bucket: string | undefined;
}

/**
 * The store and bucket of a presigned URL. Sluice's upload API signs path-style URLs
 * (`https://host/bucket/key`) unless configured otherwise, so the first path segment is
 * taken as the bucket; for a virtual-hosted URL the hint is wrong and says so only by
 * naming a bucket the operator will not recognise.
 */
export function storeTargetOf(url: string): StoreTarget {
  try {
    const parsed = new URL(url);
    const first = parsed.pathname.split("/")[1];
    return {
      endpoint: parsed.origin,
      bucket: first === undefined || first === "" ? undefined : decodeURIComponent(first),
    };
  } catch {
    return { endpoint: url, bucket: undefined };
  }
}

/** The words for a request the browser blocked on CORS (status 0, the store reachable). */
export function corsRefusalMessage(pageOrigin: string, url: string): string {
  const { endpoint, bucket } = storeTargetOf(url);
  const command = [
    "sluice cors check",
    `--endpoint-url ${endpoint}`,
    ...(bucket !== undefined ? [`--bucket ${bucket}`] : []),
    `--origin ${pageOrigin}`,
    "--method PUT",
  ].join(" ");
  return (
    `The browser blocked the upload to ${endpoint}: the bucket's CORS rules do not allow ` +
    `this page's origin (${pageOrigin}) to send it. Add exactly that origin to the bucket's ` +
    `CORS rules (scheme, host and port must all match), then check them with: ${command}`
  );
}

/** The words for a network failure that outlasted every retry. */
export function networkFailureMessage(what: string, attempts: number): string {
  return `${what} failed: the network connection was lost and ${attempts} ${attempts === 1 ? "attempt" : "attempts"} did not get through. Check the connection and try again.`;
}

/** The words for a refusal from the store, from its S3 code and message. */
export function storeRefusalMessage(
  status: number,
  body: S3ErrorBody | undefined,
  what: string,
): string {
  if (!body) return `${what} was refused by the storage service (HTTP ${status}).`;
  const said = body.message === "" ? "" : `: ${body.message}`;
  switch (body.code) {
    case "SignatureDoesNotMatch":
      // The store's message names the header that differed; say it as it is.
      return (
        `${what} was refused because the request did not match its signature${said}. ` +
        "The page must send exactly the headers the upload API returned, each once."
      );
    case "ExpiredRequest":
    case "AccessDenied":
      if (/expired/i.test(body.message)) {
        return `${what} took longer than its upload URL lasts (${body.code})${said}.`;
      }
      return `${what} was refused by the storage service (${body.code})${said}.`;
    case "NoSuchUpload":
      return `${what} can no longer be finished: the storage service no longer has this multipart upload (it was aborted or expired). Start the upload again.`;
    default: {
      // A store that says nothing (Ceph RGW sends <Message/>) is explained from its code.
      const cause = said === "" ? helpForS3Error(body.code)?.cause : undefined;
      return `${what} was refused by the storage service (${body.code})${cause ? `: ${cause}` : said}.`;
    }
  }
}

/** Whether an S3 refusal means the presigned URL expired (so a fresh one will do). */
export function isExpiredUrl(status: number, body: S3ErrorBody | undefined): boolean {
  if (status !== 403 || !body) return false;
  if (body.code === "ExpiredRequest") return true;
  return body.code === "AccessDenied" && /expired/i.test(body.message);
}
