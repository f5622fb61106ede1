/**
 * Why a request matched no rule: for every rule, a sentence per part that failed.
 * S3 only ever says "This CORS request is not allowed"; Sluice promises to name the
 * cause. Built only after a refusal, never on the path that answers a match.
 * Rule numbers in sentences are 1-based, as people count; `rule` fields are indexes.
 */
import type { CompiledCors, CompiledRule } from "./compile.js";
import { methodBit } from "./compile.js";
import type { ActualUnmatched, PreflightRefusal, RuleMismatch } from "./evaluation.js";
import { isHeaderName } from "./header-name.js";
import { WildcardPattern } from "./wildcard.js";

export type { RuleMismatch } from "./evaluation.js";

export function explainMismatches(
  compiled: CompiledCors,
  origin: string,
  method: string,
  names: readonly string[],
): RuleMismatch[] {
  const reasons: RuleMismatch[] = [];
  const bit = methodBit(method);
  compiled.rules.forEach((compiledRule, index) => {
    const n = index + 1;
    const rule = compiledRule.rule;
    if (!compiledRule.matchesOrigin(origin)) {
      reasons.push({
        rule: index,
        part: "origin",
        message:
          `origin ${origin} matches no AllowedOrigins of rule ${n} (${rule.allowedOrigins.join(", ")})` +
          originHint(origin, compiledRule),
      });
    }
    if ((compiledRule.methodBits & bit) === 0) {
      reasons.push({
        rule: index,
        part: "method",
        message: `method ${method} is not in AllowedMethods of rule ${n} (${rule.allowedMethods.join(", ")})`,
      });
    }
    if (names.length === 0) return;
    if (rule.allowedHeaders.length === 0) {
      reasons.push({
        rule: index,
        part: "headers",
        message: `rule ${n} has no AllowedHeaders, so it matches only requests that ask for no headers`,
      });
      return;
    }
    for (const name of names) {
      if (!isHeaderName(name)) {
        reasons.push({
          rule: index,
          part: "headers",
          message: `header ${JSON.stringify(name)} is not a valid header name, so no AllowedHeader of rule ${n} matches it`,
        });
      } else if (!compiledRule.allowsHeader(name)) {
        reasons.push({
          rule: index,
          part: "headers",
          message: `header ${name} is not in AllowedHeaders of rule ${n} (${rule.allowedHeaders.join(", ")})`,
        });
      }
    }
  });
  return reasons;
}

/** The near misses people make most: a trailing slash, letter case, http for https. */
function originHint(origin: string, rule: CompiledRule): string {
  if (origin.endsWith("/") && rule.matchesOrigin(origin.replace(/\/+$/, ""))) {
    return "; without its trailing slash it would match";
  }
  for (const pattern of rule.origins) {
    const source = pattern.source;
    if (source.endsWith("/") && pattern.matches(`${origin}/`)) {
      return `; AllowedOrigin ${source} ends with a slash, which an Origin never has`;
    }
    const folded = new WildcardPattern(source, { caseInsensitive: true });
    if (folded.matches(origin.toLowerCase())) {
      return `; AllowedOrigin ${source} differs only in letter case, and origins compare case-sensitively`;
    }
    const otherScheme = origin.startsWith("http://")
      ? `https://${origin.slice(7)}`
      : origin.startsWith("https://")
        ? `http://${origin.slice(8)}`
        : undefined;
    if (otherScheme !== undefined && pattern.matches(otherScheme)) {
      return `; AllowedOrigin ${source} has the other scheme (http and https are different origins)`;
    }
  }
  return "";
}

/** A refusal as text for the CLI: what S3 answers, then every reason on its own line. */
export function describeRefusal(result: PreflightRefusal | ActualUnmatched): string {
  let head: string;
  if ("matched" in result) {
    head =
      result.cause === "no-origin"
        ? "not a CORS request: there is no Origin header, so no CORS headers are added"
        : result.cause === "not-enabled"
          ? "the bucket has no CORS configuration, so no CORS headers are added"
          : "no CORS rule matches, so the response carries no CORS headers";
  } else {
    head = `${result.status} ${result.code}: ${result.message}`;
    if (result.code === "AccessForbidden") {
      head += ` (Method ${result.method}, ResourceType ${result.resourceType})`;
    }
  }
  return [head, ...result.reasons.map((reason) => `  - ${reason.message}`)].join("\n");
}
