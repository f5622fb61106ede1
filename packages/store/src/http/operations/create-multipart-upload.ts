/**
 * CreateMultipartUpload: the object's attributes, any `If-None-Match: *` (enforced at
 * completion) and checksum algorithm are kept with the upload. Under `--flavor r2` the
 * answer carries the date the upload will be aborted if left incomplete, as R2's does.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html
 */
import { isChecksumAlgorithm } from "../../checksums.js";
import {
  checkWriteCondition,
  dateFailure,
  writeCondition,
  writeConditionError,
  writeDates,
} from "../conditions.js";
import { attributesFrom } from "../object-headers.js";
import {
  httpDate,
  type OperationContext,
  requireBucket,
  requireKey,
  xmlResponse,
} from "../operation.js";
import { noSuchBucket, S3Error } from "../s3-error.js";
import { document, el } from "../xml.js";

export async function CreateMultipartUpload(context: OperationContext): Promise<Response> {
  const { request, flavor } = context;
  const bucket = requireBucket(context).name;
  const key = requireKey(context);
  const attributes = attributesFrom(request.headers, flavor);
  const condition = writeCondition(request.headers, flavor.name);
  if (flavor.name === "r2") {
    // R2 judges a creation's conditions against the object as it is: a failing one is
    // 412, not 501 (changelog 2022-05-27: "If conditional headers are provided to ...
    // CreateMultipartUpload operations, and the object exists, a 412 Precondition
    // Failed status code will be returned if these checks are not met").
    const current = context.storage.getObject(bucket, key);
    if (condition.kind !== "none" && condition.kind !== "absent") {
      checkWriteCondition(condition, current, key);
    }
    const dated = dateFailure(writeDates(request.headers, flavor.name), current);
    if (dated !== undefined) throw writeConditionError(dated, key);
  } else if (condition.kind !== "none" && condition.kind !== "absent") {
    throw new S3Error(
      "NotImplemented",
      "CreateMultipartUpload takes If-None-Match: * only; send other conditions with CompleteMultipartUpload.",
      {
        Header: "If-Match",
      },
    );
  }
  const algorithm = request.headers.get("x-amz-checksum-algorithm")?.toLowerCase();
  if (algorithm !== undefined && !isChecksumAlgorithm(algorithm)) {
    throw new S3Error(
      "InvalidRequest",
      `Checksum algorithm ${algorithm} is not supported by this store.`,
    );
  }
  const type = checksumTypeOf(algorithm, request.headers.get("x-amz-checksum-type"));
  const nowMs = context.now().getTime();
  const upload = context.storage.uploads.create(
    bucket,
    key,
    attributes,
    { checksumAlgorithm: algorithm, condition: condition.kind === "absent" ? "absent" : undefined },
    nowMs,
  );
  if (!upload) throw noSuchBucket(bucket);
  const headers: Record<string, string> = {};
  if (flavor.abandonedUploadMs !== undefined) {
    headers["x-amz-abort-date"] = httpDate(nowMs + flavor.abandonedUploadMs);
    headers["x-amz-abort-rule-id"] = "Default Multipart Abort Rule";
  }
  if (algorithm) {
    headers["x-amz-checksum-algorithm"] = algorithm.toUpperCase();
    headers["x-amz-checksum-type"] = type;
  }
  return xmlResponse(
    document(
      "InitiateMultipartUploadResult",
      el("Bucket", bucket),
      el("Key", key),
      el("UploadId", upload.uploadId),
    ),
    { headers },
  );
}

/**
 * The checksum type of the upload's object. The store makes CRC64NVME a FULL_OBJECT
 * checksum (the only type S3 allows it) and the others COMPOSITE (the only type SHA-1 and
 * SHA-256 allow); a full-object CRC32 or CRC32C, which S3 also offers, it does not
 * implement, and says so.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 */
function checksumTypeOf(
  algorithm: string | undefined,
  header: string | null,
): "FULL_OBJECT" | "COMPOSITE" {
  const natural = algorithm === "crc64nvme" ? "FULL_OBJECT" : "COMPOSITE";
  if (header === null) return natural;
  const requested = header.toUpperCase();
  if (requested !== "FULL_OBJECT" && requested !== "COMPOSITE") {
    throw new S3Error(
      "InvalidRequest",
      `Value for x-amz-checksum-type header is invalid: ${header}`,
    );
  }
  if (algorithm === undefined) {
    throw new S3Error(
      "InvalidRequest",
      "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.",
    );
  }
  if (requested === natural) return natural;
  if (algorithm === "crc32" || algorithm === "crc32c") {
    throw new S3Error(
      "NotImplemented",
      `Header 'x-amz-checksum-type' with value '${header}' not implemented`,
      { Header: "x-amz-checksum-type" },
    );
  }
  throw new S3Error(
    "InvalidRequest",
    `The ${requested} checksum type cannot be used with the ${algorithm} checksum algorithm.`,
  );
}
