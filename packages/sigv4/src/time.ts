/** SigV4 timestamps: `yyyyMMdd'T'HHmmss'Z'` (ISO 8601 basic) and its `yyyyMMdd` date. */

export const AMZ_DATE_PATTERN = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

// Formatting a date costs as much as a SHA-256 here, and a busy signer signs many
// requests within the same second, so the last second's form is kept.
let lastSecond = Number.NaN;
let lastAmzDate = "";

/** Formats a time as SigV4's ISO 8601 basic form, e.g. `20261128T120000Z`. */
export function toAmzDate(date: Date): string {
  const second = Math.floor(date.getTime() / 1000);
  if (second !== lastSecond) {
    const iso = date.toISOString(); // 2026-11-28T12:00:00.000Z
    lastAmzDate = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
    lastSecond = second;
  }
  return lastAmzDate;
}

/** Parses `yyyyMMdd'T'HHmmss'Z'`; undefined when malformed or not a real time. */
export function parseAmzDate(text: string): Date | undefined {
  const match = AMZ_DATE_PATTERN.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, ...number[]];
  const ms = Date.UTC(y as number, (mo as number) - 1, d, h, mi, s);
  const date = new Date(ms);
  // Date.UTC rolls 20261332 over into the next year; a real timestamp round-trips.
  return toAmzDate(date) === text ? date : undefined;
}

/** Parses an HTTP `Date` header (RFC 7231 IMF-fixdate and the older forms Date.parse accepts). */
export function parseHttpDate(text: string): Date | undefined {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}
