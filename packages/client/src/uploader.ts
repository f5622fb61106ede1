/**
 * `createUploader()` and one upload's course (its states are `lifecycle.ts`'s):
 *
 * 1. Ask the upload API for a URL (`POST {endpoint}`); or, for a file chosen again after
 *    a reload, ask where its earlier multipart upload stands (`GET {endpoint}/{id}`).
 * 2. PUT the bytes straight to the store with XHR (`transfer.ts`, every failure through
 *    `classify()`): the whole file with exactly the headers the API returned, or parts
 *    in parallel (`multipart-pool.ts`), each part's URL signed just in time.
 * 3. Tell the API it is there (`POST {endpoint}/{id}/complete`) and hand back the
 *    verified file record.
 */
import type { FileRecord, MultipartUpload, SingleUpload, UploadedPart } from "@sluice/protocol";
import { type HeadersOption, UploadApi } from "./api.js";
import type { BackoffOptions } from "./backoff.js";
import { browser, type CredentialsMode } from "./browser.js";
import { DEFAULT_MAX_ATTEMPTS } from "./classify.js";
import { UploadLifecycle, type UploadStatus } from "./lifecycle.js";
import { type CompletedPart, partsAlreadyStored, sendParts } from "./multipart-pool.js";
import { planFits, storedBytes } from "./plan.js";
import { type Progress, ProgressTracker } from "./progress.js";
import { type KeyValueStorage, ResumeStore, resumeKey } from "./resume.js";
import { type TransferRequest, type TransferSettings, transfer } from "./transfer.js";
import { UploadError } from "./upload-error.js";
import { UploadSlots } from "./upload-slots.js";

export type { UploadStatus } from "./lifecycle.js";

export interface UploaderOptions {
  /** The upload API's base URL, e.g. `/api/uploads`. */
  readonly endpoint: string;
  /** Headers for every API request (not for the store: its requests carry only what the API signed). */
  readonly headers?: HeadersOption;
  /** `fetch`'s credentials mode for API requests; default `same-origin`. */
  readonly credentials?: CredentialsMode;
  /** Parts of one upload in flight at once; default 4, at most 16. */
  readonly partConcurrency?: number;
  /** Uploads running at once; more wait as `queued`. Default 3. */
  readonly uploadConcurrency?: number;
  /** Part URLs asked for per request; default 4. */
  readonly urlBatchSize?: number;
  /** Attempts per request, the first included; default 6. */
  readonly maxAttempts?: number;
  readonly backoff?: BackoffOptions;
  /** A request with no progress for this long is given up and retried; default 30 s. */
  readonly stallTimeoutMs?: number;
  /** Where resumable uploads are remembered; default `localStorage`, `null` for nowhere. */
  readonly storage?: KeyValueStorage | null;
}

export interface UploadOptions {
  /** The route (policy) name the server defined. */
  readonly route: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: Progress) => void;
  readonly onStatus?: (status: UploadStatus) => void;
  /** The content type to declare; default the file's own, or `application/octet-stream`. */
  readonly type?: string;
  /** The name to declare; default the file's. */
  readonly name?: string;
  /** Pick up an earlier multipart upload of the same file; default true. */
  readonly resume?: boolean;
}

/** What `upload()` takes: a `File`, or any `Blob` with a name. */
export type UploadFile = Blob & { readonly name: string; readonly lastModified?: number };

export interface UploadHandle {
  readonly file: UploadFile;
  readonly route: string;
  readonly status: UploadStatus;
  readonly progress: Progress;
  /** The upload's id, once the API has given one. */
  readonly id: string | undefined;
  /** The object key, once known. */
  readonly key: string | undefined;
  /** Parts found already in the store when the upload was resumed. */
  readonly resumedParts: number;
  readonly error: UploadError | undefined;
  readonly record: FileRecord | undefined;
  /** The verified file record; rejects with an `UploadError`. */
  readonly result: Promise<FileRecord>;
  /** Stops sending; parts in flight are sent again on `resume()`. */
  pause(): void;
  resume(): void;
  /** Stops and gives the upload up: the API aborts it in the store. */
  abort(): void;
}

export interface Uploader {
  upload(file: UploadFile, options: UploadOptions): UploadHandle;
}

export const DEFAULT_PART_CONCURRENCY = 4;
export const MAX_PART_CONCURRENCY = 16;

export function createUploader(options: UploaderOptions): Uploader {
  const partConcurrency = Math.min(
    MAX_PART_CONCURRENCY,
    Math.max(1, Math.floor(options.partConcurrency ?? DEFAULT_PART_CONCURRENCY)),
  );
  const config: Config = {
    endpoint: options.endpoint,
    partConcurrency,
    urlBatchSize: Math.max(1, options.urlBatchSize ?? 4),
    maxAttempts: Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS),
    backoff: options.backoff ?? {},
    stallTimeoutMs: options.stallTimeoutMs ?? 30_000,
    pageOrigin: browser.location?.origin ?? "",
    resume: new ResumeStore(
      options.storage === null ? undefined : (options.storage ?? defaultStorage()),
    ),
    api: undefined as unknown as UploadApi,
  };
  config.api = new UploadApi({
    endpoint: options.endpoint,
    ...(options.headers !== undefined ? { headers: options.headers } : {}),
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
    retry: {
      maxAttempts: config.maxAttempts,
      pageOrigin: config.pageOrigin,
      backoff: config.backoff,
    },
  });
  const slots = new UploadSlots(Math.max(1, options.uploadConcurrency ?? 3));
  return {
    upload(file, uploadOptions) {
      return new Upload(config, slots, file, uploadOptions);
    },
  };
}

interface Config extends TransferSettings {
  readonly endpoint: string;
  readonly partConcurrency: number;
  readonly urlBatchSize: number;
  readonly resume: ResumeStore;
  api: UploadApi;
}

function defaultStorage(): KeyValueStorage | undefined {
  try {
    return browser.localStorage;
  } catch {
    return undefined;
  }
}

class Upload implements UploadHandle {
  readonly file: UploadFile;
  readonly route: string;
  readonly result: Promise<FileRecord>;
  #id: string | undefined;
  #key: string | undefined;
  #resumedParts = 0;
  #error: UploadError | undefined;
  #record: FileRecord | undefined;
  readonly #config: Config;
  readonly #options: UploadOptions;
  readonly #lifecycle: UploadLifecycle;
  readonly #tracker: ProgressTracker;
  readonly #type: string;
  readonly #name: string;

  constructor(config: Config, slots: UploadSlots, file: UploadFile, options: UploadOptions) {
    this.#config = config;
    this.file = file;
    this.route = options.route;
    this.#options = options;
    this.#type = options.type ?? (file.type || "application/octet-stream");
    this.#name = options.name ?? file.name;
    this.#tracker = new ProgressTracker(file.size);
    this.#lifecycle = new UploadLifecycle((status) => options.onStatus?.(status));
    const signal = options.signal;
    if (signal?.aborted) this.abort();
    else signal?.addEventListener("abort", () => this.abort(), { once: true });
    this.result = this.#run(slots);
    // The handle's owner may only watch `status`; an unobserved rejection is not a crash.
    this.result.catch(() => {});
  }

  get status(): UploadStatus {
    return this.#lifecycle.status;
  }
  get progress(): Progress {
    return this.#tracker.snapshot();
  }
  get id(): string | undefined {
    return this.#id;
  }
  get key(): string | undefined {
    return this.#key;
  }
  get resumedParts(): number {
    return this.#resumedParts;
  }
  get error(): UploadError | undefined {
    return this.#error;
  }
  get record(): FileRecord | undefined {
    return this.#record;
  }

  pause(): void {
    this.#lifecycle.pause();
  }

  resume(): void {
    this.#lifecycle.resume();
  }

  abort(): void {
    this.#lifecycle.abort(`The upload of ${this.#name}`);
  }

  #emit(): void {
    this.#options.onProgress?.(this.#tracker.snapshot());
  }

  async #run(slots: UploadSlots): Promise<FileRecord> {
    const lifecycle = this.#lifecycle;
    let acquired = false;
    try {
      const slot = slots.acquire();
      await Promise.race([slot, lifecycle.stopped()]);
      if (lifecycle.abortRequested) {
        // Aborted while queued: the slot, whenever it comes, goes to the next upload.
        void slot.then(() => slots.release());
        throw lifecycle.signal.reason;
      }
      acquired = true;
      await lifecycle.whileNotPaused();
      lifecycle.start();
      this.#emit();
      const record = await this.#upload();
      this.#record = record;
      this.#tracker.complete();
      lifecycle.succeed();
      this.#emit();
      return record;
    } catch (thrown) {
      const error = lifecycle.abortRequested
        ? (lifecycle.signal.reason as UploadError)
        : thrown instanceof UploadError
          ? thrown
          : new UploadError("network", `The upload of ${this.#name} failed: ${describe(thrown)}`, {
              cause: thrown,
            });
      this.#error = error;
      lifecycle.fail(error);
      if (error.kind === "aborted") {
        if (this.#id !== undefined) await this.#config.api.abort(this.#id);
        this.#config.resume.forget(this.#resumeKey());
      } else if (error.kind !== "network") {
        // A network failure may be resumed later; anything else cannot.
        this.#config.resume.forget(this.#resumeKey());
      }
      throw error;
    } finally {
      // A slot acquired after an early abort is given back as soon as it arrives.
      if (acquired) slots.release();
    }
  }

  #resumeKey(): string {
    return resumeKey(this.#config.endpoint, this.route, {
      name: this.file.name,
      size: this.file.size,
      lastModified: this.file.lastModified ?? 0,
    });
  }

  async #upload(): Promise<FileRecord> {
    const signal = this.#lifecycle.signal;
    const api = this.#config.api;
    const canResume = this.#options.resume !== false && this.file.lastModified !== undefined;
    if (canResume) {
      const resumed = await this.#tryResume();
      if (resumed) return resumed;
    }
    const created = await api.create(
      { route: this.route, name: this.#name, type: this.#type, size: this.file.size },
      signal,
    );
    this.#id = created.id;
    this.#key = created.key;
    if ("multipart" in created) {
      if (canResume) this.#config.resume.save(this.#resumeKey(), created.id);
      return this.#multipart(created, []);
    }
    return this.#single(created);
  }

  /** An earlier upload of this file: its record if it finished, or the rest of its parts. */
  async #tryResume(): Promise<FileRecord | undefined> {
    const key = this.#resumeKey();
    const saved = this.#config.resume.load(key);
    if (!saved) return undefined;
    const signal = this.#lifecycle.signal;
    const state = await this.#config.api.state(saved.id, signal);
    const fits =
      state !== undefined &&
      state.route === this.route &&
      state.size === this.file.size &&
      state.type === this.#type &&
      state.multipart !== undefined &&
      planFits(state.multipart, this.file.size);
    if (!state || !fits) {
      this.#config.resume.forget(key);
      return undefined;
    }
    this.#id = state.id;
    this.#key = state.key;
    if (state.status === "complete" && state.file) {
      this.#config.resume.forget(key);
      return state.file;
    }
    if (state.status === "completing") return this.#complete([]);
    if (state.status !== "pending" || !state.multipart) {
      this.#config.resume.forget(key);
      return undefined;
    }
    const plan = state.multipart;
    const upload: MultipartUpload = {
      id: state.id,
      key: state.key,
      expiresAt: state.expiresAt,
      multipart: { partSize: plan.partSize, partCount: plan.partCount },
    };
    return this.#multipart(upload, plan.uploaded);
  }

  async #single(created: SingleUpload): Promise<FileRecord> {
    let target: SingleUpload = created;
    await this.#send({
      what: `The upload of ${this.#name}`,
      part: 0,
      body: this.file,
      conditional: true,
      target: async () => target,
      // An expired URL: a paused upload resumed after its URL lapsed. Start a new upload.
      resign: async () => {
        const old = target.id;
        const again = await this.#config.api.create(
          { route: this.route, name: this.#name, type: this.#type, size: this.file.size },
          this.#lifecycle.signal,
        );
        if ("multipart" in again) {
          throw new UploadError("server", "The upload API changed this upload's plan.");
        }
        void this.#config.api.abort(old);
        target = again;
        this.#id = again.id;
        this.#key = again.key;
      },
    });
    return this.#complete([]);
  }

  async #multipart(upload: MultipartUpload, stored: readonly UploadedPart[]): Promise<FileRecord> {
    const plan = upload.multipart;
    this.#resumedParts = partsAlreadyStored(plan, this.file.size, stored);
    this.#tracker.addStored(storedBytes(plan, this.file.size, stored));
    this.#emit();
    const parts = await sendParts({
      plan,
      file: this.file,
      name: this.#name,
      stored,
      concurrency: this.#config.partConcurrency,
      urlBatchSize: this.#config.urlBatchSize,
      lifecycle: this.#lifecycle,
      fetchUrls: (numbers) => this.#config.api.partUrls(upload.id, numbers, this.#lifecycle.signal),
      send: (request) => this.#send(request),
    });
    const record = await this.#complete(parts);
    this.#config.resume.forget(this.#resumeKey());
    return record;
  }

  async #complete(parts: readonly CompletedPart[]): Promise<FileRecord> {
    await this.#lifecycle.whileNotPaused();
    return this.#config.api.complete(
      this.#id as string,
      this.#name,
      parts.length > 0 ? { parts: [...parts] } : {},
      this.#lifecycle.signal,
    );
  }

  #send(request: TransferRequest): Promise<{ etag: string | null } | undefined> {
    return transfer(request, {
      settings: this.#config,
      lifecycle: this.#lifecycle,
      tracker: this.#tracker,
      emit: () => this.#emit(),
    });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
