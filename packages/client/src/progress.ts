/**
 * Upload progress as people read it: bytes sent of the total, speed and time left.
 * - Monotonic: a part that fails and starts again does not move the bar back; the bar
 *   waits until the retry passes where it was.
 * - 100% only when the upload is complete (verified by the API): until then the
 *   fraction stops at 99%, however many bytes are out.
 * - Speed is measured over the last few seconds of bytes actually sent (retries count:
 *   they are real traffic), so it follows the network rather than the whole history.
 * Pure: the clock is injected.
 */

export interface Progress {
  /** Bytes sent (or already in the store, on resume); never decreases. */
  readonly loaded: number;
  readonly total: number;
  /** 0 to 1; 1 only once the upload is complete. */
  readonly fraction: number;
  /** `fraction` as a whole percentage, rounded down. */
  readonly percent: number;
  /** Over the last few seconds; 0 before there is anything to measure. */
  readonly bytesPerSecond: number;
  /** Seconds left at the current speed; `undefined` while the speed is unknown. */
  readonly etaSeconds: number | undefined;
}

/** How far back the speed looks. */
export const SPEED_WINDOW_MS = 5_000;
/** A speed needs at least this much time between samples to mean anything. */
const MIN_SPAN_MS = 200;
const MAX_BEFORE_COMPLETE = 0.99;

export class ProgressTracker {
  readonly total: number;
  readonly #now: () => number;
  readonly #windowMs: number;
  /** Bytes of requests still in flight, by part number (0 for a single PUT). */
  readonly #inFlight = new Map<number, number>();
  #settled = 0;
  #highWater = 0;
  #transferred = 0;
  #samples: { at: number; transferred: number }[] = [];
  #complete = false;

  constructor(total: number, now: () => number = () => Date.now(), windowMs = SPEED_WINDOW_MS) {
    this.total = total;
    this.#now = now;
    this.#windowMs = windowMs;
    this.#samples.push({ at: now(), transferred: 0 });
  }

  /** Bytes that were already in the store when this upload (re)started. */
  addStored(bytes: number): void {
    this.#settled += bytes;
    this.#raise();
  }

  /** A request has sent `loaded` bytes of its body. */
  update(part: number, loaded: number): void {
    const before = this.#inFlight.get(part) ?? 0;
    if (loaded > before) this.#count(loaded - before);
    this.#inFlight.set(part, loaded);
    this.#raise();
  }

  /** A request failed or was paused: its bytes will be sent again. */
  reset(part: number): void {
    this.#inFlight.delete(part);
  }

  /** A request's body of `size` bytes is stored. */
  finish(part: number, size: number): void {
    const before = this.#inFlight.get(part) ?? 0;
    if (size > before) this.#count(size - before);
    this.#inFlight.delete(part);
    this.#settled += size;
    this.#raise();
  }

  /** The upload is complete (verified): 100%. */
  complete(): void {
    this.#complete = true;
    this.#highWater = this.total;
  }

  snapshot(): Progress {
    const loaded = this.#highWater;
    const total = this.total;
    const fraction = this.#complete
      ? 1
      : total === 0
        ? 0
        : Math.min(loaded / total, MAX_BEFORE_COMPLETE);
    const bytesPerSecond = this.#complete ? 0 : this.#speed();
    const left = total - loaded;
    return {
      loaded,
      total,
      fraction,
      percent: Math.floor(fraction * 100),
      bytesPerSecond,
      etaSeconds: this.#complete
        ? 0
        : bytesPerSecond > 0
          ? Math.max(0, left) / bytesPerSecond
          : undefined,
    };
  }

  #raise(): void {
    let sent = this.#settled;
    for (const bytes of this.#inFlight.values()) sent += bytes;
    this.#highWater = Math.max(this.#highWater, Math.min(sent, this.total));
  }

  #count(bytes: number): void {
    this.#transferred += bytes;
    const at = this.#now();
    this.#samples.push({ at, transferred: this.#transferred });
    // Keep one sample older than the window, so the window is always spanned.
    while (
      this.#samples.length > 2 &&
      (this.#samples[1] as { at: number }).at <= at - this.#windowMs
    ) {
      this.#samples.shift();
    }
  }

  #speed(): number {
    const first = this.#samples[0];
    const last = this.#samples[this.#samples.length - 1];
    if (!first || !last) return 0;
    // Time since the last bytes counts too: a stalled upload's speed falls.
    const span = Math.max(this.#now(), last.at) - first.at;
    if (span < MIN_SPAN_MS) return 0;
    return ((last.transferred - first.transferred) * 1000) / span;
  }
}
