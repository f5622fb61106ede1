/**
 * The demo app's own record of uploaded files: what `onComplete` hands it, kept in a
 * JSON file in the data folder (written whole, then renamed into place) so the list
 * survives restarts. Idempotent on the upload id, as `onComplete` must be.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FileRecord } from "@sluice/server";

export interface StoredFile {
  readonly userId: string;
  readonly record: FileRecord;
}

export class FileList {
  readonly #path: string;
  #files: StoredFile[];

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.#path = join(dataDir, "files.json");
    this.#files = existsSync(this.#path)
      ? (JSON.parse(readFileSync(this.#path, "utf8")) as StoredFile[])
      : [];
  }

  add(userId: string, record: FileRecord): void {
    if (this.#files.some((file) => file.record.id === record.id)) return;
    this.#files.push({ userId, record });
    const temporary = `${this.#path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.#files, null, 1));
    renameSync(temporary, this.#path);
  }

  /** The user's files, newest first. */
  of(userId: string): FileRecord[] {
    return this.#files
      .filter((file) => file.userId === userId)
      .map((file) => file.record)
      .reverse();
  }
}
