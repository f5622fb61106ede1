/**
 * What a client claims about a body — Content-MD5, `x-amz-checksum-*` (as a header, a
 * signed query parameter, or a trailer), a signed `x-amz-content-sha256` — checked
 * against what arrived. Claims are parsed before the body is read (a malformed one
 * fails at once); the comparison happens after, and a body that fails it is discarded.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 */
import { EMPTY_BODY_CRC32, type Verified } from "@sluice/sigv4";
import {
  CHECKSUM_ALGORITHMS,
  CHECKSUM_BYTES,
  type ChecksumAlgorithm,
  type FinishedDigests,
  isChecksumAlgorithm,
} from "../checksums.js";
import { S3Error } from "./s3-error.js";
import type { S3Request } from "./s3-request.js";

export interface Claims {
  readonly md5: Buffer | undefined;
  /** A checksum claimed up front, and where the claim was made. */
  readonly checksum:
    | {
        readonly algorithm: ChecksumAlgorithm;
        readonly value: string;
        readonly from: "header" | "query";
      }
    | undefined;
  /** A checksum that will arrive as a trailer of an aws-chunked body. */
  readonly trailer: ChecksumAlgorithm | undefined;
  /** A signed hex SHA-256 of the body. */
  readonly sha256Hex: string | undefined;
}

export function readClaims(request: S3Request, verified: Verified): Claims {
  const md5Header = request.headers.get("content-md5");
  let md5: Buffer | undefined;
  if (md5Header !== null) {
    md5 = Buffer.from(md5Header, "base64");
    if (md5.length !== 16 || md5.toString("base64") !== md5Header.trim()) {
      throw new S3Error("InvalidDigest", "The Content-MD5 you specified was invalid.", {
        "Content-MD5": md5Header,
      });
    }
  }

  const claimed: { algorithm: ChecksumAlgorithm; value: string; from: "header" | "query" }[] = [];
  // CompleteMultipartUpload's `x-amz-checksum-*` is the object's checksum, not its XML
  // body's: the operation checks it against the parts (`objectChecksumClaim`).
  for (const algorithm of isCompleteMultipartUpload(request) ? [] : CHECKSUM_ALGORITHMS) {
    const name = `x-amz-checksum-${algorithm}`;
    const header = request.headers.get(name);
    // In a presigned URL every query parameter is signed, so a checksum there binds the body.
    const query = verified.auth === "query" ? request.query.get(name) : undefined;
    const value = header ?? query;
    if (value === undefined || value === null) continue;
    const bytes = Buffer.from(value, "base64");
    if (bytes.length !== CHECKSUM_BYTES[algorithm] || bytes.toString("base64") !== value) {
      throw new S3Error("InvalidRequest", `Value for ${name} header is invalid.`);
    }
    claimed.push({ algorithm, value, from: header !== null ? "header" : "query" });
  }
  if (claimed.length > 1) {
    throw new S3Error(
      "InvalidRequest",
      "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
    );
  }

  let trailer: ChecksumAlgorithm | undefined;
  const trailerHeader = request.headers.get("x-amz-trailer");
  if (trailerHeader !== null) {
    const names = trailerHeader.split(",").map((name) => name.trim().toLowerCase());
    for (const name of names) {
      const algorithm = name.replace(/^x-amz-checksum-/, "");
      if (!name.startsWith("x-amz-checksum-") || !isChecksumAlgorithm(algorithm)) {
        throw new S3Error(
          "InvalidRequest",
          `The value specified in the x-amz-trailer header is not supported: ${name}`,
        );
      }
      trailer = algorithm;
    }
    if (claimed.length > 0) {
      throw new S3Error(
        "InvalidRequest",
        "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
      );
    }
  }

  const sdkAlgorithm = (
    request.headers.get("x-amz-sdk-checksum-algorithm") ??
    request.query.get("x-amz-sdk-checksum-algorithm")
  )?.toLowerCase();
  if (
    sdkAlgorithm !== undefined &&
    claimed[0]?.algorithm !== sdkAlgorithm &&
    trailer !== sdkAlgorithm
  ) {
    throw new S3Error(
      "InvalidRequest",
      "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.",
    );
  }

  return {
    md5,
    checksum: claimed[0],
    trailer,
    sha256Hex: verified.payload.kind === "sha256" ? verified.payload.sha256 : undefined,
  };
}

function isCompleteMultipartUpload(request: S3Request): boolean {
  return request.method === "POST" && request.query.has("uploadId");
}

/**
 * The whole object's checksum a CompleteMultipartUpload claims (`x-amz-checksum-<algorithm>`),
 * and the type it names (`x-amz-checksum-type`), if any; a malformed value is refused as a
 * body's is.
 */
export function objectChecksumClaim(request: S3Request): {
  readonly checksum: { readonly algorithm: ChecksumAlgorithm; readonly value: string } | undefined;
  readonly type: string | undefined;
} {
  let checksum: { algorithm: ChecksumAlgorithm; value: string } | undefined;
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const name = `x-amz-checksum-${algorithm}`;
    const value = request.headers.get(name);
    if (value === null) continue;
    if (checksum !== undefined) {
      throw new S3Error(
        "InvalidRequest",
        "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
      );
    }
    // A COMPOSITE value carries its part count: `<base64>-<N>`.
    const digest = value.replace(/-\d+$/, "");
    const bytes = Buffer.from(digest, "base64");
    if (bytes.length !== CHECKSUM_BYTES[algorithm] || bytes.toString("base64") !== digest) {
      throw new S3Error("InvalidRequest", `Value for ${name} header is invalid.`);
    }
    checksum = { algorithm, value };
  }
  return { checksum, type: request.headers.get("x-amz-checksum-type")?.toUpperCase() };
}

/** The checksum algorithms to compute while the body streams. */
export function algorithmsFor(claims: Claims): ChecksumAlgorithm[] {
  const algorithms: ChecksumAlgorithm[] = [];
  if (claims.checksum) algorithms.push(claims.checksum.algorithm);
  if (claims.trailer) algorithms.push(claims.trailer);
  return algorithms;
}

/** Throws S3's error for the first claim the body does not meet. */
export function checkClaims(
  claims: Claims,
  digests: FinishedDigests,
  trailers: ReadonlyMap<string, string>,
): void {
  if (claims.sha256Hex !== undefined && digests.sha256Hex !== claims.sha256Hex) {
    throw new S3Error(
      "XAmzContentSHA256Mismatch",
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
      {
        ClientComputedContentSHA256: claims.sha256Hex,
        S3ComputedContentSHA256: digests.sha256Hex ?? "",
      },
    );
  }
  if (claims.md5 && !claims.md5.equals(digests.md5)) {
    throw new S3Error(
      "BadDigest",
      "The Content-MD5 you specified did not match what we received.",
      {
        ExpectedDigest: claims.md5.toString("hex"),
        CalculatedDigest: digests.md5.toString("base64"),
      },
    );
  }
  if (claims.checksum) {
    const { algorithm, value, from } = claims.checksum;
    if (digests.checksums[algorithm] !== value) {
      throw badChecksum(
        algorithm,
        from === "query" && algorithm === "crc32" && value === EMPTY_BODY_CRC32 && digests.size > 0
          ? emptyBodyTrap(digests.size)
          : "",
      );
    }
  }
  if (claims.trailer) {
    const value = trailers.get(`x-amz-checksum-${claims.trailer}`);
    if (value === undefined) {
      throw new S3Error(
        "MalformedTrailerError",
        `The trailer x-amz-checksum-${claims.trailer} declared in x-amz-trailer did not arrive.`,
      );
    }
    if (digests.checksums[claims.trailer] !== value) throw badChecksum(claims.trailer, "");
  }
}

function badChecksum(algorithm: ChecksumAlgorithm, cause: string): S3Error {
  return new S3Error(
    "BadDigest",
    `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.${cause}`,
  );
}

function emptyBodyTrap(size: number): string {
  return ` The URL carries x-amz-checksum-crc32=${EMPTY_BODY_CRC32}, the CRC32 of an empty body, which @aws-sdk/s3-request-presigner adds to presigned PUT URLs by default; this body has ${size} bytes, so it can never match. Fix: create the S3Client with requestChecksumCalculation: "WHEN_REQUIRED" before presigning (or presign with Sluice), so the URL binds no checksum it cannot know.`;
}
