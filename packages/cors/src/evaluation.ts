/**
 * The shapes of a CORS evaluation: the request as the evaluator reads it, its result, and
 * the reason each rule did not match. Types only, imported by both the evaluator
 * (`evaluate.ts`) and the sentences that explain a refusal (`reasons.ts`), so neither
 * needs the other's types.
 */
import type { CorsHeader } from "./compile.js";

export interface RuleMismatch {
  /** Index of the rule in the configuration (0-based). */
  rule: number;
  part: "origin" | "method" | "headers";
  message: string;
}

export type CorsResource = "OBJECT" | "BUCKET";

export interface PreflightRequest {
  origin?: string | undefined;
  accessControlRequestMethod?: string | undefined;
  /** The raw header value: comma-separated names, spaces optional. */
  accessControlRequestHeaders?: string | undefined;
  /** OBJECT for an object URL, BUCKET for the bucket URL; S3 reports it in the 403. */
  resource: CorsResource;
}

export interface PreflightAllowed {
  allowed: true;
  /** Index of the matched rule. */
  rule: number;
  headers: CorsHeader[];
}

export interface PreflightBadRequest {
  allowed: false;
  status: 400;
  code: "BadRequest";
  message: string;
  reasons: readonly RuleMismatch[];
}

export interface PreflightForbidden {
  allowed: false;
  status: 403;
  code: "AccessForbidden";
  message: string;
  /** S3's `<Method>`: the requested method, or OPTIONS when none was asked. */
  method: string;
  /** S3's `<ResourceType>`. */
  resourceType: CorsResource;
  /** Empty unless a configuration was scanned; computed on first read. */
  reasons: readonly RuleMismatch[];
}

export type PreflightRefusal = PreflightBadRequest | PreflightForbidden;
export type PreflightResult = PreflightAllowed | PreflightRefusal;

export interface ActualRequest {
  origin?: string | undefined;
  method: string;
  accessControlRequestMethod?: string | undefined;
  accessControlRequestHeaders?: string | undefined;
}

export interface ActualMatched {
  matched: true;
  rule: number;
  headers: CorsHeader[];
}

export interface ActualUnmatched {
  matched: false;
  cause: "no-origin" | "not-enabled" | "no-rule";
  /** Empty unless a configuration was scanned; computed on first read. */
  reasons: readonly RuleMismatch[];
}

export type ActualResult = ActualMatched | ActualUnmatched;
