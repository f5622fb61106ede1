/**
 * `*` patterns of AllowedOrigin and AllowedHeader: anchored at both ends, `*` matching
 * zero or more characters. Zero, because RGW and s3rver allow it and s3-tests asserts
 * `start*end` matches `startend`; AWS is unrecorded (no AWS-validated recording covers it). Matching is plain
 * string work — prefix, suffix, ordered infixes — so no RegExp is built or run.
 */

export class WildcardPattern {
  /** The pattern as configured. */
  readonly source: string;
  readonly hasWildcard: boolean;
  /** Literal pieces between the `*`s; two or more when `hasWildcard`. */
  private readonly pieces: readonly string[];
  private readonly minLength: number;

  constructor(source: string, options: { caseInsensitive: boolean }) {
    this.source = source;
    const text = options.caseInsensitive ? source.toLowerCase() : source;
    this.pieces = text.split("*");
    this.hasWildcard = this.pieces.length > 1;
    this.minLength = text.length - (this.pieces.length - 1);
  }

  /** Callers lower-case `value` first when the pattern is case-insensitive. */
  matches(value: string): boolean {
    const pieces = this.pieces;
    if (pieces.length === 1) return value === pieces[0];
    if (value.length < this.minLength) return false;
    const first = pieces[0] as string;
    const last = pieces[pieces.length - 1] as string;
    if (!value.startsWith(first) || !value.endsWith(last)) return false;
    // Leftmost placement of each middle piece is enough for `*`-only globs.
    let at = first.length;
    const end = value.length - last.length;
    for (let i = 1; i < pieces.length - 1; i++) {
      const piece = pieces[i] as string;
      const found = value.indexOf(piece, at);
      if (found < 0 || found + piece.length > end) return false;
      at = found + piece.length;
    }
    return true;
  }
}

export function countWildcards(value: string): number {
  let count = 0;
  for (let i = value.indexOf("*"); i >= 0; i = value.indexOf("*", i + 1)) count++;
  return count;
}
