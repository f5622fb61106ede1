/**
 * Strictness checks for a production upload bucket — what S3 accepts but Sluice's
 * promise ("no `*` origins, signed content type") does not. Validation says whether S3
 * takes a configuration; lint says whether it is safe and whether uploads will work.
 *
 * Findings carry a stable kebab-case `code` for tooling, the rule's index (undefined for
 * the configuration as a whole) and a sentence naming the rule 1-based, as people count.
 */
import { CompiledRule } from "./compile.js";
import type { CorsConfiguration, CorsRule } from "./model.js";

export type LintLevel = "error" | "warning";

export type LintCode =
  | "wildcard-origin"
  | "null-origin"
  | "unmatchable-origin"
  | "insecure-origin"
  | "loopback-origin"
  | "broad-wildcard-origin"
  | "wildcard-origin-write"
  | "wildcard-header"
  | "missing-required-header"
  | "missing-expose-etag"
  | "missing-max-age"
  | "no-upload-rule";

export interface LintFinding {
  level: LintLevel;
  /** Index of the rule (0-based); undefined for a finding about the whole configuration. */
  rule: number | undefined;
  code: LintCode;
  message: string;
}

export interface LintOptions {
  /**
   * Headers the upload API signs and the browser sends with a PUT, so every PUT rule
   * must allow them. Default `["content-type"]`.
   */
  requiredHeaders?: readonly string[];
}

export const DEFAULT_REQUIRED_HEADERS: readonly string[] = ["content-type"];

const WRITE_METHODS = ["PUT", "POST", "DELETE"] as const;
const ORIGIN_PARTS = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/;
const HOST_PORT = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/;

export function lintCors(config: CorsConfiguration, options: LintOptions = {}): LintFinding[] {
  const required = (options.requiredHeaders ?? DEFAULT_REQUIRED_HEADERS).map((h) =>
    h.toLowerCase(),
  );
  const findings: LintFinding[] = [];
  config.rules.forEach((rule, index) => {
    const report = (level: LintLevel, code: LintCode, message: string) =>
      findings.push({ level, rule: index, code, message: `rule ${index + 1} ${message}` });
    lintRule(rule, required, report);
  });
  if (!config.rules.some((rule) => rule.allowedMethods.includes("PUT"))) {
    findings.push({
      level: "warning",
      rule: undefined,
      code: "no-upload-rule",
      message: "no rule allows PUT, so browsers cannot upload to this bucket",
    });
  }
  return findings;
}

type Report = (level: LintLevel, code: LintCode, message: string) => void;

function lintRule(rule: CorsRule, required: readonly string[], report: Report): void {
  const writes = WRITE_METHODS.filter((m) => rule.allowedMethods.includes(m));
  for (const origin of rule.allowedOrigins) lintOrigin(origin, writes, report);

  for (const header of rule.allowedHeaders) {
    if (header === "*") {
      report(
        "error",
        "wildcard-header",
        "allows any request header (*); list the headers uploads send, such as content-type",
      );
    }
  }

  if (rule.allowedMethods.includes("PUT")) {
    const compiled = new CompiledRule(rule);
    for (const header of required) {
      if (!compiled.allowsHeader(header)) {
        report(
          "error",
          "missing-required-header",
          `allows PUT but not the header ${header}, which signed uploads send: the browser's preflight will be refused`,
        );
      }
    }
    if (!rule.exposeHeaders.some((h) => h.toLowerCase() === "etag")) {
      report(
        "warning",
        "missing-expose-etag",
        "allows PUT but does not expose ETag: the page cannot read part ETags to complete a multipart upload",
      );
    }
  }

  if (rule.maxAgeSeconds === undefined) {
    report(
      "warning",
      "missing-max-age",
      "has no MaxAgeSeconds: browsers then cache a preflight for seconds only, so nearly every upload pays an extra round trip",
    );
  }
}

function lintOrigin(origin: string, writes: readonly string[], report: Report): void {
  if (origin === "*") {
    report(
      "error",
      "wildcard-origin",
      "allows any origin (*): every web page can use this bucket from its visitors' browsers; list your app's origins",
    );
    return;
  }
  if (origin === "null") {
    report(
      "error",
      "null-origin",
      'allows the origin "null", which any sandboxed frame or local file sends',
    );
    return;
  }
  const unmatchable = whyUnmatchable(origin);
  if (unmatchable !== undefined) {
    report(
      "error",
      "unmatchable-origin",
      `allows ${JSON.stringify(origin)}, which no browser sends: ${unmatchable}`,
    );
    return;
  }
  const parts = ORIGIN_PARTS.exec(origin);
  const scheme = parts?.[1]?.toLowerCase();
  const host = HOST_PORT.exec(parts?.[2] ?? "")?.[1] ?? "";
  const loopback = parts !== null && isLoopbackHost(host);
  if (scheme === "http" && !loopback) {
    report(
      "error",
      "insecure-origin",
      `allows ${origin} over plain http: anyone on the network path can inject script into that origin; use https`,
    );
  }
  if (loopback) {
    report(
      "warning",
      "loopback-origin",
      `allows the local development origin ${origin}; keep it out of production buckets`,
    );
  }
  const star = origin.indexOf("*");
  if (star < 0) return;
  if (!isConfinedWildcard(origin, star)) {
    report(
      "warning",
      "broad-wildcard-origin",
      `allows ${origin}, whose * can match more than the subdomains of one domain; write scheme://*.domain`,
    );
  }
  if (writes.length > 0) {
    report(
      "warning",
      "wildcard-origin-write",
      `allows ${writes.join(", ")} from the wildcard origin ${origin}: every origin it matches can write to this bucket`,
    );
  }
}

/** Browsers serialize an origin as lower-case `scheme://host[:port]`, nothing more. */
function whyUnmatchable(origin: string): string | undefined {
  if (origin === "") return "it is empty";
  const parts = ORIGIN_PARTS.exec(origin);
  if (parts === null) {
    return origin.includes("*") ? undefined : "an Origin is scheme://host[:port]";
  }
  if ((parts[2] ?? "").includes("/")) return "an Origin has no path, not even a trailing slash";
  if (origin !== origin.toLowerCase()) return "browsers send the scheme and host in lower case";
  return undefined;
}

/** `scheme://*.domain` (subdomains of one domain) or `scheme://host:*` (any port of one host). */
function isConfinedWildcard(origin: string, star: number): boolean {
  const prefix = origin.slice(0, star);
  const suffix = origin.slice(star + 1);
  if (!/^[a-z][a-z0-9+.-]*:\/\//.test(prefix)) return false;
  const afterScheme = prefix.slice(prefix.indexOf("://") + 3);
  if (suffix.startsWith(".") && !afterScheme.includes(":")) return true;
  return suffix === "" && afterScheme.endsWith(":") && afterScheme.length > 1;
}

function isLoopbackHost(host: string): boolean {
  return (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    host === "[::1]" ||
    /^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/.test(host)
  );
}
