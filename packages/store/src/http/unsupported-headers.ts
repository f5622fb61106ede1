/**
 * Headers that change what is stored or who may read it, which this store does not
 * implement, are refused, never ignored: an object sent with SSE-C must not be kept in
 * the clear and then handed to anyone who asks without the key.
 *
 * - SSE-C (`x-amz-server-side-encryption-customer-*`, and its copy-source form): over
 *   plain HTTP, S3's `400 InvalidRequest` (S3 takes customer keys only over TLS);
 *   otherwise `501 NotImplemented`.
 * - On writes: KMS encryption, object lock, website redirects, and under `r2` tagging
 *   (R2's PutObject lists `x-amz-tagging` as not implemented): `501 NotImplemented`.
 *
 * R2 words the refusal "Header '<name>' with value '<value>' not implemented"; S3 says
 * "A header you provided implies functionality that is not implemented" and names the
 * header in `<Header>`.
 * https://developers.cloudflare.com/r2/api/s3/api/
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerSideEncryptionCustomerKeys.html
 */
import type { Flavor } from "../flavor.js";
import type { Operation } from "./detect.js";
import { S3Error } from "./s3-error.js";
import type { S3Request } from "./s3-request.js";

const WRITES: ReadonlySet<Operation> = new Set<Operation>([
  "PutObject",
  "CopyObject",
  "CreateMultipartUpload",
  "UploadPart",
  "UploadPartCopy",
]);

/** Refused on writes whatever their value. */
const UNSUPPORTED_ON_WRITES = [
  "x-amz-server-side-encryption-aws-kms-key-id",
  "x-amz-server-side-encryption-context",
  "x-amz-server-side-encryption-bucket-key-enabled",
  "x-amz-object-lock-mode",
  "x-amz-object-lock-retain-until-date",
  "x-amz-object-lock-legal-hold",
  "x-amz-website-redirect-location",
];

const SSE_C = /^x-amz-(copy-source-)?server-side-encryption-customer-/;

export function refuseUnsupportedHeaders(
  request: S3Request,
  operation: Operation,
  flavor: Flavor,
): void {
  for (const [name, value] of request.headers) {
    if (!SSE_C.test(name)) continue;
    if (!request.secure) {
      throw new S3Error(
        "InvalidRequest",
        "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.",
      );
    }
    throw notImplemented(name, value, flavor);
  }
  if (WRITES.has(operation)) {
    const unsupported = [...UNSUPPORTED_ON_WRITES];
    if (flavor.name === "r2") unsupported.push("x-amz-tagging");
    for (const name of unsupported) {
      const value = request.headers.get(name);
      if (value !== null) throw notImplemented(name, value, flavor);
    }
    const encryption = request.headers.get("x-amz-server-side-encryption");
    // AES256 (SSE-S3) is encryption at rest by the service, nothing a client sees.
    if (encryption !== null && encryption.trim() !== "AES256") {
      throw notImplemented("x-amz-server-side-encryption", encryption, flavor);
    }
  }
  if (operation === "CreateBucket") {
    const lock = request.headers.get("x-amz-bucket-object-lock-enabled");
    if (lock !== null && lock.trim().toLowerCase() === "true") {
      throw notImplemented("x-amz-bucket-object-lock-enabled", lock, flavor);
    }
  }
}

function notImplemented(name: string, value: string, flavor: Flavor): S3Error {
  return flavor.name === "r2"
    ? new S3Error("NotImplemented", `Header '${name}' with value '${value}' not implemented`)
    : new S3Error(
        "NotImplemented",
        "A header you provided implies functionality that is not implemented",
        { Header: name },
      );
}
