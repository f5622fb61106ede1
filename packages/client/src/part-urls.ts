/**
 * Part URLs, fetched just in time in small batches and reused until shortly before
 * they expire. Parallel workers asking at once share one request: a worker whose part
 * is in a batch already on its way waits for that batch instead of asking again.
 */
import type { PartUrl } from "@sluice/protocol";
import { nextUrlBatch } from "./plan.js";

export interface PartUrlsOptions {
  /** Asks the API for these parts' URLs (`POST {endpoint}/{id}/parts`). */
  readonly fetchBatch: (partNumbers: number[]) => Promise<readonly PartUrl[]>;
  /** Parts not yet started, in the order they will start. */
  readonly upcoming: () => readonly number[];
  readonly batchSize: number;
  readonly now?: () => number;
  /** A URL this close to expiring is not used; a new one is signed. Default 30 s. */
  readonly marginMs?: number;
}

export const DEFAULT_URL_MARGIN_MS = 30_000;

export class PartUrls {
  readonly #options: PartUrlsOptions;
  readonly #urls = new Map<number, PartUrl>();
  readonly #pending = new Map<number, Promise<void>>();

  constructor(options: PartUrlsOptions) {
    this.#options = options;
  }

  /** A fresh URL for the part, asking the API if there is none. */
  async get(partNumber: number): Promise<PartUrl> {
    for (let round = 0; round < 3; round++) {
      const url = this.#fresh(partNumber);
      if (url) return url;
      const waiting = this.#pending.get(partNumber);
      if (waiting) {
        await waiting;
        continue;
      }
      const batch = nextUrlBatch(
        partNumber,
        this.#options.upcoming(),
        (n) => this.#fresh(n) !== undefined || this.#pending.has(n),
        this.#options.batchSize,
      );
      const request = this.#options.fetchBatch(batch).then((parts) => {
        for (const part of parts) this.#urls.set(part.partNumber, part);
      });
      const settled = request.finally(() => {
        for (const n of batch) if (this.#pending.get(n) === settled) this.#pending.delete(n);
      });
      for (const n of batch) this.#pending.set(n, settled);
      await settled;
    }
    throw new Error(`the upload API did not return a URL for part ${partNumber}`);
  }

  /** Forget a URL (it expired, or the store refused it): the next `get` signs a new one. */
  invalidate(partNumber: number): void {
    this.#urls.delete(partNumber);
  }

  #fresh(partNumber: number): PartUrl | undefined {
    const url = this.#urls.get(partNumber);
    if (!url) return undefined;
    const now = (this.#options.now ?? Date.now)();
    const margin = this.#options.marginMs ?? DEFAULT_URL_MARGIN_MS;
    if (Date.parse(url.expiresAt) - margin <= now) {
      this.#urls.delete(partNumber);
      return undefined;
    }
    return url;
  }
}
