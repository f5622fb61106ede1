/**
 * Under `r2`, a checksum header whose value is not base64 at all is R2's
 * `400 InvalidDigest` ("Checksum header format is malformed",
 * https://developers.cloudflare.com/r2/api/error-codes/), decided before the body is
 * read. S3 says `InvalidRequest`; that and a value of the wrong length are left to the
 * integrity checks.
 */
import { CHECKSUM_ALGORITHMS } from "../checksums.js";
import type { Flavor } from "../flavor.js";
import { S3Error } from "./s3-error.js";
import type { S3Request } from "./s3-request.js";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function refuseMalformedChecksums(request: S3Request, flavor: Flavor): void {
  if (flavor.name !== "r2") return;
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const name = `x-amz-checksum-${algorithm}`;
    const value = request.headers.get(name) ?? request.query.get(name);
    if (value === undefined || value === null) continue;
    if (value === "" || !BASE64.test(value)) {
      throw new S3Error("InvalidDigest", `The ${name} you specified is not valid base64.`, {
        [name]: value,
      });
    }
  }
}
