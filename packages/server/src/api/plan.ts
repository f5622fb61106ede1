/**
 * Multipart plans that every S3-compatible service accepts, R2 included:
 * - S3: parts are 5 MiB to 5 GiB, except the last; at most 10,000 parts.
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html
 * - R2: "All parts except the last one must be the same size. The last part has no
 *   minimum size, but must be the same or smaller than the other parts."
 *   https://developers.cloudflare.com/r2/objects/multipart-objects/
 * So: one part size for all, a smaller last part, grown in whole MiB when the file would
 * otherwise need more than 10,000 parts.
 */

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
export const MIN_PART_SIZE = 5 * MiB;
export const MAX_PART_SIZE = 5 * GiB;
export const MAX_PARTS = 10_000;
/** R2's largest object (S3's is 5 TiB): 10,000 parts of 5 GiB less R2's margin. */
export const MAX_OBJECT_SIZE = 5 * 1024 * GiB - 5 * GiB;
/** R2's largest single PUT (S3's is 5 GiB). */
export const MAX_SINGLE_PUT_SIZE = 5 * GiB - 5 * MiB;

export interface PartPlan {
  readonly partSize: number;
  readonly partCount: number;
}

/** The plan for `size` bytes with parts of `preferredPartSize` where that fits. */
export function planParts(size: number, preferredPartSize: number): PartPlan {
  if (!Number.isSafeInteger(size) || size < 1 || size > MAX_OBJECT_SIZE) {
    throw new RangeError(`a multipart upload needs 1 to ${MAX_OBJECT_SIZE} bytes, not ${size}`);
  }
  if (preferredPartSize < MIN_PART_SIZE || preferredPartSize > MAX_PART_SIZE) {
    throw new RangeError(`part size must be ${MIN_PART_SIZE} to ${MAX_PART_SIZE} bytes`);
  }
  let partSize = preferredPartSize;
  if (Math.ceil(size / partSize) > MAX_PARTS) partSize = Math.ceil(size / MAX_PARTS / MiB) * MiB;
  return { partSize, partCount: Math.ceil(size / partSize) };
}

/** The exact size of part `partNumber` (1-based) of a plan for `size` bytes. */
export function partSizeOf(plan: PartPlan, size: number, partNumber: number): number {
  if (partNumber < plan.partCount) return plan.partSize;
  return size - plan.partSize * (plan.partCount - 1);
}
