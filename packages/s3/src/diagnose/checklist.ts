/**
 * The shape of a diagnosis: one line per check, ✓ or ✗, with details under it and, for
 * a ✗, the fix. `sluice doctor` and `sluice cors check` print these lines (or, with
 * `--json`, the same lines as data); an app can show them as they are.
 */

export interface CheckLine {
  /** Stable, for scripts: `credentials`, `cors-configuration`, `cors-lint`, `preflight`, … */
  readonly check: string;
  readonly ok: boolean;
  readonly message: string;
  readonly details: readonly string[];
  /** What to do about a ✗. */
  readonly fix?: string | undefined;
}

export function pass(check: string, message: string, details: readonly string[] = []): CheckLine {
  return { check, ok: true, message, details };
}

export function fail(
  check: string,
  message: string,
  details: readonly string[],
  fix: string | undefined,
): CheckLine {
  return { check, ok: false, message, details, fix };
}
