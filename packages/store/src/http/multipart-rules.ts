/**
 * The rules of multipart uploads, with S3's error codes — and R2's extra one, that every
 * part but the last has the same size — as pure functions of the parts.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
 * https://developers.cloudflare.com/r2/objects/multipart-objects/
 *   "All parts except the last one must be the same size. The last part has no minimum
 *   size, but must be the same or smaller than the other parts."
 */
import { createHash } from "node:crypto";
import { Digests, isChecksumAlgorithm } from "../checksums.js";
import type { FlavorName } from "../flavor.js";
import type { PartRecord, UploadRecord } from "../storage/multipart-uploads.js";
import type { OperationContext } from "./operation.js";
import { S3Error } from "./s3-error.js";

const MiB = 1024 * 1024;
export const MIN_PART_BYTES = 5 * MiB;
export const MAX_PARTS = 10_000;

/** Part numbers are integers 1..10000. */
export function parsePartNumber(value: string | undefined): number {
  const number = value !== undefined && /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(number >= 1 && number <= MAX_PARTS)) {
    throw new S3Error(
      "InvalidArgument",
      "Part number must be an integer between 1 and 10000, inclusive",
      {
        ArgumentName: "partNumber",
        ArgumentValue: value ?? "",
      },
    );
  }
  return number;
}

export function noSuchUpload(uploadId: string): S3Error {
  return new S3Error(
    "NoSuchUpload",
    "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    { UploadId: uploadId },
  );
}

/** The upload the request names, which must be of this bucket and key. */
export function requireUpload(context: OperationContext): UploadRecord {
  const uploadId = context.request.query.get("uploadId") ?? "";
  const upload = context.storage.uploads.get(uploadId);
  if (!upload || upload.bucket !== context.request.bucket || upload.key !== context.request.key) {
    throw noSuchUpload(uploadId);
  }
  return upload;
}

export interface ListedPart {
  readonly partNumber: number;
  /** As the client sent it, quotes removed. */
  readonly etag: string;
  readonly checksums: Readonly<Record<string, string>>;
}

/**
 * Checks a CompleteMultipartUpload part list against the parts the store holds, in S3's
 * order: ascending numbers, each part present with that ETag, sizes. Returns the parts
 * that make the object, in order.
 */
export function checkCompletion(
  uploadId: string,
  listed: readonly ListedPart[],
  parts: ReadonlyMap<number, PartRecord>,
  flavor: FlavorName,
): PartRecord[] {
  if (listed.length === 0)
    throw new S3Error("InvalidRequest", "You must specify at least one part");
  // R2 sorts the list (changelog 2024-01-26: "Parts are now automatically sorted in
  // ascending order regardless of input during CompleteMultipartUpload"); S3 refuses it.
  const ordered =
    flavor === "r2" ? [...listed].sort((a, b) => a.partNumber - b.partNumber) : listed;
  for (let i = 1; i < ordered.length; i++) {
    if ((ordered[i] as ListedPart).partNumber <= (ordered[i - 1] as ListedPart).partNumber) {
      throw new S3Error(
        "InvalidPartOrder",
        "The list of parts was not in ascending order. Parts must be ordered by part number.",
        { UploadId: uploadId },
      );
    }
  }
  const chosen: PartRecord[] = [];
  for (const item of ordered) {
    const part = parts.get(item.partNumber);
    if (!part || part.etag !== item.etag) {
      throw new S3Error(
        "InvalidPart",
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
        { UploadId: uploadId, PartNumber: item.partNumber, ETag: item.etag },
      );
    }
    for (const [algorithm, value] of Object.entries(item.checksums)) {
      if (part.checksums[algorithm] !== undefined && part.checksums[algorithm] !== value) {
        throw new S3Error(
          "InvalidPart",
          `The ${algorithm.toUpperCase()} of part ${item.partNumber} does not match the checksum it was uploaded with.`,
          {
            UploadId: uploadId,
            PartNumber: item.partNumber,
          },
        );
      }
    }
    chosen.push(part);
  }
  chosen.forEach((part, i) => {
    if (i < chosen.length - 1 && part.size < MIN_PART_BYTES) {
      throw new S3Error(
        "EntityTooSmall",
        "Your proposed upload is smaller than the minimum allowed size",
        {
          ProposedSize: part.size,
          MinSizeAllowed: MIN_PART_BYTES,
          PartNumber: part.partNumber,
          ETag: part.etag,
        },
      );
    }
  });
  if (flavor === "r2" && chosen.length > 1) {
    const size = (chosen[0] as PartRecord).size;
    const last = chosen[chosen.length - 1] as PartRecord;
    const unequal = chosen.slice(0, -1).find((part) => part.size !== size);
    if (unequal || last.size > size) {
      const odd = unequal ?? last;
      throw new S3Error(
        "InvalidPart",
        `All non-trailing parts must have the same length. Part ${odd.partNumber} has ${odd.size} bytes where part ${(chosen[0] as PartRecord).partNumber} has ${size}${unequal ? "" : " (the last part may be smaller, never larger)"}.`,
        { UploadId: uploadId, PartNumber: odd.partNumber },
      );
    }
  }
  return chosen;
}

/** S3's multipart ETag: MD5 of the parts' binary MD5s, then `-` and the part count. */
export function multipartEtag(parts: readonly PartRecord[]): string {
  const md5 = createHash("md5");
  for (const part of parts) md5.update(Buffer.from(part.etag, "hex"));
  return `${md5.digest("hex")}-${parts.length}`;
}

/** A COMPOSITE checksum, as S3 computes it: the algorithm over the parts' binary checksums, then `-N`. */
export function compositeChecksums(
  parts: readonly PartRecord[],
  algorithm: string | undefined,
): Record<string, string> {
  if (!algorithm || !isChecksumAlgorithm(algorithm)) return {};
  if (parts.some((part) => part.checksums[algorithm] === undefined)) return {};
  const digests = new Digests([algorithm]);
  for (const part of parts)
    digests.update(Buffer.from(part.checksums[algorithm] as string, "base64"));
  return { [algorithm]: `${digests.finish().checksums[algorithm]}-${parts.length}` };
}
