/**
 * One upload at a time, as state a UI can subscribe to: what `useUpload` renders from,
 * and usable without React (`subscribe` + `getSnapshot`, the shape of React's
 * `useSyncExternalStore`, Svelte stores and most signal libraries). Each change makes a
 * new snapshot object, so a renderer can compare by identity.
 */
import type { FileRecord } from "@sluice/protocol";
import type { Progress } from "./progress.js";
import type { UploadError } from "./upload-error.js";
import type {
  Uploader,
  UploadFile,
  UploadHandle,
  UploadOptions,
  UploadStatus,
} from "./uploader.js";

export interface UploadSnapshot {
  /** `idle` until the first upload starts. */
  readonly status: UploadStatus | "idle";
  readonly progress: Progress | undefined;
  readonly error: UploadError | undefined;
  readonly record: FileRecord | undefined;
  readonly file: UploadFile | undefined;
}

export interface UploadStore {
  subscribe(listener: () => void): () => void;
  getSnapshot(): UploadSnapshot;
  /** Starts an upload (abandoning the one before, if it still runs); resolves with its record. */
  start(file: UploadFile, options?: Partial<UploadOptions>): Promise<FileRecord>;
  pause(): void;
  resume(): void;
  abort(): void;
}

export const IDLE: UploadSnapshot = {
  status: "idle",
  progress: undefined,
  error: undefined,
  record: undefined,
  file: undefined,
};

export function createUploadStore(uploader: Uploader, defaults: UploadOptions): UploadStore {
  let snapshot = IDLE;
  let current: UploadHandle | undefined;
  const listeners = new Set<() => void>();
  const publish = (handle: UploadHandle, progress?: Progress) => {
    if (handle !== current) return;
    snapshot = {
      status: handle.status,
      progress: progress ?? handle.progress,
      error: handle.error,
      record: handle.record,
      file: handle.file,
    };
    for (const listener of listeners) listener();
  };
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => snapshot,
    start(file, options = {}) {
      current?.abort();
      const handle: UploadHandle = uploader.upload(file, {
        ...defaults,
        ...options,
        onProgress: (progress) => {
          publish(handle, progress);
          (options.onProgress ?? defaults.onProgress)?.(progress);
        },
        onStatus: (status) => {
          publish(handle);
          (options.onStatus ?? defaults.onStatus)?.(status);
        },
      });
      current = handle;
      publish(handle);
      return handle.result.finally(() => publish(handle));
    },
    pause: () => current?.pause(),
    resume: () => current?.resume(),
    abort: () => current?.abort(),
  };
}
