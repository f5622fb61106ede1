/**
 * Multipart bookkeeping, pure: where each part's bytes are, which parts still need
 * sending (after a reload, from what the store says it holds), and which part URLs to
 * ask for next. The plan itself (part size and count) is the upload API's; the page
 * never chooses it, it only follows it.
 */
import type { UploadedPart } from "@sluice/protocol";

export interface PartPlan {
  readonly partSize: number;
  readonly partCount: number;
}

/** Bytes `[start, end)` of part `partNumber` (1-based) of a file of `size` bytes. */
export function partRange(
  plan: PartPlan,
  size: number,
  partNumber: number,
): { readonly start: number; readonly end: number } {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > plan.partCount) {
    throw new RangeError(`part ${partNumber} is not in a plan of ${plan.partCount} parts`);
  }
  const start = (partNumber - 1) * plan.partSize;
  return { start, end: Math.min(size, start + plan.partSize) };
}

/** Whether a plan is one this file could have been given (a saved id for another file is not). */
export function planFits(plan: PartPlan, size: number): boolean {
  return (
    Number.isSafeInteger(plan.partSize) &&
    plan.partSize > 0 &&
    plan.partCount === Math.ceil(size / plan.partSize)
  );
}

/**
 * The part numbers still to send, in order: every part the store does not hold at its
 * planned size. A part of another size is sent again (it replaces the stored one).
 */
export function partsToSend(
  plan: PartPlan,
  size: number,
  stored: readonly UploadedPart[] = [],
): number[] {
  const held = new Map(stored.map((part) => [part.partNumber, part.size]));
  const out: number[] = [];
  for (let n = 1; n <= plan.partCount; n++) {
    const { start, end } = partRange(plan, size, n);
    if (held.get(n) !== end - start) out.push(n);
  }
  return out;
}

/** Bytes the store already holds at their planned sizes. */
export function storedBytes(
  plan: PartPlan,
  size: number,
  stored: readonly UploadedPart[] = [],
): number {
  const missing = new Set(partsToSend(plan, size, stored));
  let bytes = 0;
  for (let n = 1; n <= plan.partCount; n++) {
    if (missing.has(n)) continue;
    const { start, end } = partRange(plan, size, n);
    bytes += end - start;
  }
  return bytes;
}

/**
 * The part numbers to ask URLs for: the one needed now, then the next ones in `upcoming`
 * that have no URL yet, up to `batchSize`. Small batches signed just in time mean no URL
 * waits in a queue long enough to expire.
 */
export function nextUrlBatch(
  needed: number,
  upcoming: readonly number[],
  hasUrl: (partNumber: number) => boolean,
  batchSize: number,
): number[] {
  const batch = [needed];
  for (const n of upcoming) {
    if (batch.length >= batchSize) break;
    if (n !== needed && !hasUrl(n) && !batch.includes(n)) batch.push(n);
  }
  return batch;
}
