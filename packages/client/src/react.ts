/**
 * `useUpload` — the uploader as a React hook (React 18+, an optional peer dependency).
 *
 * ```tsx
 * const { upload, status, progress, error, record, abort } = useUpload(uploader, { route: "avatar" });
 * <input type="file" onChange={(e) => e.target.files?.[0] && upload(e.target.files[0])} />
 * {progress && <progress value={progress.percent} max={100} />}
 * {error && <p role="alert">{error.message}</p>}
 * ```
 *
 * All state lives in `createUploadStore` (no React in it, tested on its own); this file
 * only subscribes to it. The store lives as long as the component, but each upload takes
 * the uploader and options of the latest render: a page that switches the route (or makes
 * a new uploader for another endpoint) in state uploads there from the next file on.
 */

import type { FileRecord } from "@sluice/protocol";
import { useEffect, useState, useSyncExternalStore } from "react";
import { createUploadStore, type UploadSnapshot } from "./upload-store.js";
import type { Uploader, UploadFile, UploadOptions } from "./uploader.js";

export interface UseUpload extends UploadSnapshot {
  /** Starts uploading `file` (a new call abandons the previous upload). */
  upload(file: UploadFile, options?: Partial<UploadOptions>): Promise<FileRecord>;
  pause(): void;
  resume(): void;
  abort(): void;
}

const ignore = () => {};

export function useUpload(uploader: Uploader, options: UploadOptions): UseUpload {
  const [latest] = useState(() => ({ uploader, options }));
  // Committed renders only: a render React throws away never redirects an upload.
  useEffect(() => {
    latest.uploader = uploader;
    latest.options = options;
    return undefined;
  }, [latest, uploader, options]);
  const [store] = useState(() =>
    createUploadStore({ upload: (file, chosen) => latest.uploader.upload(file, chosen) }, options),
  );
  const [upload] = useState(
    () => (file: UploadFile, overrides?: Partial<UploadOptions>) =>
      // The first render's callbacks are the store's defaults: the latest ones, or none, win.
      store.start(file, {
        onProgress: ignore,
        onStatus: ignore,
        ...latest.options,
        ...overrides,
      }),
  );
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
  // An upload still running when the component goes away is abandoned.
  useEffect(() => () => store.abort(), [store]);
  return {
    ...snapshot,
    upload,
    pause: store.pause,
    resume: store.resume,
    abort: store.abort,
  };
}

export { createUploadStore, IDLE, type UploadSnapshot, type UploadStore } from "./upload-store.js";
