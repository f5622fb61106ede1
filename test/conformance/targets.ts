/**
 * The stores the conformance suite runs against, and what each is expected to answer
 * where S3-compatible stores legitimately differ. The embedded store runs in both
 * flavors, always; a Ceph RGW when the environment names one (`npm run test:rgw`).
 *
 * Every row of `EXPECTED` was found by running the suite against each store, and says
 * why the stores differ; the README's table of differences is this table.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import type { Credentials } from "@sluice/sigv4";
import { createStore, type FlavorName } from "@sluice/store";
import { rgwFromEnv, targetKinds } from "../rgw-env.js";

// The SDK warns once per process that it will soon need Node 22; the suites run on 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

export type TargetId = "r2" | "s3" | "rgw";

/** A refusal: the status and S3 error code a store answers with. */
export interface Refusal {
  readonly status: number;
  readonly code: string;
}

/** What one store answers where stores differ. */
export interface Expected {
  /** CreateBucket of a bucket the caller already owns. */
  readonly createOwnedBucket: Refusal | "ok";
  /** A request signed with an access key the store does not know. */
  readonly unknownAccessKey: Refusal;
  /** A presigned URL whose credential scope names a region the store is not in. */
  readonly otherRegion: Refusal | "ok";
  /** A presigned URL past its X-Amz-Expires. */
  readonly expiredUrl: Refusal;
  /** A PUT whose `x-amz-checksum-sha256` is of other bytes. */
  readonly wrongChecksum: Refusal | "stored";
  /** Whether HeadObject with `x-amz-checksum-mode: ENABLED` reports a PUT's SHA-256. */
  readonly reportsChecksum: boolean;
  /** PutObject from the AWS SDK with its default checksums (aws-chunked, CRC32 trailer). */
  readonly sdkDefaultChecksums: Refusal | "stored";
  /** `@aws-sdk/s3-request-presigner`'s PUT URL, which signs the CRC32 of an empty body. */
  readonly sdkPresignedPut: Refusal | "stored";
  /** CompleteMultipartUpload of parts of 5 MiB, 6 MiB and 1 KiB. */
  readonly unequalParts: Refusal | "completed";
  /** The ETag in CopyObject's `<CopyObjectResult>`. */
  readonly copyResultEtag: "quoted" | "unquoted";
  /** The ETag in CompleteMultipartUpload's result, the first time. */
  readonly completeResultEtag: "quoted" | "empty";
  /** ListParts of an upload that was aborted or completed. */
  readonly listPartsAfterEnd: Refusal;
  /** CompleteMultipartUpload listing parts 4, 3 (each of 5 MiB). */
  readonly partsOutOfOrder: Refusal | "completed";
  /** CompleteMultipartUpload with `If-None-Match: *` over an existing object. */
  readonly completeOverExisting: Refusal | "replaced";
  /** The upload after a CompleteMultipartUpload whose condition failed. */
  readonly uploadAfterFailedCondition: "open" | "aborted";
  /** Whether `<Message>` in an error says something. */
  readonly errorMessages: boolean;
  /** Whether a refused request from an allowed origin carries Access-Control-Allow-Origin. */
  readonly corsOnErrors: boolean;
}

const S3_LIKE: Expected = {
  createOwnedBucket: { status: 409, code: "BucketAlreadyOwnedByYou" },
  unknownAccessKey: { status: 403, code: "InvalidAccessKeyId" },
  otherRegion: { status: 400, code: "AuthorizationQueryParametersError" },
  expiredUrl: { status: 403, code: "AccessDenied" },
  wrongChecksum: { status: 400, code: "BadDigest" },
  reportsChecksum: true,
  sdkDefaultChecksums: "stored",
  sdkPresignedPut: { status: 400, code: "BadDigest" },
  unequalParts: "completed",
  copyResultEtag: "quoted",
  completeResultEtag: "quoted",
  listPartsAfterEnd: { status: 404, code: "NoSuchUpload" },
  partsOutOfOrder: { status: 400, code: "InvalidPartOrder" },
  completeOverExisting: { status: 412, code: "PreconditionFailed" },
  uploadAfterFailedCondition: "open",
  errorMessages: true,
  corsOnErrors: true,
};

export const EXPECTED: Record<TargetId, Expected> = {
  s3: S3_LIKE,
  r2: {
    ...S3_LIKE,
    // R2: "Unauthorized" 401 for an unknown key, "ExpiredRequest" for an expired URL.
    unknownAccessKey: { status: 401, code: "Unauthorized" },
    expiredUrl: { status: 403, code: "ExpiredRequest" },
    // R2: every part but the last has the same size.
    unequalParts: { status: 400, code: "InvalidPart" },
    // R2's error table: "10073 BucketConflict 409 Bucket name already exists".
    createOwnedBucket: { status: 409, code: "BucketConflict" },
    // R2 changelog 2024-01-26: "Parts are now automatically sorted in ascending order
    // regardless of input during CompleteMultipartUpload".
    partsOutOfOrder: "completed",
    // R2 changelog 2023-08-11: "When a condition failure occurs when publishing an
    // upload, the upload is no longer available and is treated as aborted."
    uploadAfterFailedCondition: "aborted",
  },
  rgw: {
    ...S3_LIKE,
    // RGW 16.2 answers 200, as S3 does in us-east-1.
    createOwnedBucket: "ok",
    // RGW signs with whatever region the request names; its zonegroup is not checked.
    otherRegion: "ok",
    // RGW 16.2 predates S3's additional checksums (2022): it ignores x-amz-checksum-*.
    wrongChecksum: "stored",
    reportsChecksum: false,
    // RGW 16.2 refuses aws-chunked bodies sent without Content-Length.
    sdkDefaultChecksums: { status: 411, code: "MissingContentLength" },
    sdkPresignedPut: "stored",
    // RGW 16.2 sends CopyObjectResult's ETag without its quotes, and an empty ETag in
    // CompleteMultipartUploadResult (HeadObject has the right one).
    copyResultEtag: "unquoted",
    completeResultEtag: "empty",
    // RGW 16.2 answers NoSuchKey for an upload that is gone.
    listPartsAfterEnd: { status: 404, code: "NoSuchKey" },
    // RGW 16.2 matches the listed parts against its own in order, so parts out of order
    // are parts it does not have.
    partsOutOfOrder: { status: 400, code: "InvalidPart" },
    // RGW 16.2 ignores If-None-Match on CompleteMultipartUpload.
    completeOverExisting: "replaced",
    // RGW leaves <Message> empty.
    errorMessages: false,
    // RGW 16.2 adds CORS headers only to successful responses.
    corsOnErrors: false,
  },
};

export interface StoreTarget {
  readonly id: TargetId;
  readonly name: string;
  readonly endpoint: string;
  readonly credentials: Credentials;
  readonly region: string;
  readonly expected: Expected;
  /** An SDK client; the SDK's checksums only where required unless `defaults`. */
  client(options?: { defaults?: boolean }): S3Client;
  close(): Promise<void>;
}

/** The targets this run covers, in order. */
export function targetIds(): TargetId[] {
  return targetKinds().flatMap((kind): TargetId[] => (kind === "rgw" ? ["rgw"] : ["r2", "s3"]));
}

export async function startTarget(id: TargetId): Promise<StoreTarget> {
  if (id === "rgw") {
    const rgw = rgwFromEnv();
    if (!rgw) throw new Error("no RGW configured");
    return target(id, "Ceph RGW", rgw.endpoint, rgw.credentials, rgw.region, async () => {});
  }
  const credentials = { accessKeyId: "SLUICECONFORMANCE", secretAccessKey: "conformance/secret+" };
  const internalErrors: unknown[] = [];
  const store = createStore({
    dataDir: mkdtempSync(join(tmpdir(), "sluice-conformance-")),
    credentials,
    flavor: id satisfies FlavorName,
    onInternalError: (error) => internalErrors.push(error),
  });
  const url = await store.listen(0);
  const region = id === "r2" ? "auto" : "us-east-1";
  return target(id, `embedded store (--flavor ${id})`, url, credentials, region, async () => {
    await store.close(1_000);
    if (internalErrors.length > 0) {
      throw new AggregateError(internalErrors, "the store answered 500 InternalError");
    }
  });
}

function target(
  id: TargetId,
  name: string,
  endpoint: string,
  credentials: Credentials,
  region: string,
  close: () => Promise<void>,
): StoreTarget {
  const clients: S3Client[] = [];
  return {
    id,
    name,
    endpoint,
    credentials,
    region,
    expected: EXPECTED[id],
    client(options = {}) {
      const client = new S3Client({
        endpoint,
        region,
        credentials,
        forcePathStyle: true,
        maxAttempts: 1,
        ...(options.defaults ? {} : { requestChecksumCalculation: "WHEN_REQUIRED" }),
      });
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) client.destroy();
      await close();
    },
  };
}
