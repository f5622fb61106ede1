/**
 * Where object bytes live on disk. A key never becomes a path: every blob has a random
 * id, so no key (`../../etc/passwd`, `a//b`, 1024 bytes of unicode) can reach outside
 * the data folder or collide with another. This file is the one place ids become paths.
 *
 *   <data>/tmp/<id>          bytes still arriving; removed at start-up
 *   <data>/blobs/<xx>/<id>   complete blobs, fsynced, named by the metadata
 */
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const BLOB_ID = /^[0-9a-f]{32}$/;

export class BlobFiles {
  readonly tmpDir: string;
  readonly blobsDir: string;

  constructor(readonly dataDir: string) {
    this.tmpDir = join(dataDir, "tmp");
    this.blobsDir = join(dataDir, "blobs");
    mkdirSync(this.tmpDir, { recursive: true });
    mkdirSync(this.blobsDir, { recursive: true });
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

  static isId(name: string): boolean {
    return BLOB_ID.test(name);
  }
}

function checked(id: string): string {
  if (!BLOB_ID.test(id)) throw new Error(`not a blob id: ${id}`);
  return id;
}
