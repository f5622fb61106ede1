/**
 * An object's bytes in and out: a body received (in memory while small, streamed to a
 * temporary blob from the moment it is larger, so memory stays bounded), and an object's
 * bytes read back as a stream of chunks.
 */
import { createReadStream, type ReadStream } from "node:fs";
import type { BlobFiles } from "./blob-files.js";
import type { PendingBody, Segment } from "./records.js";

/** Bodies up to this size are kept in the database with their object's row. */
export const SMALL_BODY_MAX_BYTES = 64 * 1024;

/** Bytes per read when serving a blob. */
const READ_CHUNK_BYTES = 256 * 1024;

/**
 * Receives an object's body: held in memory while it is at most SMALL_BODY_MAX_BYTES,
 * streamed to a temporary blob from the moment it is larger.
 */
export async function receiveBody(
  files: BlobFiles,
  source: AsyncIterable<Uint8Array>,
): Promise<PendingBody> {
  const iterator = source[Symbol.asyncIterator]();
  const held: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const next = await iterator.next();
    if (next.done) return { kind: "small", bytes: Buffer.concat(held, size), size };
    held.push(next.value);
    size += next.value.length;
    if (size > SMALL_BODY_MAX_BYTES) return files.writeTemp(resume(held, iterator));
  }
}

/**
 * The bytes `start`..`end` (inclusive) of blobs laid end to end, each opened when reached.
 * The blobs are held from this call until the stream ends, fails or is returned (see
 * `BlobFiles.hold`), so an overwrite or delete meanwhile cannot cut it short.
 */
export function readBlobs(
  files: BlobFiles,
  segments: readonly Segment[],
  start: number,
  end: number,
): AsyncGenerator<Uint8Array> {
  const release = files.hold(segments.map((segment) => segment.blob));
  return releasing(streamBlobs(files, segments, start, end), release);
}

/**
 * `inner`, calling `release` when it ends, fails or is returned, also when it is returned
 * before its first chunk (where a generator's own `finally` never runs), and at the latest
 * when it is dropped unread.
 */
function releasing(
  inner: AsyncGenerator<Uint8Array>,
  release: () => void,
): AsyncGenerator<Uint8Array> {
  const reader: AsyncGenerator<Uint8Array> = {
    async next() {
      try {
        const result = await inner.next();
        if (result.done) release();
        return result;
      } catch (error) {
        release();
        throw error;
      }
    },
    async return(value) {
      try {
        return await inner.return(value);
      } finally {
        release();
      }
    },
    async throw(error) {
      try {
        return await inner.throw(error);
      } finally {
        release();
      }
    },
    [Symbol.asyncIterator]() {
      return reader;
    },
  };
  droppedReaders.register(reader, release);
  return reader;
}

/** A safety net: a reader dropped without being finished or returned lets go of its blobs. */
const droppedReaders = new FinalizationRegistry<() => void>((release) => release());

async function* streamBlobs(
  files: BlobFiles,
  segments: readonly Segment[],
  start: number,
  end: number,
): AsyncGenerator<Uint8Array> {
  let base = 0;
  for (const segment of segments) {
    const segmentEnd = base + segment.size - 1;
    if (segmentEnd >= start && base <= end) {
      const stream: ReadStream = createReadStream(files.blobPath(segment.blob), {
        start: Math.max(0, start - base),
        end: Math.min(segment.size - 1, end - base),
        highWaterMark: READ_CHUNK_BYTES,
      });
      for await (const chunk of stream) yield chunk as Buffer;
    }
    base += segment.size;
    if (base > end) break;
  }
}

export async function* chunksOf(bytes: Buffer): AsyncGenerator<Uint8Array> {
  if (bytes.length > 0) yield bytes;
}

/** The chunks already taken from `iterator`, then the rest of it. */
async function* resume(
  taken: readonly Uint8Array[],
  iterator: AsyncIterator<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  try {
    yield* taken;
    for (let next = await iterator.next(); !next.done; next = await iterator.next())
      yield next.value;
  } finally {
    // Stopped early (the disk failed): let the source release what it holds.
    await iterator.return?.();
  }
}
