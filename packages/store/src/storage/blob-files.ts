/**
 * Where object bytes live on disk. A key never becomes a path: every blob has a random
 * id, so no key (`../../etc/passwd`, `a//b`, 1024 bytes of unicode) can reach outside
 * the data folder or collide with another. This file is the one place ids become paths.
 *
 *   <data>/tmp/<id>          bytes still arriving; removed at start-up
 *   <data>/blobs/<xx>/<id>   complete blobs, synced before the metadata names them
 *
 * A read that has started finishes with the bytes it started with, as S3 promises (a GET
 * returns one version, whole): a reader holds its object's blobs, and a blob the metadata
 * no longer names (its object replaced or deleted) is removed only when its last reader is
 * done. A multipart object's reader opens each part's file only when it reaches it, so
 * holding the files, not open descriptors, is what keeps the later parts. If the process
 * dies first, nothing names the blob and start-up's scan removes it (`recovery.ts`).
 */
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { type FileHandle, open, rename, rm, unlink } from "node:fs/promises";
import { join } from "node:path";
import { CoalescedSync } from "./coalesced-sync.js";

/** A blob written to a temporary file: not yet synced, not yet named by any metadata. */
export interface TempBlob {
  readonly kind: "file";
  readonly id: string;
  readonly size: number;
}

const BLOB_ID = /^[0-9a-f]{32}$/;

export class BlobFiles {
  readonly tmpDir: string;
  readonly blobsDir: string;

  constructor(readonly dataDir: string) {
    this.tmpDir = join(dataDir, "tmp");
    this.blobsDir = join(dataDir, "blobs");
    mkdirSync(this.tmpDir, { recursive: true });
    // All 256 fan-out folders up front: no mkdir on the write path.
    for (let i = 0; i < 256; i++) {
      mkdirSync(join(this.blobsDir, i.toString(16).padStart(2, "0")), { recursive: true });
    }
  }

  /** One coalesced fsync per fan-out folder: concurrent renames into it share syncs. */
  readonly #dirSyncs = new Map<string, CoalescedSync>();

  #syncDir(dir: string): Promise<void> {
    let sync = this.#dirSyncs.get(dir);
    if (!sync) {
      sync = new CoalescedSync(async () => {
        const handle = await open(dir, "r");
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
      });
      this.#dirSyncs.set(dir, sync);
    }
    return sync.sync();
  }

  newId(): string {
    return randomUUID().replaceAll("-", "");
  }

  tmpPath(id: string): string {
    return join(this.tmpDir, checked(id));
  }

  blobDir(id: string): string {
    return join(this.blobsDir, checked(id).slice(0, 2));
  }

  blobPath(id: string): string {
    return join(this.blobDir(id), id);
  }

  /**
   * Streams `source` to a temporary file (synced when it is placed). On any error the
   * file is removed and the error rethrown: nothing half-written survives.
   */
  async writeTemp(source: AsyncIterable<Uint8Array>): Promise<TempBlob> {
    const id = this.newId();
    const path = this.tmpPath(id);
    const file = await open(path, "wx");
    let size = 0;
    // Writes go out at their offsets while the next chunks arrive, as a pipe would
    // overlap them; at most MAX_WRITE_AHEAD_BYTES are in flight, so memory stays flat.
    const inFlight: { promise: Promise<void>; bytes: number }[] = [];
    let inFlightBytes = 0;
    try {
      for await (const chunk of source) {
        const promise = writeAll(file, chunk, size);
        promise.catch(() => {}); // awaited below; never an unhandled rejection meanwhile
        inFlight.push({ promise, bytes: chunk.length });
        inFlightBytes += chunk.length;
        size += chunk.length;
        while (inFlightBytes > MAX_WRITE_AHEAD_BYTES) {
          const oldest = inFlight.shift() as { promise: Promise<void>; bytes: number };
          await oldest.promise;
          inFlightBytes -= oldest.bytes;
        }
      }
      await Promise.all(inFlight.map((write) => write.promise));
    } catch (error) {
      await Promise.allSettled(inFlight.map((write) => write.promise));
      await file.close().catch(() => {});
      await rm(path, { force: true });
      throw error;
    }
    await file.close();
    return { kind: "file", id, size };
  }

  async discard(temp: TempBlob): Promise<void> {
    await rm(this.tmpPath(temp.id), { force: true });
  }

  /**
   * Moves a blob into place and makes it durable: its bytes and its folder entry, synced
   * side by side, so an upload waits for one sync's latency, not two in a row. Until the
   * metadata names it, a blob in place is an orphan like any other (start-up removes it),
   * so syncing after the rename loses nothing; and a body refused by its checksums is
   * discarded before it costs a sync at all.
   */
  async place(temp: TempBlob): Promise<string> {
    const finalPath = this.blobPath(temp.id);
    await rename(this.tmpPath(temp.id), finalPath);
    await Promise.all([syncData(finalPath), this.#syncDir(this.blobDir(temp.id))]);
    return finalPath;
  }

  /** Readers of each blob being read. */
  readonly #readers = new Map<string, number>();
  /** Blobs no metadata names any more, kept until their last reader is done. */
  readonly #removeWhenRead = new Set<string>();

  /**
   * Holds `blobs` for a reader until the returned release is called (once or more): a
   * removal meanwhile waits for it. To be called in the same turn as the metadata read
   * that named the blobs, before any removal can run.
   */
  hold(blobs: readonly string[]): () => void {
    for (const blob of blobs) this.#readers.set(blob, (this.#readers.get(blob) ?? 0) + 1);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      const free: string[] = [];
      for (const blob of blobs) {
        const left = (this.#readers.get(blob) ?? 1) - 1;
        if (left > 0) {
          this.#readers.set(blob, left);
          continue;
        }
        this.#readers.delete(blob);
        if (this.#removeWhenRead.delete(blob)) free.push(blob);
      }
      if (free.length > 0) void this.#unlink(free);
    };
  }

  /** Blobs removed while a reader held them, still on disk until it is done. */
  get awaitingReaders(): number {
    return this.#removeWhenRead.size;
  }

  /**
   * Removes blobs no metadata names any more, or, for a blob being read, once its last
   * reader is done. A failure leaves an orphan that start-up removes.
   */
  async remove(blobs: readonly { readonly blob: string }[]): Promise<void> {
    const now: string[] = [];
    for (const { blob } of blobs) {
      if (this.#readers.has(blob)) this.#removeWhenRead.add(blob);
      else now.push(blob);
    }
    await this.#unlink(now);
  }

  async #unlink(blobs: readonly string[]): Promise<void> {
    await Promise.all(blobs.map((blob) => unlink(this.blobPath(blob)).catch(() => {})));
  }

  static isId(name: string): boolean {
    return BLOB_ID.test(name);
  }
}

function checked(id: string): string {
  if (!BLOB_ID.test(id)) throw new Error(`not a blob id: ${id}`);
  return id;
}

/** fdatasync applies to the file, not the descriptor: a fresh one flushes what was written through another. */
async function syncData(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** Bytes of a body written ahead of the disk: enough to overlap network and disk. */
const MAX_WRITE_AHEAD_BYTES = 4 * 1024 * 1024;

async function writeAll(file: FileHandle, chunk: Uint8Array, position: number): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await file.write(
      chunk,
      offset,
      chunk.length - offset,
      position + offset,
    );
    offset += bytesWritten;
  }
}
