/**
 * Advice around an evaluation, for people: what a browser holds against a preflight
 * answer, the near misses the rule-by-rule reasons do not name, and the smallest change
 * to the rules that lets a refused request through. Pure, like the rest of the package;
 * `@sluice/s3/diagnose` puts it beside the answers of a real endpoint.
 */
import type { CompiledCors } from "./compile.js";
import type { RuleMismatch } from "./evaluation.js";
import type { CorsMethod, CorsRule } from "./model.js";

/** What a preflight's answer is read from: a fetch `Response` will do. */
export interface PreflightAnswer {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
}

/** Methods a browser sends without asking for them in a preflight (Fetch: CORS-safelisted). */
const SAFELISTED_METHODS = new Set(["GET", "HEAD", "POST"]);

/**
 * What a browser holds against a preflight answer, as the Fetch standard's CORS-preflight
 * fetch judges it: an ok status, Allow-Origin equal to the origin (or `*`), the method
 * and every requested header allowed. Empty when the browser would go on.
 * https://fetch.spec.whatwg.org/#cors-preflight-fetch
 */
export function judgePreflightAnswer(
  answer: PreflightAnswer,
  origin: string,
  method: string,
  /** Lower case. */
  headers: readonly string[],
): string[] {
  const problems: string[] = [];
  if (answer.status < 200 || answer.status > 299) {
    problems.push(`the answer is ${answer.status}, and a preflight needs 2xx`);
  }
  const allowOrigin = answer.headers.get("access-control-allow-origin");
  if (allowOrigin === null) {
    problems.push("the answer has no Access-Control-Allow-Origin");
  } else if (allowOrigin !== "*" && allowOrigin !== origin) {
    problems.push(`Access-Control-Allow-Origin is ${allowOrigin}, not ${origin}`);
  }
  if (allowOrigin === null || answer.status > 299) return problems;
  const methods = headerList(answer.headers.get("access-control-allow-methods"));
  if (!SAFELISTED_METHODS.has(method) && !methods.includes(method) && !methods.includes("*")) {
    problems.push(`Access-Control-Allow-Methods (${methods.join(", ") || "none"}) lacks ${method}`);
  }
  const allowed = headerList(answer.headers.get("access-control-allow-headers")).map((h) =>
    h.toLowerCase(),
  );
  const missing = headers.filter((h) => !allowed.includes(h) && !allowed.includes("*"));
  if (missing.length > 0) {
    problems.push(
      `Access-Control-Allow-Headers (${allowed.join(", ") || "none"}) lacks ${missing.join(", ")}`,
    );
  }
  return problems;
}

/** The items of a comma-separated header value. */
export function headerList(value: string | null | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/** `rule 2 (uploads)`: 1-based, as people count, with the rule's ID when it has one. */
export function ruleLabel(compiled: CompiledCors | undefined | null, index: number): string {
  const id = compiled?.rules[index]?.rule.id;
  return `rule ${index + 1}${id ? ` (${id})` : ""}`;
}

/** One line per rule: `rule 1 (id): PUT from https://app; headers …; exposes …; max age …`. */
export function describeRule(rule: CorsRule, index: number): string {
  const parts = [
    `rule ${index + 1}${rule.id ? ` (${rule.id})` : ""}: ${rule.allowedMethods.join(", ")} from ${rule.allowedOrigins.join(", ")}`,
    `headers ${rule.allowedHeaders.length > 0 ? rule.allowedHeaders.join(", ") : "none"}`,
    `exposes ${rule.exposeHeaders.length > 0 ? rule.exposeHeaders.join(", ") : "nothing"}`,
  ];
  if (rule.maxAgeSeconds !== undefined) parts.push(`max age ${rule.maxAgeSeconds} s`);
  return parts.join("; ");
}

/**
 * Near misses the rule-by-rule reasons do not name: localhost, 127.0.0.1 and [::1] are
 * three origins to a browser, and so is each port.
 */
export function originHints(compiled: CompiledCors, origin: string): string[] {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)(\[[^\]]*\]|[^:/]*)(:\d+)?$/.exec(origin);
  if (!match) return [];
  const [, scheme, host, port = ""] = match as unknown as [string, string, string, string?];
  const hints: string[] = [];
  const loopback = ["localhost", "127.0.0.1", "[::1]"];
  if (loopback.includes(host)) {
    for (const other of loopback) {
      if (other === host) continue;
      const alternative = `${scheme}${other}${port}`;
      const index = compiled.rules.findIndex((rule) => rule.matchesOrigin(alternative));
      if (index >= 0) {
        hints.push(
          `hint: ${ruleLabel(compiled, index)} allows ${alternative}, not ${origin}: localhost, 127.0.0.1 and [::1] are different origins to a browser, and the page's address bar decides which one it sends`,
        );
      }
    }
  }
  for (const [index, rule] of compiled.rules.entries()) {
    for (const allowed of rule.rule.allowedOrigins) {
      if (allowed !== origin && allowed.replace(/:(?:\d+|\*)$/, "") === `${scheme}${host}`) {
        hints.push(
          `hint: ${ruleLabel(compiled, index)} allows ${allowed}: the port is part of the origin, and ${origin} is another one`,
        );
      }
    }
  }
  return hints;
}

export interface RefusedRequest {
  readonly origin: string;
  /** Upper case. */
  readonly method: string;
  /** Lower case. */
  readonly headers: readonly string[];
}

/** The smallest change that lets a refused request through. */
export type CorsFix =
  /** A page on plain http (not loopback): serve it over https rather than allow it. */
  | {
      readonly kind: "serve-over-https";
      readonly secureOrigin: string;
      /** A rule that already allows the https origin. */
      readonly allowingRule: number | undefined;
    }
  /** Changes to the closest rule (fewest failing parts), in words. */
  | { readonly kind: "change-rule"; readonly rule: number; readonly changes: readonly string[] }
  /** No rule comes close, or there are none: write the rules anew. */
  | { readonly kind: "regenerate" };

const INSECURE_ORIGIN = /^http:\/\/(?!localhost(?::|$)|127\.0\.0\.1(?::|$)|\[::1\](?::|$))/;

export function suggestCorsFix(
  compiled: CompiledCors | undefined,
  reasons: readonly RuleMismatch[],
  request: RefusedRequest,
): CorsFix {
  if (!compiled) return { kind: "regenerate" };
  const { origin, method, headers } = request;
  if (INSECURE_ORIGIN.test(origin)) {
    const secureOrigin = `https://${origin.slice("http://".length)}`;
    const allowing = compiled.rules.findIndex((rule) => rule.matchesOrigin(secureOrigin));
    return {
      kind: "serve-over-https",
      secureOrigin,
      allowingRule: allowing >= 0 ? allowing : undefined,
    };
  }
  let best = -1;
  let fewest = Number.POSITIVE_INFINITY;
  compiled.rules.forEach((_, index) => {
    const count = reasons.filter((r) => r.rule === index).length;
    if (count < fewest) {
      fewest = count;
      best = index;
    }
  });
  const rule = compiled.rules[best];
  if (rule === undefined) return { kind: "regenerate" };
  const changes: string[] = [];
  if (!rule.matchesOrigin(origin)) changes.push(`add ${origin} to AllowedOrigins`);
  if (!rule.rule.allowedMethods.includes(method as CorsMethod)) {
    changes.push(`add ${method} to AllowedMethods`);
  }
  const missing = headers.filter((h) => !rule.allowsHeader(h));
  if (missing.length > 0) changes.push(`add ${missing.join(", ")} to AllowedHeaders`);
  if (changes.length === 0) return { kind: "regenerate" };
  return { kind: "change-rule", rule: best, changes };
}
