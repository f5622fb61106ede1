/**
 * Files to upload: real magic bytes, built here so the tests carry no binary blobs. The
 * PNG is a valid 1×1 image (IHDR, IDAT, IEND with their CRCs), padded to any size after
 * IEND, which decoders ignore; the ELF is the 64-byte header of an x86-64 executable.
 */
import { createHash } from "node:crypto";
import { crc32, deflateSync } from "node:zlib";

/** One PNG chunk: length, type, data and the CRC-32 of type and data. */
export function pngChunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])));
  return Buffer.concat([head, data, crc]);
}

/** A 1×1 grey PNG; with `size`, zero-padded after IEND to exactly that many bytes. */
export function png(size?: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0);
  ihdr.writeUInt32BE(1, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const image = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", deflateSync(Buffer.from([0, 0x80]))),
    pngChunk("IEND", new Uint8Array(0)),
  ]);
  if (size === undefined) return image;
  if (size < image.length) throw new RangeError(`a PNG needs at least ${image.length} bytes`);
  return Buffer.concat([image, Buffer.alloc(size - image.length)]);
}

/** The start of a JPEG (SOI, a JFIF APP0), padded with zeros to `size` bytes. */
export function jpeg(size = 256): Buffer {
  const head = Buffer.from([
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01,
    0x00, 0x01, 0x00, 0x00,
  ]);
  return Buffer.concat([head, Buffer.alloc(size - head.length)]);
}

/** An x86-64 ELF header followed by zeros. */
export function elf(size = 256): Buffer {
  const head = Buffer.alloc(64);
  head.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]); // \x7fELF, 64-bit, little-endian, v1
  head.writeUInt16LE(2, 16); // ET_EXEC
  head.writeUInt16LE(0x3e, 18); // x86-64
  head.writeUInt32LE(1, 20);
  return Buffer.concat([head, Buffer.alloc(size - head.length)]);
}

export function html(): Buffer {
  return Buffer.from(
    "<!DOCTYPE html>\n<html><head><title>x</title></head><body><script>alert(document.cookie)</script></body></html>\n",
  );
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
