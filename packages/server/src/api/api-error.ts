/**
 * The upload API's one error class, and the one place errors become HTTP: every refusal
 * is an `ApiError`, rendered by the handler as `{ "error": { "code", "message" } }` with
 * its status. Messages are for the page's developer and, often, its user: they name the
 * cause ("image/gif is not allowed here; allowed: image/jpeg, image/png").
 */

/** Every code the API answers with. The status is part of the contract; see the table. */
export type ApiErrorCode =
  | "bad_request"
  | "unsupported_media_type"
  | "unauthenticated"
  | "forbidden"
  | "not_found"
  | "unknown_route"
  | "method_not_allowed"
  | "type_not_allowed"
  | "too_large"
  | "too_small"
  | "too_many_pending"
  | "not_uploaded"
  | "parts_missing"
  | "completion_in_progress"
  | "invalid_state"
  | "expired"
  | "verification_failed"
  | "storage_error"
  | "internal";

export const STATUS: Readonly<Record<ApiErrorCode, number>> = {
  bad_request: 400,
  // Too small is a client mistake about the file, not "content too large": 400.
  too_small: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  unknown_route: 404,
  method_not_allowed: 405,
  not_uploaded: 409,
  parts_missing: 409,
  completion_in_progress: 409,
  invalid_state: 409,
  expired: 410,
  too_large: 413,
  unsupported_media_type: 415,
  type_not_allowed: 415,
  verification_failed: 422,
  too_many_pending: 429,
  internal: 500,
  storage_error: 502,
};

export class ApiError extends Error {
  override readonly name = "ApiError";
  /** Extra response headers, e.g. `Allow` on a 405 or `Retry-After` on a 409. */
  readonly headers: Readonly<Record<string, string>>;

  /**
   * An app's `authorize` throws `new ApiError(403, "forbidden", "...")` to refuse; it may
   * use a code of its own (`"quota_exceeded"`), which the page receives as it is.
   */
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode | (string & {}),
    message: string,
    headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(`an ApiError needs a 4xx or 5xx status, not ${status}`);
    }
    this.headers = headers;
  }
}

/** An `ApiError` with the status its code always has. */
export function apiError(
  code: ApiErrorCode,
  message: string,
  headers?: Readonly<Record<string, string>>,
): ApiError {
  return new ApiError(STATUS[code], code, message, headers);
}
