/**
 * The shape of `sluice doctor` and `sluice cors check` answers: one line per check, ✓ or
 * ✗, with details under it and, for a ✗, the fix. `--json` prints the same lines.
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

export function formatChecklist(lines: readonly CheckLine[]): string {
  let text = "";
  for (const line of lines) {
    text += `${line.ok ? "✓" : "✗"} ${line.message}\n`;
    for (const detail of line.details) text += `    ${detail.replaceAll("\n", "\n    ")}\n`;
    if (!line.ok && line.fix) text += `    fix: ${line.fix.replaceAll("\n", "\n         ")}\n`;
  }
  return text;
}

/** 0 when every check passed, 1 otherwise. */
export function exitCodeOf(lines: readonly CheckLine[]): number {
  return lines.every((line) => line.ok) ? 0 : 1;
}
