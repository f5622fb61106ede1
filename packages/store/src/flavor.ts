/**
 * What differs between the services the store imitates. `r2` (the default) follows
 * Cloudflare R2's documented limits and answers; `s3` follows AWS S3. Every difference
 * the store knows of is in this table.
 *
 * https://developers.cloudflare.com/r2/api/s3/api/
 * https://developers.cloudflare.com/r2/platform/limits/
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html
 */

import type { S3ErrorCode } from "./http/s3-error.js";

export type FlavorName = "r2" | "s3";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export interface Flavor {
  readonly name: FlavorName;
  /** Regions a credential scope may name; the first is the one "expected". */
  readonly regions: readonly string[];
  /** Largest single PUT (PutObject, UploadPart, CopyObject). */
  readonly maxPutBytes: number;
  readonly maxKeyBytes: number;
  /** User metadata (`x-amz-meta-*` names and values together). */
  readonly maxMetadataBytes: number;
  /** An expired presigned URL: R2 says 403 ExpiredRequest, AWS 403 AccessDenied. */
  readonly expiredCode: "ExpiredRequest" | "AccessDenied";
  /** An unknown access key: R2 says 401 Unauthorized, AWS 403 InvalidAccessKeyId. */
  readonly unknownKey: {
    readonly code: S3ErrorCode;
    readonly status: number;
    readonly message: string;
  };
  /** Incomplete multipart uploads are aborted this long after they began (R2: 7 days). */
  readonly abandonedUploadMs: number | undefined;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export const FLAVORS: Readonly<Record<FlavorName, Flavor>> = {
  r2: {
    name: "r2",
    // R2: "the region for an R2 bucket is `auto`. ... an empty value and `us-east-1`
    // will alias to the `auto` region" (https://developers.cloudflare.com/r2/api/s3/api/).
    regions: ["auto", "us-east-1", ""],
    // R2: 5 GiB - 5 MiB for a single upload.
    maxPutBytes: 5 * GiB - 5 * MiB,
    maxKeyBytes: 1024,
    maxMetadataBytes: 8192,
    expiredCode: "ExpiredRequest",
    unknownKey: { code: "Unauthorized", status: 401, message: "Unauthorized" },
    // R2: "incomplete uploads will be automatically aborted after 7 days".
    abandonedUploadMs: 7 * DAY_MS,
  },
  s3: {
    name: "s3",
    regions: ["us-east-1"],
    maxPutBytes: 5 * GiB,
    maxKeyBytes: 1024,
    // S3: "the user-defined metadata is limited to 2 KB in size".
    maxMetadataBytes: 2048,
    expiredCode: "AccessDenied",
    unknownKey: {
      code: "InvalidAccessKeyId",
      status: 403,
      message: "The AWS Access Key Id you provided does not exist in our records.",
    },
    // S3 keeps incomplete uploads until a lifecycle rule says otherwise.
    abandonedUploadMs: undefined,
  },
};

export function isFlavorName(name: string): name is FlavorName {
  return name === "r2" || name === "s3";
}
