/**
 * PutBucketCors validation, as S3 does it, with S3's codes and messages.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketCors.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/ManageCorsUsing.html
 *
 * Schema violations come first, for the whole document, as `MalformedXML` (S3 checks the
 * XML against its schema before it looks at values); then value errors as
 * `InvalidRequest`. The first error wins, as in S3's single `<Error>`.
 *
 * Deliberate differences (each marked where enforced):
 * - `ID` over 255 characters and a `MaxAgeSeconds` that is not a whole number in
 *   0..2^31-1 are `MalformedXML`; S3's exact answer is not recorded.
 * - A string with a character XML 1.0 cannot carry is `MalformedXML`: S3 could never
 *   receive it, and rejecting it keeps `encodeCorsXml` total.
 * - `ExposeHeader` must be header-name characters (`InvalidRequest`, worded like S3's
 *   AllowedHeader message): its values go into a response header, so CR/LF would be
 *   header injection. S3 does not document this check.
 * - flavor "r2" adds R2's rules (https://developers.cloudflare.com/r2/buckets/cors/):
 *   MaxAgeSeconds ≤ 86400; each origin `*` or `scheme://host[:port]` (a `*` in the host
 *   is accepted, as R2 does in practice); a wildcard port (`http://localhost:*`) is
 *   `MalformedXML`, as R2 answers (cloudflare-docs issue #32888).
 */
import { invalidRequest, malformedXml } from "./cors-config-error.js";
import { hasOnlyTokenChars } from "./header-name.js";
import {
  CORS_METHODS,
  type CorsConfiguration,
  type CorsConfigurationInput,
  type CorsFlavor,
  type CorsMethod,
  type CorsRule,
  type CorsRuleInput,
  MAX_AGE_SECONDS_LIMIT,
  MAX_RULE_ID_LENGTH,
  MAX_RULES,
  R2_MAX_AGE_SECONDS,
} from "./model.js";
import { countWildcards } from "./wildcard.js";
import { NOT_XML_CHAR } from "./xml-reader.js";

export interface ValidateOptions {
  /** Default "s3". */
  flavor?: CorsFlavor;
}

/** R2: "must be a valid origin" — scheme://host[:port], no path; `*` may stand in the host. */
const R2_ORIGIN =
  /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(?:\[[0-9A-Fa-f:.]+\]|[^\s/?#@:[\]]+)(?::[0-9]{1,5})?$/;
const WILDCARD_PORT = /:\*$/;

const METHODS: ReadonlySet<string> = new Set(CORS_METHODS);

/**
 * Checks a configuration the way PutBucketCors does and returns a fresh copy typed as
 * valid; throws `CorsConfigError` with S3's code and message otherwise.
 */
export function validateCors(
  input: CorsConfigurationInput,
  options: ValidateOptions = {},
): CorsConfiguration {
  const flavor = options.flavor ?? "s3";
  const rules = input.rules;
  if (rules.length === 0) throw malformedXml("the configuration has no CORSRule");
  if (rules.length > MAX_RULES) {
    throw malformedXml(
      `the configuration has ${rules.length} CORSRules; the limit is ${MAX_RULES}`,
    );
  }
  for (const [index, rule] of rules.entries()) checkSchema(rule, index + 1, flavor);
  for (const [index, rule] of rules.entries()) checkValues(rule, index + 1);
  return { rules: rules.map(copyRule) };
}

function checkSchema(rule: CorsRuleInput, n: number, flavor: CorsFlavor): void {
  if (rule.allowedOrigins.length === 0) throw malformedXml(`rule ${n} has no AllowedOrigin`);
  if (rule.allowedMethods.length === 0) throw malformedXml(`rule ${n} has no AllowedMethod`);
  if (rule.id !== undefined && rule.id.length > MAX_RULE_ID_LENGTH) {
    throw malformedXml(
      `rule ${n}: ID is ${rule.id.length} characters; the limit is ${MAX_RULE_ID_LENGTH}`,
    );
  }
  const maxAge = rule.maxAgeSeconds;
  if (maxAge !== undefined) {
    if (!Number.isInteger(maxAge) || maxAge < 0 || maxAge > MAX_AGE_SECONDS_LIMIT) {
      throw malformedXml(
        `rule ${n}: MaxAgeSeconds must be a whole number from 0 to ${MAX_AGE_SECONDS_LIMIT}, not ${maxAge}`,
      );
    }
    if (flavor === "r2" && maxAge > R2_MAX_AGE_SECONDS) {
      throw malformedXml(
        `rule ${n}: MaxAgeSeconds ${maxAge} is over R2's limit of ${R2_MAX_AGE_SECONDS}`,
      );
    }
  }
  checkXmlChars(n, "ID", rule.id === undefined ? [] : [rule.id]);
  checkXmlChars(n, "AllowedOrigin", rule.allowedOrigins);
  checkXmlChars(n, "AllowedMethod", rule.allowedMethods);
  checkXmlChars(n, "AllowedHeader", rule.allowedHeaders ?? []);
  checkXmlChars(n, "ExposeHeader", rule.exposeHeaders ?? []);
  if (flavor === "r2") {
    for (const origin of rule.allowedOrigins) {
      if (origin === "*") continue;
      if (WILDCARD_PORT.test(origin)) {
        throw malformedXml(
          `rule ${n}: AllowedOrigin "${origin}" has a wildcard port, which R2 rejects`,
        );
      }
      if (!R2_ORIGIN.test(origin)) {
        throw malformedXml(
          `rule ${n}: AllowedOrigin "${origin}" is not an origin (scheme://host[:port]), which R2 requires`,
        );
      }
    }
  }
}

function checkXmlChars(n: number, element: string, values: readonly string[]): void {
  for (const value of values) {
    if (NOT_XML_CHAR.test(value)) {
      throw malformedXml(
        `rule ${n}: ${element} ${JSON.stringify(value)} contains a character XML cannot carry`,
      );
    }
  }
}

function checkValues(rule: CorsRuleInput, n: number): void {
  for (const method of rule.allowedMethods) {
    // "Valid values are GET, PUT, HEAD, POST, and DELETE." — compared case-sensitively.
    if (!METHODS.has(method)) {
      throw inRule(
        n,
        `Found unsupported HTTP method in CORS config. Unsupported method is ${method}`,
      );
    }
  }
  for (const origin of rule.allowedOrigins) {
    // "The origin string can contain only one wildcard character (*)."
    if (countWildcards(origin) > 1) {
      throw inRule(n, `AllowedOrigin "${origin}" can not have more than one wildcard.`);
    }
  }
  for (const header of rule.allowedHeaders ?? []) {
    if (countWildcards(header) > 1) {
      throw inRule(n, `AllowedHeader "${header}" can not have more than one wildcard.`);
    }
    if (!hasOnlyTokenChars(header)) {
      throw inRule(n, `AllowedHeader "${header}" contains invalid character.`);
    }
  }
  for (const header of rule.exposeHeaders ?? []) {
    // Ours, not S3's: these values become a response header (see the module header).
    if (!hasOnlyTokenChars(header)) {
      throw inRule(n, `ExposeHeader "${header}" contains invalid character.`);
    }
  }
}

function inRule(n: number, message: string) {
  return invalidRequest(message, `rule ${n}: ${message}`);
}

function copyRule(rule: CorsRuleInput): CorsRule {
  return {
    ...(rule.id === undefined ? {} : { id: rule.id }),
    allowedOrigins: [...rule.allowedOrigins],
    // checkValues has proven every method is a CorsMethod.
    allowedMethods: [...rule.allowedMethods] as CorsMethod[],
    allowedHeaders: [...(rule.allowedHeaders ?? [])],
    exposeHeaders: [...(rule.exposeHeaders ?? [])],
    ...(rule.maxAgeSeconds === undefined ? {} : { maxAgeSeconds: rule.maxAgeSeconds }),
  };
}
