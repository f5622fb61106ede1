/**
 * The digests S3 computes over a body as it streams: MD5 for the ETag and
 * `Content-MD5`, and the `x-amz-checksum-*` algorithms a client may ask for.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 * Checksums are the base64 of the big-endian digest.
 */
import { createHash, type Hash } from "node:crypto";
import { crc32 } from "node:zlib";
import { Crc64Nvme } from "./crc64-nvme.js";

export const CHECKSUM_ALGORITHMS = ["crc32", "crc32c", "crc64nvme", "sha1", "sha256"] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export function isChecksumAlgorithm(name: string): name is ChecksumAlgorithm {
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(name);
}

/**
 * A stored checksum's type: `COMPOSITE` for a checksum of a multipart object's part
 * checksums (`<base64>-<N>`), else `FULL_OBJECT`, the checksum of all the bytes.
 */
export function checksumType(value: string): "FULL_OBJECT" | "COMPOSITE" {
  return /-\d+$/.test(value) ? "COMPOSITE" : "FULL_OBJECT";
}

/** Digest lengths in bytes, to tell a malformed claim from a wrong one. */
export const CHECKSUM_BYTES: Readonly<Record<ChecksumAlgorithm, number>> = {
  crc32: 4,
  crc32c: 4,
  crc64nvme: 8,
  sha1: 20,
  sha256: 32,
};

/** CRC-32C (Castagnoli), reflected polynomial 0x82F63B78, slicing by 8. */
const CRC32C_TABLES: Uint32Array[] = (() => {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  const first = tables[0] as Uint32Array;
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    first[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = first[n] as number;
    for (let t = 1; t < 8; t++) {
      c = (first[c & 0xff] as number) ^ (c >>> 8);
      (tables[t] as Uint32Array)[n] = c >>> 0;
    }
  }
  return tables;
})();

export function crc32c(data: Uint8Array, previous = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = CRC32C_TABLES as [
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
  ];
  let crc = ~previous >>> 0;
  let i = 0;
  const end8 = data.length - (data.length % 8);
  for (; i < end8; i += 8) {
    const lo =
      (crc ^
        ((data[i] as number) |
          ((data[i + 1] as number) << 8) |
          ((data[i + 2] as number) << 16) |
          ((data[i + 3] as number) << 24))) >>>
      0;
    crc =
      (t7[lo & 0xff] as number) ^
      (t6[(lo >>> 8) & 0xff] as number) ^
      (t5[(lo >>> 16) & 0xff] as number) ^
      (t4[lo >>> 24] as number) ^
      (t3[data[i + 4] as number] as number) ^
      (t2[data[i + 5] as number] as number) ^
      (t1[data[i + 6] as number] as number) ^
      (t0[data[i + 7] as number] as number);
  }
  for (; i < data.length; i++)
    crc = (t0[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return ~crc >>> 0;
}

function uint32Base64(value: number): string {
  const bytes = Buffer.allocUnsafe(4);
  bytes.writeUInt32BE(value >>> 0);
  return bytes.toString("base64");
}

/** MD5 plus any requested checksums, updated chunk by chunk. */
export class Digests {
  readonly #md5: Hash = createHash("md5");
  readonly #hashes = new Map<ChecksumAlgorithm, Hash>();
  readonly #sha256: Hash | undefined;
  #crc32: number | undefined;
  #crc32c: number | undefined;
  #crc64nvme: Crc64Nvme | undefined;
  #size = 0;

  /** `sha256Hex`: also compute a hex SHA-256 (for a signed `x-amz-content-sha256`). */
  constructor(algorithms: Iterable<ChecksumAlgorithm>, options: { sha256Hex?: boolean } = {}) {
    for (const algorithm of algorithms) {
      if (algorithm === "crc32") this.#crc32 = 0;
      else if (algorithm === "crc32c") this.#crc32c = 0;
      else if (algorithm === "crc64nvme") this.#crc64nvme = new Crc64Nvme();
      else this.#hashes.set(algorithm, createHash(algorithm));
    }
    if (options.sha256Hex && !this.#hashes.has("sha256")) this.#sha256 = createHash("sha256");
  }

  update(chunk: Uint8Array): void {
    this.#size += chunk.length;
    this.#md5.update(chunk);
    for (const hash of this.#hashes.values()) hash.update(chunk);
    this.#sha256?.update(chunk);
    if (this.#crc32 !== undefined) this.#crc32 = crc32(chunk, this.#crc32);
    if (this.#crc32c !== undefined) this.#crc32c = crc32c(chunk, this.#crc32c);
    this.#crc64nvme?.update(chunk);
  }

  get size(): number {
    return this.#size;
  }

  /** Call once, after the last chunk. */
  finish(): FinishedDigests {
    const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
    let sha256Hex: string | undefined;
    for (const [algorithm, hash] of this.#hashes) {
      const digest = hash.digest();
      checksums[algorithm] = digest.toString("base64");
      if (algorithm === "sha256") sha256Hex = digest.toString("hex");
    }
    if (this.#sha256) sha256Hex = this.#sha256.digest("hex");
    if (this.#crc32 !== undefined) checksums.crc32 = uint32Base64(this.#crc32);
    if (this.#crc32c !== undefined) checksums.crc32c = uint32Base64(this.#crc32c);
    if (this.#crc64nvme) checksums.crc64nvme = this.#crc64nvme.digest().toString("base64");
    return { size: this.#size, md5: this.#md5.digest(), checksums, sha256Hex };
  }
}

export interface FinishedDigests {
  readonly size: number;
  readonly md5: Buffer;
  readonly checksums: Partial<Record<ChecksumAlgorithm, string>>;
  readonly sha256Hex: string | undefined;
}
