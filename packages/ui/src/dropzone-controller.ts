/**
 * The framework-free core under every component: the files a person chose, one entry
 * each, and what became of them. It reads the route's policy from the upload API first
 * (`describeRoute`), refuses a file of the wrong type or size without a request, and
 * runs the rest through `@sluice/client`'s public API (`upload()` and its handle), one
 * handle per attempt, so cancel and retry are the handle's `abort()` and a new upload of
 * the same file (a multipart upload picks up the parts the store already has).
 *
 * State is `subscribe` + `getSnapshot` (the shape of React's `useSyncExternalStore`):
 * each change makes a new snapshot, so a view compares by identity. Nothing here touches
 * the DOM beyond `URL.createObjectURL` for image previews, each revoked when its entry
 * goes away or the controller is disposed.
 */
import {
  checkFile,
  createUploader,
  describeRoute,
  type FileRecord,
  type HeadersOption,
  type Progress,
  type RouteDescription,
  UploadError,
  type Uploader,
  type UploadHandle,
  type UploadStatus,
} from "@sluice/client";

/** `checking` until the route's policy is known; `refused` before any request. */
export type EntryStatus = "checking" | "refused" | UploadStatus;

export interface FileEntry {
  /** Unique within its controller. */
  readonly id: string;
  readonly file: File;
  /** The route it was (or will be) uploaded to. */
  readonly route: string;
  readonly status: EntryStatus;
  readonly progress: Progress | undefined;
  /** Why it was refused or failed, in words (the API's or the client's). */
  readonly error: UploadError | undefined;
  /** The verified file record, once done. */
  readonly record: FileRecord | undefined;
  /** An object URL of an image file, for a preview. */
  readonly previewUrl: string | undefined;
  /** Parts the store already held when a multipart upload was picked up again. */
  readonly resumedParts: number;
}

export type RoutePolicy =
  | { readonly state: "loading"; readonly route: string }
  | { readonly state: "ready"; readonly route: string; readonly description: RouteDescription }
  | { readonly state: "failed"; readonly route: string; readonly error: UploadError };

export interface DropzoneSnapshot {
  readonly endpoint: string;
  readonly policy: RoutePolicy;
  /** Oldest first. */
  readonly entries: readonly FileEntry[];
}

export interface DropzoneOptions {
  /** The upload API's base URL, e.g. `/api/uploads`. */
  readonly endpoint: string;
  /** The route (policy) name the server defined. */
  readonly route: string;
  /** Headers for the API's requests (a CSRF token, `Authorization`…). */
  readonly headers?: HeadersOption;
  readonly credentials?: "omit" | "same-origin" | "include";
  /**
   * An uploader of your own (its endpoint wins for uploads); default one per endpoint.
   * This and the two above are read when used, so a getter may supply them late.
   */
  readonly uploader?: Uploader;
  /** Called with the verified record of each upload. */
  readonly onComplete?: (record: FileRecord, entry: FileEntry) => void;
  /** Called when a file is refused or its upload fails (not when it is cancelled). */
  readonly onError?: (error: UploadError, entry: FileEntry) => void;
}

export interface DropzoneController {
  subscribe(listener: () => void): () => void;
  getSnapshot(): DropzoneSnapshot;
  /** Checks each file against the route and uploads the ones that fit. */
  add(files: Iterable<File>): void;
  pause(id: string): void;
  resume(id: string): void;
  /** Gives the upload up (the API aborts it in the store). */
  cancel(id: string): void;
  /** Uploads a failed or cancelled file again. */
  retry(id: string): void;
  /** Takes a finished, refused or cancelled entry off the list. */
  remove(id: string): void;
  /** A new route or endpoint applies to the files added from now on. */
  configure(change: { readonly endpoint?: string; readonly route?: string }): void;
  /** Cancels what is running and revokes every preview. */
  dispose(): void;
}

const ACTIVE: ReadonlySet<EntryStatus> = new Set(["checking", "queued", "uploading", "paused"]);

export function isActive(status: EntryStatus): boolean {
  return ACTIVE.has(status);
}

export function createDropzoneController(options: DropzoneOptions): DropzoneController {
  let endpoint = options.endpoint;
  let route = options.route;
  let ownUploader: Uploader | undefined;
  const uploader = (): Uploader => {
    if (options.uploader) return options.uploader;
    ownUploader ??= newUploader(endpoint);
    return ownUploader;
  };
  let policy: RoutePolicy = { state: "loading", route };
  let described: Promise<RouteDescription | undefined> = Promise.resolve(undefined);
  let describing: AbortController | undefined;
  let entries: FileEntry[] = [];
  let snapshot: DropzoneSnapshot = { endpoint, policy, entries };
  let disposed = false;
  let counter = 0;
  const handles = new Map<string, UploadHandle>();
  const listeners = new Set<() => void>();

  function newUploader(base: string): Uploader {
    return createUploader({
      endpoint: base,
      ...(options.headers !== undefined ? { headers: options.headers } : {}),
      ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
    });
  }

  function publish(): void {
    snapshot = { endpoint, policy, entries };
    for (const listener of listeners) listener();
  }

  function update(id: string, change: Partial<FileEntry>): FileEntry | undefined {
    let updated: FileEntry | undefined;
    entries = entries.map((entry) => {
      if (entry.id !== id) return entry;
      updated = { ...entry, ...change };
      return updated;
    });
    if (updated) publish();
    return updated;
  }

  function find(id: string): FileEntry | undefined {
    return entries.find((entry) => entry.id === id);
  }

  /** Reads the policy of the current route; a newer request wins over an older one. */
  function loadPolicy(): void {
    describing?.abort();
    const controller = new AbortController();
    describing = controller;
    const forRoute = route;
    policy = { state: "loading", route: forRoute };
    publish();
    described = describeRoute(forRoute, {
      endpoint,
      signal: controller.signal,
      ...(options.headers !== undefined ? { headers: options.headers } : {}),
      ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
    }).then(
      (description) => {
        if (describing === controller) {
          policy = { state: "ready", route: forRoute, description };
          publish();
        }
        return description;
      },
      (error: unknown) => {
        if (describing === controller) {
          policy = { state: "failed", route: forRoute, error: asUploadError(error) };
          publish();
        }
        // Without the policy the API still judges each upload: nothing is checked here.
        return undefined;
      },
    );
  }

  async function check(id: string, policyOf: Promise<RouteDescription | undefined>) {
    const description = await policyOf;
    const entry = find(id);
    if (entry?.status !== "checking" || disposed) return;
    const refusal = description && checkFile(description, entry.file);
    if (refusal) {
      const refused = update(id, { status: "refused", error: refusal });
      if (refused) options.onError?.(refusal, refused);
      return;
    }
    start(entry);
  }

  function start(entry: FileEntry): void {
    const handle = uploader().upload(entry.file, {
      route: entry.route,
      onStatus: (status) => {
        if (handles.get(entry.id) !== handle) return;
        update(entry.id, {
          status,
          error: handle.error,
          record: handle.record,
          resumedParts: handle.resumedParts,
        });
      },
      onProgress: (progress) => {
        if (handles.get(entry.id) !== handle) return;
        update(entry.id, { progress });
      },
    });
    handles.set(entry.id, handle);
    update(entry.id, {
      status: handle.status,
      progress: handle.progress,
      error: undefined,
      record: undefined,
    });
    handle.result.then(
      (record) => {
        if (handles.get(entry.id) !== handle) return;
        const done = update(entry.id, { status: "done", record, progress: handle.progress });
        if (done) options.onComplete?.(record, done);
      },
      (error: unknown) => {
        if (handles.get(entry.id) !== handle) return;
        const failure = asUploadError(error);
        const ended = update(entry.id, { status: handle.status, error: failure });
        if (ended && failure.kind !== "aborted") options.onError?.(failure, ended);
      },
    );
  }

  function forget(entry: FileEntry): void {
    handles.delete(entry.id);
    if (entry.previewUrl) URL.revokeObjectURL(entry.previewUrl);
  }

  loadPolicy();

  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => snapshot,
    add(files) {
      if (disposed) return;
      const added: FileEntry[] = [];
      for (const file of files) {
        added.push({
          id: `f${++counter}`,
          file,
          route,
          status: "checking",
          progress: undefined,
          error: undefined,
          record: undefined,
          previewUrl: file.type.startsWith("image/") ? URL.createObjectURL(file) : undefined,
          resumedParts: 0,
        });
      }
      if (added.length === 0) return;
      entries = [...entries, ...added];
      publish();
      for (const entry of added) void check(entry.id, described);
    },
    pause: (id) => handles.get(id)?.pause(),
    resume: (id) => handles.get(id)?.resume(),
    cancel(id) {
      const entry = find(id);
      if (!entry) return;
      if (entry.status === "checking") {
        update(id, { status: "aborted", error: new UploadError("aborted", "Cancelled.") });
        return;
      }
      handles.get(id)?.abort();
    },
    retry(id) {
      const entry = find(id);
      if (!entry || (entry.status !== "failed" && entry.status !== "aborted") || disposed) return;
      start(entry);
    },
    remove(id) {
      const entry = find(id);
      if (!entry || isActive(entry.status)) return;
      forget(entry);
      entries = entries.filter((other) => other.id !== id);
      publish();
    },
    configure(change) {
      let reload = false;
      if (change.endpoint !== undefined && change.endpoint !== endpoint) {
        endpoint = change.endpoint;
        ownUploader = undefined;
        reload = true;
      }
      if (change.route !== undefined && change.route !== route) {
        route = change.route;
        reload = true;
      }
      if (reload && !disposed) loadPolicy();
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      describing?.abort();
      for (const entry of entries) {
        if (isActive(entry.status)) handles.get(entry.id)?.abort();
        forget(entry);
      }
      entries = entries.map((entry) => ({ ...entry, previewUrl: undefined }));
      listeners.clear();
    },
  };
}

function asUploadError(error: unknown): UploadError {
  if (error instanceof UploadError) return error;
  if (error instanceof DOMException && error.name === "AbortError") {
    return new UploadError("aborted", "Cancelled.");
  }
  return new UploadError("network", error instanceof Error ? error.message : String(error));
}
