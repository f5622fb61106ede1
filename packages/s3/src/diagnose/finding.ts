/** The shared shapes of the explanations: findings, the request a client sent, the key. */
import type { Credentials } from "@sluice/sigv4";

export type FindingLevel = "problem" | "warning" | "ok" | "info";

/** One thing found: a `problem` makes the request fail (or it would). */
export interface DiagnosisFinding {
  readonly level: FindingLevel;
  readonly message: string;
}

/** The request a client made: its method and headers (names in lower case). */
export interface RequestSent {
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** A key to check signatures with, and where it came from (named in findings). */
export interface SigningCredentials {
  readonly credentials: Credentials;
  /** `AWS_ACCESS_KEY_ID`, `SLUICE_ACCESS_KEY_ID`, … */
  readonly source: string;
}
