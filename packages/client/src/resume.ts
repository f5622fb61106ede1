/**
 * What a page remembers so that a multipart upload survives a reload: the upload id,
 * under a key made of the endpoint, the route and the file's fingerprint (name, size,
 * last modified). Choosing the same file again finds the id; the API then says which
 * parts the store holds. Nothing secret is kept: the id is useless without the user's
 * session, and URLs are never stored (they would expire anyway).
 */

/** What a `File` offers that identifies it well enough without reading it. */
export interface FileIdentity {
  readonly name: string;
  readonly size: number;
  readonly lastModified: number;
}

/** The part of `Storage` (localStorage) used here, so tests can pass a Map-backed one. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface SavedUpload {
  readonly id: string;
  /** Epoch ms; entries older than a week are dropped (the store aborts them by then). */
  readonly savedAt: number;
}

const PREFIX = "sluice:upload:";
/** R2 aborts incomplete multipart uploads after 7 days. */
export const RESUME_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

export function fingerprint(file: FileIdentity): string {
  return `${file.size}:${file.lastModified}:${file.name}`;
}

export function resumeKey(endpoint: string, route: string, file: FileIdentity): string {
  return `${PREFIX}${JSON.stringify([endpoint, route, fingerprint(file)])}`;
}

export class ResumeStore {
  readonly #storage: KeyValueStorage | undefined;
  readonly #now: () => number;

  constructor(storage: KeyValueStorage | undefined, now: () => number = Date.now) {
    this.#storage = storage;
    this.#now = now;
  }

  load(key: string): SavedUpload | undefined {
    const text = this.#safely(() => this.#storage?.getItem(key) ?? null);
    if (!text) return undefined;
    try {
      const value = JSON.parse(text) as Partial<SavedUpload>;
      if (typeof value.id !== "string" || typeof value.savedAt !== "number") {
        this.forget(key);
        return undefined;
      }
      if (this.#now() - value.savedAt > RESUME_MAX_AGE_MS) {
        this.forget(key);
        return undefined;
      }
      return { id: value.id, savedAt: value.savedAt };
    } catch {
      this.forget(key);
      return undefined;
    }
  }

  save(key: string, id: string): void {
    const saved: SavedUpload = { id, savedAt: this.#now() };
    this.#safely(() => this.#storage?.setItem(key, JSON.stringify(saved)));
  }

  forget(key: string): void {
    this.#safely(() => this.#storage?.removeItem(key));
  }

  /** Storage can throw (quota, private mode, disabled): resuming is a bonus, never a failure. */
  #safely<T>(action: () => T): T | undefined {
    try {
      return action();
    } catch {
      return undefined;
    }
  }
}
