/**
 * A configuration prepared for evaluation: every pattern split once, methods as a bit
 * set, and the response headers that do not depend on the request built once per rule.
 * The store evaluates on every request that carries an Origin, so the per-request work
 * is string comparisons only — no RegExp, no per-rule allocation.
 */
import type { CorsConfiguration, CorsRule } from "./model.js";
import { WildcardPattern } from "./wildcard.js";

/** A response header as `[name, value]`; shared tuples are frozen. */
export type CorsHeader = readonly [name: string, value: string];

export const VARY_VALUE = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

/** Bit of a method in `CompiledRule.methodBits`; 0 for anything S3 does not allow. */
export function methodBit(method: string): number {
  switch (method) {
    case "GET":
      return 1;
    case "PUT":
      return 2;
    case "POST":
      return 4;
    case "DELETE":
      return 8;
    case "HEAD":
      return 16;
    default:
      return 0;
  }
}

const ALLOW_ORIGIN_ANY: CorsHeader = Object.freeze(["Access-Control-Allow-Origin", "*"] as const);
const ALLOW_CREDENTIALS: CorsHeader = Object.freeze([
  "Access-Control-Allow-Credentials",
  "true",
] as const);
const VARY: CorsHeader = Object.freeze(["Vary", VARY_VALUE] as const);

export class CompiledRule {
  readonly rule: CorsRule;
  readonly origins: readonly WildcardPattern[];
  /** The rule lists the literal `*`: AWS then answers `Allow-Origin: *` without credentials. */
  readonly anyOrigin: boolean;
  readonly methodBits: number;
  /** Lower-cased, because header names compare case-insensitively. */
  readonly headers: readonly WildcardPattern[];
  readonly anyHeader: boolean;
  /** Allow-Origin when it does not echo the Origin. */
  readonly allowOrigin: CorsHeader | undefined;
  /** Headers between Allow-Origin and Allow-Headers, in AWS's order. */
  readonly beforeAllowHeaders: readonly CorsHeader[];
  /** Headers after Allow-Headers. */
  readonly afterAllowHeaders: readonly CorsHeader[];

  constructor(rule: CorsRule) {
    this.rule = rule;
    this.origins = rule.allowedOrigins.map(
      (o) => new WildcardPattern(o, { caseInsensitive: false }),
    );
    this.anyOrigin = rule.allowedOrigins.includes("*");
    this.methodBits = rule.allowedMethods.reduce((bits, m) => bits | methodBit(m), 0);
    this.headers = rule.allowedHeaders.map(
      (h) => new WildcardPattern(h, { caseInsensitive: true }),
    );
    this.anyHeader = rule.allowedHeaders.includes("*");
    this.allowOrigin = this.anyOrigin ? ALLOW_ORIGIN_ANY : undefined;
    const before: CorsHeader[] = [
      Object.freeze(["Access-Control-Allow-Methods", rule.allowedMethods.join(", ")] as const),
    ];
    if (!this.anyOrigin) before.push(ALLOW_CREDENTIALS);
    if (rule.maxAgeSeconds !== undefined) {
      before.push(Object.freeze(["Access-Control-Max-Age", String(rule.maxAgeSeconds)] as const));
    }
    const after: CorsHeader[] = [];
    if (rule.exposeHeaders.length > 0) {
      after.push(
        Object.freeze(["Access-Control-Expose-Headers", rule.exposeHeaders.join(", ")] as const),
      );
    }
    after.push(VARY);
    this.beforeAllowHeaders = before;
    this.afterAllowHeaders = after;
  }

  matchesOrigin(origin: string): boolean {
    if (this.anyOrigin) return true;
    const origins = this.origins;
    for (let i = 0; i < origins.length; i++) {
      if ((origins[i] as WildcardPattern).matches(origin)) return true;
    }
    return false;
  }

  allowsHeader(name: string): boolean {
    if (this.anyHeader) return true;
    const headers = this.headers;
    for (let i = 0; i < headers.length; i++) {
      if ((headers[i] as WildcardPattern).matches(name)) return true;
    }
    return false;
  }

  /** `names` are lower-cased, valid header names. No names: always allowed, even with no AllowedHeaders. */
  allowsHeaders(names: readonly string[]): boolean {
    for (let i = 0; i < names.length; i++) {
      if (!this.allowsHeader(names[i] as string)) return false;
    }
    return true;
  }
}

/** How many distinct origins a compiled configuration remembers the matching rules of. */
export const ORIGIN_MEMO_ENTRIES = 256;
/** Longer origins are matched afresh each time, so the memo stays small (Origin is untrusted). */
export const ORIGIN_MEMO_MAX_LENGTH = 256;

export class CompiledCors {
  readonly configuration: CorsConfiguration;
  readonly rules: readonly CompiledRule[];
  /**
   * Origin → indexes of the rules whose AllowedOrigins match it. A bucket sees few
   * distinct origins, and matching one against every pattern of 100 rules is most of
   * the cost of an evaluation; insertion order makes eviction first-in, first-out.
   */
  private readonly originMemo = new Map<string, readonly number[]>();

  constructor(configuration: CorsConfiguration) {
    this.configuration = configuration;
    this.rules = configuration.rules.map((rule) => new CompiledRule(rule));
  }

  /** Index of the first rule that matches all three parts (AWS: "the first CORSRule rule that matches"); -1 if none. */
  firstMatch(origin: string, method: string, names: readonly string[]): number {
    const bit = methodBit(method);
    if (bit === 0) return -1;
    const rules = this.rules;
    const candidates = this.rulesMatchingOrigin(origin);
    for (let i = 0; i < candidates.length; i++) {
      const index = candidates[i] as number;
      const rule = rules[index] as CompiledRule;
      if ((rule.methodBits & bit) !== 0 && rule.allowsHeaders(names)) return index;
    }
    return -1;
  }

  /** Indexes, in configuration order, of the rules that allow `origin`. */
  rulesMatchingOrigin(origin: string): readonly number[] {
    const memo = this.originMemo;
    const known = memo.get(origin);
    if (known !== undefined) return known;
    const matching: number[] = [];
    const rules = this.rules;
    for (let i = 0; i < rules.length; i++) {
      if ((rules[i] as CompiledRule).matchesOrigin(origin)) matching.push(i);
    }
    if (origin.length <= ORIGIN_MEMO_MAX_LENGTH) {
      if (memo.size >= ORIGIN_MEMO_ENTRIES) {
        const oldest = memo.keys().next();
        if (!oldest.done) memo.delete(oldest.value);
      }
      memo.set(origin, matching);
    }
    return matching;
  }
}

const cache = new WeakMap<CorsConfiguration, CompiledCors>();

/**
 * Compiles once per configuration object and caches it. Configurations are treated as
 * immutable: to change one, build a new object (parsing always does).
 */
export function compileCors(configuration: CorsConfiguration | CompiledCors): CompiledCors {
  if (configuration instanceof CompiledCors) return configuration;
  let compiled = cache.get(configuration);
  if (compiled === undefined) {
    compiled = new CompiledCors(configuration);
    cache.set(configuration, compiled);
  }
  return compiled;
}
