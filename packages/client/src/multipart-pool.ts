/**
 * A multipart upload's parts, sent by a pool of workers: each takes the next part not
 * yet in the store, gets its URL just in time (one request signs a batch for all the
 * workers) and sends it with its own retries; a failed part is retried alone, and the
 * first part that fails for good stops the others.
 */
import type { PartUrl, UploadedPart } from "@sluice/protocol";
import { unquoteEtag } from "@sluice/s3";
import type { UploadLifecycle } from "./lifecycle.js";
import { PartUrls } from "./part-urls.js";
import { type PartPlan, partRange, partsToSend } from "./plan.js";
import type { TransferRequest } from "./transfer.js";

export interface CompletedPart {
  readonly partNumber: number;
  readonly etag: string;
}

export interface MultipartJob {
  readonly plan: PartPlan;
  readonly file: Blob;
  /** The file's name, for messages. */
  readonly name: string;
  /** The parts the store holds already (an upload resumed after a reload). */
  readonly stored: readonly UploadedPart[];
  /** Workers at once. */
  readonly concurrency: number;
  /** Part URLs asked for per request. */
  readonly urlBatchSize: number;
  readonly lifecycle: UploadLifecycle;
  /** Asks the upload API to sign these parts' URLs. */
  readonly fetchUrls: (partNumbers: number[]) => Promise<readonly PartUrl[]>;
  /** Sends one body with its retries (`transfer`); resolves with the store's answer if read. */
  readonly send: (request: TransferRequest) => Promise<{ etag: string | null } | undefined>;
}

/** How many of the plan's parts the store holds already: those `sendParts` will skip. */
export function partsAlreadyStored(
  plan: PartPlan,
  size: number,
  stored: readonly UploadedPart[],
): number {
  return plan.partCount - partsToSend(plan, size, stored).length;
}

/**
 * Sends every part the store does not hold yet. Resolves with the page's view of all
 * the parts (each ETag it saw, the stored ones included), or with none when it did not
 * see every ETag: the upload API completes from the store's own list either way.
 */
export async function sendParts(job: MultipartJob): Promise<CompletedPart[]> {
  const { plan, file, lifecycle } = job;
  const queue = partsToSend(plan, file.size, job.stored);
  let unfinished = [...queue];
  const etags = new Map<number, string>();
  for (const part of job.stored) {
    if (!queue.includes(part.partNumber)) etags.set(part.partNumber, part.etag);
  }

  const urls = new PartUrls({
    fetchBatch: job.fetchUrls,
    // Every part not stored yet, in order: those starting now first, so one request
    // signs the first batch for all the workers.
    upcoming: () => unfinished,
    batchSize: job.urlBatchSize,
  });
  const worker = async () => {
    for (;;) {
      await lifecycle.whileNotPaused();
      const partNumber = queue.shift();
      if (partNumber === undefined) return;
      const { start, end } = partRange(plan, file.size, partNumber);
      const answer = await job.send({
        what: `Part ${partNumber} of ${plan.partCount} of ${job.name}`,
        part: partNumber,
        body: file.slice(start, end),
        conditional: false,
        target: () => urls.get(partNumber),
        resign: async () => urls.invalidate(partNumber),
      });
      unfinished = unfinished.filter((n) => n !== partNumber);
      if (answer?.etag) etags.set(partNumber, unquoteEtag(answer.etag));
    }
  };
  const workers = Array.from({ length: Math.min(job.concurrency, queue.length) }, worker);
  // The first failure stops the other workers (their requests end with it).
  await Promise.all(
    workers.map((running) =>
      running.catch((error: unknown) => {
        lifecycle.stopWith(error);
        throw error;
      }),
    ),
  );
  if (etags.size !== plan.partCount) return [];
  return [...etags].sort(([a], [b]) => a - b).map(([partNumber, etag]) => ({ partNumber, etag }));
}
