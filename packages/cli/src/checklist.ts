/**
 * How `sluice doctor` and `sluice cors check` print their checks (`CheckLine`s from
 * `@sluice/s3/diagnose`): ✓ or ✗ and the message, details indented under it, and the fix
 * of a ✗. `--json` prints the same lines as data.
 */
import type { CheckLine } from "@sluice/s3/diagnose";

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
