/**
 * Deciding a CORS request against a bucket's configuration the way S3 does.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html
 * ("How does Amazon S3 evaluate the CORS configuration on a bucket?")
 *
 * - The first rule whose origin, method and requested headers all match wins.
 * - Origin: anchored, case-sensitive, `*` matches zero or more characters.
 * - Method: the Access-Control-Request-Method for a preflight; for an actual request the
 *   method, unless it carries Access-Control-Request-Method, which S3 then uses instead.
 *   Upper case only.
 * - Headers: each name in Access-Control-Request-Headers must match an AllowedHeader,
 *   case-insensitively; a rule without AllowedHeaders matches only when none are asked.
 * - Response headers, their order and formatting, are what AWS sends (LocalStack's AWS-validated recordings).
 *
 * Bucket existence is the store's business; everything after it is here, in AWS's order
 * of checks: no Origin → 400; no configuration → 403; bad or missing ACRM → 400; no rule
 * → 403, the order that reproduces every recorded AWS answer.
 *
 * Deliberate differences: an empty Origin counts as missing (as LocalStack's AWS-validated
 * handler does). A requested header name with characters no header name may have matches
 * no rule, not even `*`, so it is refused rather than echoed into Allow-Headers.
 */
import { type CompiledCors, type CorsHeader, compileCors, methodBit } from "./compile.js";
import type {
  ActualRequest,
  ActualResult,
  ActualUnmatched,
  CorsResource,
  PreflightBadRequest,
  PreflightForbidden,
  PreflightRequest,
  PreflightResult,
  RuleMismatch,
} from "./evaluation.js";
import type { CorsConfiguration } from "./model.js";
import { explainMismatches } from "./reasons.js";

// The shapes live apart, so that the reasons can name them without importing this file.
export type * from "./evaluation.js";

const NO_ORIGIN_MESSAGE = "Insufficient information. Origin request header needed.";
const NOT_ENABLED_MESSAGE = "CORSResponse: CORS is not enabled for this bucket.";
// AWS's text, typo ("evalution") and all.
const NOT_ALLOWED_MESSAGE =
  "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.";

const NONE: readonly string[] = Object.freeze([]);
const NO_REASONS: readonly RuleMismatch[] = Object.freeze([]);

const NO_ORIGIN: PreflightBadRequest = Object.freeze({
  allowed: false,
  status: 400,
  code: "BadRequest",
  message: NO_ORIGIN_MESSAGE,
  reasons: NO_REASONS,
});
const ACTUAL_NO_ORIGIN: ActualUnmatched = Object.freeze({
  matched: false,
  cause: "no-origin",
  reasons: NO_REASONS,
});
const ACTUAL_NOT_ENABLED: ActualUnmatched = Object.freeze({
  matched: false,
  cause: "not-enabled",
  reasons: NO_REASONS,
});

/** Decides a preflight (`OPTIONS`). Pass `undefined` when the bucket has no configuration. */
export function evaluatePreflight(
  configuration: CorsConfiguration | CompiledCors | undefined,
  request: PreflightRequest,
): PreflightResult {
  const origin = request.origin;
  if (!origin) return NO_ORIGIN;
  const method = request.accessControlRequestMethod;
  if (configuration === undefined) {
    return {
      allowed: false,
      status: 403,
      code: "AccessForbidden",
      message: NOT_ENABLED_MESSAGE,
      method: method || "OPTIONS",
      resourceType: "BUCKET",
      reasons: NO_REASONS,
    };
  }
  if (!method || methodBit(method) === 0) {
    return {
      allowed: false,
      status: 400,
      code: "BadRequest",
      message: `Invalid Access-Control-Request-Method: ${method || "null"}`,
      reasons: NO_REASONS,
    };
  }
  const compiled = compileCors(configuration);
  const names = requestedHeaders(request.accessControlRequestHeaders);
  const index = names === undefined ? -1 : compiled.firstMatch(origin, method, names);
  if (index < 0) {
    return new ForbiddenPreflight(
      compiled,
      origin,
      method,
      request.accessControlRequestHeaders,
      request.resource,
    );
  }
  const rule = compiled.rules[index];
  if (rule === undefined) throw new Error("unreachable: matched rule index out of range");
  const headers: CorsHeader[] = [rule.allowOrigin ?? ["Access-Control-Allow-Origin", origin]];
  for (const header of rule.beforeAllowHeaders) headers.push(header);
  // "Allow-Headers: the requested names, lower-cased, trimmed, request order" — only when asked.
  if (names !== undefined && names.length > 0) {
    headers.push(["Access-Control-Allow-Headers", names.join(", ")]);
  }
  for (const header of rule.afterAllowHeaders) headers.push(header);
  return { allowed: true, rule: index, headers };
}

/**
 * Decides which CORS headers an actual (non-OPTIONS) response carries, error responses
 * included. Unmatched requests are served normally, without CORS headers or Vary.
 */
export function evaluateActual(
  configuration: CorsConfiguration | CompiledCors | undefined,
  request: ActualRequest,
): ActualResult {
  const origin = request.origin;
  // "If the header is missing, Amazon S3 doesn't treat the request as a cross-origin request."
  if (!origin) return ACTUAL_NO_ORIGIN;
  if (configuration === undefined) return ACTUAL_NOT_ENABLED;
  // S3 matches an actual request carrying ACRM by the ACRM (AWS-recorded "get-wrong-op").
  const method = request.accessControlRequestMethod || request.method;
  const compiled = compileCors(configuration);
  const names = requestedHeaders(request.accessControlRequestHeaders);
  const index = names === undefined ? -1 : compiled.firstMatch(origin, method, names);
  if (index < 0) {
    return new UnmatchedActual(compiled, origin, method, request.accessControlRequestHeaders);
  }
  const rule = compiled.rules[index];
  if (rule === undefined) throw new Error("unreachable: matched rule index out of range");
  const headers: CorsHeader[] = [rule.allowOrigin ?? ["Access-Control-Allow-Origin", origin]];
  for (const header of rule.beforeAllowHeaders) headers.push(header);
  for (const header of rule.afterAllowHeaders) headers.push(header);
  return { matched: true, rule: index, headers };
}

/**
 * The names in Access-Control-Request-Headers: split on commas, trimmed of spaces and
 * tabs, empty ones dropped, lower-cased; one pass, no RegExp. `undefined` when a name is
 * not a valid header name, which no rule can match.
 */
function requestedHeaders(raw: string | undefined): readonly string[] | undefined {
  return scanRequestedHeaders(raw, true);
}

/** The same names, invalid ones included, to explain a refusal. */
function splitRequestedHeaders(raw: string | undefined): readonly string[] {
  return scanRequestedHeaders(raw, false) ?? NONE;
}

/** RFC 7230 tchar, indexed by character code. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TCHAR[c.charCodeAt(0)] = 1;
}

function scanRequestedHeaders(
  raw: string | undefined,
  validate: boolean,
): readonly string[] | undefined {
  if (!raw) return NONE;
  const names: string[] = [];
  const length = raw.length;
  let start = 0;
  while (start <= length) {
    let end = raw.indexOf(",", start);
    if (end < 0) end = length;
    let from = start;
    let to = end;
    while (from < to && isSpaceOrTab(raw.charCodeAt(from))) from++;
    while (to > from && isSpaceOrTab(raw.charCodeAt(to - 1))) to--;
    if (to > from) {
      if (validate) {
        for (let i = from; i < to; i++) {
          const c = raw.charCodeAt(i);
          if (c >= 128 || TCHAR[c] === 0) return undefined;
        }
      }
      names.push(raw.slice(from, to).toLowerCase());
    }
    start = end + 1;
  }
  return names;
}

function isSpaceOrTab(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/**
 * A refusal after a scan, whose `reasons` are built on first read: an unmatched actual
 * request is common (any page may hotlink) and is served anyway, so the sentences are
 * built only for someone who asks. The getter lives on the prototype, which keeps the
 * object cheap; `toJSON` puts the reasons back into logs.
 */
abstract class Unexplained {
  readonly #compiled: CompiledCors;
  readonly #origin: string;
  readonly #method: string;
  readonly #rawHeaders: string | undefined;
  #reasons: readonly RuleMismatch[] | undefined;

  constructor(
    compiled: CompiledCors,
    origin: string,
    method: string,
    rawHeaders: string | undefined,
  ) {
    this.#compiled = compiled;
    this.#origin = origin;
    this.#method = method;
    this.#rawHeaders = rawHeaders;
  }

  get reasons(): readonly RuleMismatch[] {
    this.#reasons ??= explainMismatches(
      this.#compiled,
      this.#origin,
      this.#method,
      splitRequestedHeaders(this.#rawHeaders),
    );
    return this.#reasons;
  }

  toJSON(): object {
    return { ...this, reasons: this.reasons };
  }
}

class ForbiddenPreflight extends Unexplained implements PreflightForbidden {
  readonly allowed = false;
  readonly status = 403;
  readonly code = "AccessForbidden";
  readonly message = NOT_ALLOWED_MESSAGE;
  readonly method: string;
  readonly resourceType: CorsResource;

  constructor(
    compiled: CompiledCors,
    origin: string,
    method: string,
    rawHeaders: string | undefined,
    resourceType: CorsResource,
  ) {
    super(compiled, origin, method, rawHeaders);
    this.method = method;
    this.resourceType = resourceType;
  }
}

class UnmatchedActual extends Unexplained implements ActualUnmatched {
  readonly matched = false;
  readonly cause = "no-rule";
}
