/**
 * Many writers, few fsyncs. A writer needs a sync that *started after* its write; when
 * one is already running, every writer that arrives meanwhile shares the next one. So
 * 32 concurrent PUTs cost a couple of fsyncs, not 32, with the same guarantee.
 */
export class CoalescedSync {
  readonly #syncOnce: () => Promise<void>;
  #running: Promise<void> | undefined;
  #queued: Promise<void> | undefined;

  constructor(syncOnce: () => Promise<void>) {
    this.#syncOnce = syncOnce;
  }

  /** Resolves when a sync that began after this call has completed. */
  sync(): Promise<void> {
    if (this.#queued) return this.#queued;
    if (!this.#running) return this.#start();
    const queued = this.#running
      .catch(() => {})
      .then(() => {
        this.#queued = undefined;
        return this.#start();
      });
    this.#queued = queued;
    return queued;
  }

  #start(): Promise<void> {
    const run = this.#syncOnce().finally(() => {
      if (this.#running === run) this.#running = undefined;
    });
    this.#running = run;
    return run;
  }
}
