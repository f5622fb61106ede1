/**
 * S3's additional checksums as headers: `x-amz-checksum-<algorithm>`, base64 of the
 * digest; `x-amz-checksum-mode: ENABLED` asks HeadObject and GetObject to report them.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 */

export const CHECKSUM_ALGORITHMS = ["crc32", "crc32c", "crc64nvme", "sha1", "sha256"] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

const PREFIX = "x-amz-checksum-";

/** `x-amz-checksum-sha256` for `sha256`. */
export function checksumHeader(
  algorithm: ChecksumAlgorithm,
): `x-amz-checksum-${ChecksumAlgorithm}` {
  return `${PREFIX}${algorithm}`;
}

/** The algorithm a header names (any case), or `undefined` (`x-amz-checksum-mode` is none). */
export function checksumAlgorithmOf(header: string): ChecksumAlgorithm | undefined {
  const name = header.toLowerCase();
  if (!name.startsWith(PREFIX)) return undefined;
  const algorithm = name.slice(PREFIX.length);
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(algorithm)
    ? (algorithm as ChecksumAlgorithm)
    : undefined;
}

/** Base64 of a digest, as the headers carry it; without Node's Buffer, for the browser too. */
export function checksumValue(digest: Uint8Array): string {
  let binary = "";
  for (const byte of digest) binary += String.fromCharCode(byte);
  return btoa(binary);
}
