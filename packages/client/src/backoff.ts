/**
 * Full-jitter exponential backoff: wait a random time between 0 and
 * `min(capMs, baseMs * 2^(attempt-1))`. Randomising the whole interval spreads retries
 * from many parts (and many browsers) apart, which is what lets a struggling store
 * recover; see "Exponential Backoff And Jitter", AWS Architecture Blog, 2015
 * (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
 * Pure: the random source is injected.
 */

export interface BackoffOptions {
  /** The ceiling of the first retry's wait. Default 500 ms. */
  readonly baseMs?: number;
  /** No wait is longer than this. Default 20 s. */
  readonly capMs?: number;
}

export const DEFAULT_BACKOFF_BASE_MS = 500;
export const DEFAULT_BACKOFF_CAP_MS = 20_000;

/** The wait before retry number `attempt` (1 for the first retry). */
export function fullJitterDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const base = options.baseMs ?? DEFAULT_BACKOFF_BASE_MS;
  const cap = options.capMs ?? DEFAULT_BACKOFF_CAP_MS;
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const ceiling = Math.min(cap, base * 2 ** exponent);
  return Math.floor(random() * ceiling);
}

/**
 * A `Retry-After` header in milliseconds: delay-seconds or an HTTP date (RFC 9110
 * §10.2.3). `undefined` when absent or unreadable.
 */
export function retryAfterMs(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}
