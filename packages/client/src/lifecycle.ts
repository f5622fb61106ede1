/**
 * One upload's state machine: a single `status` union, never a set of flags, and the
 * only moves between its values:
 *
 *   queued → uploading ⇄ paused → done | failed | aborted
 *
 * Two signals carry the state to the requests in flight: `stop` ends everything for
 * good (`abort()`, the caller's signal, a failure), `pause` ends only the requests in
 * flight, which are sent again on `resume()`.
 */
import { UploadError } from "./upload-error.js";

export type UploadStatus = "queued" | "uploading" | "paused" | "done" | "failed" | "aborted";

/** A pause ends the requests in flight with this reason; they are sent again on resume. */
const PAUSED = Symbol("paused");

export class UploadLifecycle {
  #status: UploadStatus = "queued";
  readonly #onStatus: (status: UploadStatus) => void;
  readonly #stop = new AbortController();
  /** Ends the requests in flight when paused; replaced on resume. */
  #pause = new AbortController();
  #resumed: { promise: Promise<void>; resolve: () => void } | undefined;
  #abortRequested = false;

  constructor(onStatus: (status: UploadStatus) => void = () => {}) {
    this.#onStatus = onStatus;
  }

  get status(): UploadStatus {
    return this.#status;
  }

  /** Aborts when the upload stops for good; its reason is the `UploadError` it ends with. */
  get signal(): AbortSignal {
    return this.#stop.signal;
  }

  /** Whether `abort()` was called (as opposed to a failure stopping the upload). */
  get abortRequested(): boolean {
    return this.#abortRequested;
  }

  pause(): void {
    if (this.#status !== "uploading" && this.#status !== "queued") return;
    let resolve = () => {};
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    this.#resumed = { promise, resolve };
    this.#move("paused");
    this.#pause.abort(PAUSED);
  }

  resume(): void {
    if (this.#status !== "paused") return;
    this.#pause = new AbortController();
    const resumed = this.#resumed;
    this.#resumed = undefined;
    this.#move("uploading");
    resumed?.resolve();
  }

  /** Gives the upload up; `what` names it in the error (`The upload of a.png`). */
  abort(what: string): void {
    if (this.#status === "done" || this.#status === "failed" || this.#status === "aborted") return;
    this.#abortRequested = true;
    this.#stop.abort(new UploadError("aborted", `${what} was cancelled.`));
    this.#resumed?.resolve();
  }

  /** Stops everything with this failure, unless the upload has stopped already. */
  stopWith(error: unknown): void {
    if (!this.#stop.signal.aborted) this.#stop.abort(error);
  }

  /** A slot came free and the upload was not paused meanwhile: it runs. */
  start(): void {
    this.#move("uploading");
  }

  succeed(): void {
    this.#move("done");
  }

  /** Ends in `aborted` or `failed`, as the error says, and stops what is still running. */
  fail(error: UploadError): void {
    if (error.kind === "aborted") {
      this.#move("aborted");
      return;
    }
    this.#move("failed");
    this.stopWith(error);
  }

  /** Resolves once the upload stops for good. */
  stopped(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#stop.signal.aborted) resolve();
      else this.#stop.signal.addEventListener("abort", () => resolve(), { once: true });
    });
  }

  /** Waits out a pause; throws the stop's reason once the upload has stopped. */
  async whileNotPaused(): Promise<void> {
    while (this.#status === "paused" && this.#resumed && !this.#stop.signal.aborted) {
      await this.#resumed.promise;
    }
    if (this.#stop.signal.aborted) throw this.#stop.signal.reason;
  }

  /**
   * A signal for one request: it aborts on a stop or a pause. `dispose()` once the
   * request is over removes its listeners from the long-lived signals.
   */
  requestSignal(): { signal: AbortSignal; dispose(): void } {
    return anySignal([this.#stop.signal, this.#pause.signal]);
  }

  /** Whether a request ended because of a pause: not a failed attempt, sent again on resume. */
  endedByPause(error: unknown): boolean {
    return error === PAUSED || this.#pause.signal.reason === PAUSED;
  }

  #move(status: UploadStatus): void {
    if (this.#status === status) return;
    this.#status = status;
    this.#onStatus(status);
  }
}

/** A signal that aborts when any of these does, with its reason. */
function anySignal(signals: readonly AbortSignal[]): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const dispose = () => controller.abort();
  for (const signal of signals) {
    if (signal.aborted) {
      controller.abort(signal.reason);
      return { signal: controller.signal, dispose };
    }
    signal.addEventListener("abort", () => controller.abort(signal.reason), {
      once: true,
      signal: controller.signal,
    });
  }
  return { signal: controller.signal, dispose };
}
