/**
 * @sluice/uppy — Uppy 4, 5 and 6 on Sluice's upload API, with every guarantee the
 * browser client keeps. One uploader plugin, used in place of `@uppy/aws-s3`:
 *
 * ```ts
 * import Uppy from "@uppy/core";
 * import { SluiceUpload } from "@sluice/uppy";
 *
 * new Uppy().use(SluiceUpload, { endpoint: "/api/uploads", route: "photos" });
 * ```
 *
 * Each file goes through `@sluice/client`: the API's plan (one PUT, or parts of the
 * route's size past its threshold) decides how it is sent, parts go in parallel and are
 * retried alone, an expired URL is signed again, and the file is marked done only once
 * the API has verified it (`POST {endpoint}/{id}/complete`): Uppy's `upload-success`
 * carries the verified file record as `response.body`. A refusal or a rejection is
 * Uppy's `upload-error` with the client's explanation (the policy that refused, the
 * header the store's signature differed on, the CORS rule that refused this origin).
 * Removing a file or cancelling aborts its upload in the store. After a reload
 * (`@uppy/golden-retriever`), a multipart upload sends only the parts the store lacks.
 *
 * It imports only `BasePlugin` from `@uppy/core`, whose uploader contract (`addUploader`,
 * the `upload-*` events) is the same in Uppy 4, 5 and 6.
 */
import {
  createUploader,
  type FileRecord,
  type HeadersOption,
  type UploadError,
  type Uploader,
  type UploadFile,
  type UploadHandle,
} from "@sluice/client";
import { BasePlugin } from "@uppy/core";

export type { FileRecord } from "@sluice/client";

export interface SluiceUploadOptions {
  /** The upload API's base URL, e.g. `/api/uploads`. */
  readonly endpoint: string;
  /** The route (policy) for files whose `meta.route` does not name one. */
  readonly route?: string;
  /** Headers for every API request (e.g. a CSRF token). */
  readonly headers?: HeadersOption;
  /** `fetch`'s credentials mode for API requests; default `same-origin`. */
  readonly credentials?: RequestCredentials;
  /** Parts of one file in flight at once; default 4. */
  readonly partConcurrency?: number;
  /** Files uploading at once; default 3. */
  readonly limit?: number;
  /** The plugin's id; default `SluiceUpload`. */
  readonly id?: string;
}

/** What this plugin reads of an Uppy file, the same in Uppy 4, 5 and 6. */
interface UppyFileLike {
  readonly id: string;
  readonly name?: string;
  readonly type?: string;
  readonly data: Blob;
  readonly isRemote?: boolean;
  readonly meta: Readonly<Record<string, unknown>>;
  readonly progress?: { readonly uploadStarted?: number | null; readonly uploadComplete?: boolean };
  readonly isRestored?: boolean;
}

/** What this plugin calls on Uppy, the same in Uppy 4, 5 and 6. */
interface UppyLike {
  getFile(id: string): UppyFileLike | undefined;
  emit(event: string, ...args: unknown[]): void;
  on(event: string, callback: (...args: never[]) => void): unknown;
  off(event: string, callback: (...args: never[]) => void): unknown;
  addUploader(upload: (fileIDs: string[]) => Promise<unknown>): void;
  removeUploader(upload: (fileIDs: string[]) => Promise<unknown>): void;
  setFileState(id: string, patch: Record<string, unknown>): void;
  getState(): { capabilities?: Record<string, unknown> };
  setState(patch: Record<string, unknown>): void;
  log(message: unknown, type?: string): void;
}

// BasePlugin's generics differ between Uppy's majors; this plugin uses none of them.
const Base = BasePlugin as unknown as new (
  uppy: unknown,
  options: unknown,
) => {
  id: string;
  type: string;
  opts: Record<string, unknown>;
};

export class SluiceUpload extends Base {
  static VERSION = "0.1.0";
  readonly #uppy: UppyLike;
  readonly #options: SluiceUploadOptions;
  readonly #uploader: Uploader;
  /** Uploads in progress, by Uppy file id. */
  readonly #handles = new Map<string, UploadHandle>();

  constructor(uppy: unknown, options: SluiceUploadOptions) {
    super(uppy, options);
    if (typeof options?.endpoint !== "string") {
      throw new TypeError("SluiceUpload needs `endpoint`, the upload API's base URL");
    }
    this.#uppy = uppy as UppyLike;
    this.#options = options;
    this.id = options.id ?? "SluiceUpload";
    this.type = "uploader";
    this.#uploader = createUploader({
      endpoint: options.endpoint,
      ...(options.headers === undefined ? {} : { headers: options.headers }),
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
      ...(options.partConcurrency === undefined
        ? {}
        : { partConcurrency: options.partConcurrency }),
      ...(options.limit === undefined ? {} : { uploadConcurrency: options.limit }),
    });
  }

  install(): void {
    const uppy = this.#uppy;
    uppy.setState({ capabilities: { ...uppy.getState().capabilities, resumableUploads: true } });
    uppy.addUploader(this.#upload);
    uppy.on("file-removed", this.#onRemoved);
    uppy.on("cancel-all", this.#onCancelAll);
    uppy.on("upload-pause", this.#onPause);
    uppy.on("pause-all", this.#onPauseAll);
    uppy.on("resume-all", this.#onResumeAll);
  }

  uninstall(): void {
    const uppy = this.#uppy;
    uppy.removeUploader(this.#upload);
    uppy.off("file-removed", this.#onRemoved);
    uppy.off("cancel-all", this.#onCancelAll);
    uppy.off("upload-pause", this.#onPause);
    uppy.off("pause-all", this.#onPauseAll);
    uppy.off("resume-all", this.#onResumeAll);
    this.#onCancelAll();
  }

  /** The route a file goes to: its `meta.route`, else the plugin's `route`. */
  routeOf(file: UppyFileLike): string {
    const route = file.meta.route ?? this.#options.route;
    if (typeof route !== "string" || route === "") {
      throw new TypeError(
        `No route for ${file.name ?? file.id}: set SluiceUpload's \`route\` or the file's meta.route`,
      );
    }
    return route;
  }

  readonly #upload = async (fileIDs: string[]): Promise<void> => {
    const files = fileIDs
      .map((id) => this.#uppy.getFile(id))
      .filter((file): file is UppyFileLike => file !== undefined && !file.progress?.uploadComplete);
    if (files.length === 0) return;
    // A file Golden Retriever restored mid-upload has already had its upload-start.
    this.#uppy.emit(
      "upload-start",
      files.filter((file) => !file.progress?.uploadStarted || !file.isRestored),
    );
    await Promise.allSettled(files.map((file) => this.#uploadOne(file)));
  };

  async #uploadOne(file: UppyFileLike): Promise<void> {
    const uppy = this.#uppy;
    if (file.isRemote) {
      const error = new Error(`${file.name}: SluiceUpload sends local files only`);
      uppy.emit("upload-error", file, error);
      return;
    }
    const uploadStarted = file.progress?.uploadStarted ?? Date.now();
    let handle: UploadHandle;
    try {
      handle = this.#uploader.upload(asUploadFile(file), {
        route: this.routeOf(file),
        ...(file.type ? { type: file.type } : {}),
        onProgress: ({ loaded, total }) => {
          const current = uppy.getFile(file.id);
          if (current === undefined) return;
          uppy.emit("upload-progress", current, {
            uploader: this,
            uploadStarted,
            bytesUploaded: loaded,
            bytesTotal: total,
          });
        },
      });
    } catch (error) {
      uppy.emit("upload-error", file, error);
      return;
    }
    this.#handles.set(file.id, handle);
    try {
      const record: FileRecord = await handle.result;
      const current = uppy.getFile(file.id);
      if (current === undefined) return;
      uppy.emit("upload-success", current, { status: 200, body: record, uploadURL: undefined });
    } catch (thrown) {
      const error = thrown as UploadError;
      // A removed file or a cancel: Uppy already knows; nothing to report.
      if (error.kind === "aborted") return;
      const current = uppy.getFile(file.id);
      if (current !== undefined) uppy.emit("upload-error", current, error);
    } finally {
      if (this.#handles.get(file.id) === handle) this.#handles.delete(file.id);
    }
  }

  readonly #onRemoved = (file: UppyFileLike | undefined) => {
    if (file === undefined) return;
    this.#handles.get(file.id)?.abort();
  };

  readonly #onCancelAll = () => {
    for (const handle of this.#handles.values()) handle.abort();
  };

  readonly #onPause = (file: UppyFileLike | string, isPaused: boolean) => {
    const handle = this.#handles.get(typeof file === "string" ? file : file.id);
    if (isPaused) handle?.pause();
    else handle?.resume();
  };

  readonly #onPauseAll = () => {
    for (const handle of this.#handles.values()) handle.pause();
  };

  readonly #onResumeAll = () => {
    for (const handle of this.#handles.values()) handle.resume();
  };
}

/**
 * The file as the client takes it: a `File` keeps its `lastModified`, which the client's
 * resume record is keyed by; Uppy's name and type win over the blob's.
 */
function asUploadFile(file: UppyFileLike): UploadFile {
  const data = file.data;
  const name = file.name ?? (data instanceof File ? data.name : "file");
  if (data instanceof File && data.name === name) return data;
  return new File([data], name, {
    type: file.type || data.type,
    ...(data instanceof File ? { lastModified: data.lastModified } : {}),
  });
}

export default SluiceUpload;
