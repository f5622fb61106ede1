/**
 * `createUploader()` and one upload's life:
 *
 *   queued → uploading ⇄ paused → done | failed | aborted
 *
 * 1. Ask the upload API for a URL (`POST {endpoint}`); or, for a file chosen again after
 *    a reload, ask where its earlier multipart upload stands (`GET {endpoint}/{id}`).
 * 2. PUT the bytes straight to the store with XHR: the whole file with exactly the
 *    headers the API returned, or parts in parallel, each part's URL signed just in time.
 *    Every failure goes through `classify()`; a failed part is retried alone.
 * 3. Tell the API it is there (`POST {endpoint}/{id}/complete`) and hand back the
 *    verified file record.
 */

import { unquoteEtag } from "@sluice/s3";
import type { FileRecord, MultipartUpload, SingleUpload } from "@sluice/server";
import { type HeadersOption, UploadApi } from "./api.js";
import { type BackoffOptions, retryAfterMs } from "./backoff.js";
import { browser, type CredentialsMode } from "./browser.js";
import { classify, DEFAULT_MAX_ATTEMPTS } from "./classify.js";
import { PartUrls } from "./part-urls.js";
import { type PartPlan, partRange, partsToSend, planFits, storedBytes } from "./plan.js";
import { diagnose, markAnswered, sleep, waitUntilOnline } from "./probe.js";
import { type Progress, ProgressTracker } from "./progress.js";
import { type KeyValueStorage, ResumeStore, resumeKey } from "./resume.js";
import { parseS3Error, UploadError } from "./upload-error.js";
import { putWithXhr } from "./xhr.js";

/** One upload's state: a single union, never a set of flags. */
export type UploadStatus = "queued" | "uploading" | "paused" | "done" | "failed" | "aborted";

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
  const slots = new Slots(Math.max(1, options.uploadConcurrency ?? 3));
  return {
    upload(file, uploadOptions) {
      return new Upload(config, slots, file, uploadOptions);
    },
  };
}

interface Config {
  readonly endpoint: string;
  readonly partConcurrency: number;
  readonly urlBatchSize: number;
  readonly maxAttempts: number;
  readonly backoff: BackoffOptions;
  readonly stallTimeoutMs: number;
  readonly pageOrigin: string;
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

/** At most `size` uploads at once; the rest wait in order. */
class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.#free = size;
  }

  acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}

/** A pause ends the requests in flight with this reason; they are sent again on resume. */
const PAUSED = Symbol("paused");

class Upload implements UploadHandle {
  readonly file: UploadFile;
  readonly route: string;
  readonly result: Promise<FileRecord>;
  #status: UploadStatus = "queued";
  #id: string | undefined;
  #key: string | undefined;
  #resumedParts = 0;
  #error: UploadError | undefined;
  #record: FileRecord | undefined;
  readonly #config: Config;
  readonly #options: UploadOptions;
  readonly #tracker: ProgressTracker;
  readonly #type: string;
  readonly #name: string;
  /** Ends everything: abort(), the caller's signal, or a failure. */
  readonly #stop = new AbortController();
  /** Ends the requests in flight when paused; replaced on resume. */
  #pause = new AbortController();
  #resumed: { promise: Promise<void>; resolve: () => void } | undefined;
  #abortRequested = false;

  constructor(config: Config, slots: Slots, file: UploadFile, options: UploadOptions) {
    this.#config = config;
    this.file = file;
    this.route = options.route;
    this.#options = options;
    this.#type = options.type ?? (file.type || "application/octet-stream");
    this.#name = options.name ?? file.name;
    this.#tracker = new ProgressTracker(file.size);
    const signal = options.signal;
    if (signal?.aborted) this.abort();
    else signal?.addEventListener("abort", () => this.abort(), { once: true });
    this.result = this.#run(slots);
    // The handle's owner may only watch `status`; an unobserved rejection is not a crash.
    this.result.catch(() => {});
  }

  get status(): UploadStatus {
    return this.#status;
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
    if (this.#status !== "uploading" && this.#status !== "queued") return;
    let resolve = () => {};
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    this.#resumed = { promise, resolve };
    this.#setStatus("paused");
    this.#pause.abort(PAUSED);
  }

  resume(): void {
    if (this.#status !== "paused") return;
    this.#pause = new AbortController();
    const resumed = this.#resumed;
    this.#resumed = undefined;
    this.#setStatus("uploading");
    resumed?.resolve();
  }

  abort(): void {
    if (this.#status === "done" || this.#status === "failed" || this.#status === "aborted") return;
    this.#abortRequested = true;
    this.#stop.abort(new UploadError("aborted", `The upload of ${this.#name} was cancelled.`));
    this.#resumed?.resolve();
  }

  #setStatus(status: UploadStatus): void {
    if (this.#status === status) return;
    this.#status = status;
    this.#options.onStatus?.(status);
  }

  #emit(): void {
    this.#options.onProgress?.(this.#tracker.snapshot());
  }

  async #run(slots: Slots): Promise<FileRecord> {
    let acquired = false;
    try {
      const slot = slots.acquire();
      await Promise.race([slot, this.#stopped()]);
      if (this.#abortRequested) {
        // Aborted while queued: the slot, whenever it comes, goes to the next upload.
        void slot.then(() => slots.release());
        throw this.#stop.signal.reason;
      }
      acquired = true;
      await this.#whileNotPaused();
      this.#setStatus("uploading");
      this.#emit();
      const record = await this.#upload();
      this.#record = record;
      this.#tracker.complete();
      this.#setStatus("done");
      this.#emit();
      return record;
    } catch (thrown) {
      const error = this.#abortRequested
        ? (this.#stop.signal.reason as UploadError)
        : thrown instanceof UploadError
          ? thrown
          : new UploadError("network", `The upload of ${this.#name} failed: ${describe(thrown)}`, {
              cause: thrown,
            });
      this.#error = error;
      if (error.kind === "aborted") {
        this.#setStatus("aborted");
        if (this.#id !== undefined) await this.#config.api.abort(this.#id);
        this.#config.resume.forget(this.#resumeKey());
      } else {
        this.#setStatus("failed");
        // A network failure may be resumed later; anything else cannot.
        if (error.kind !== "network") this.#config.resume.forget(this.#resumeKey());
        if (!this.#stop.signal.aborted) this.#stop.abort(error);
      }
      throw error;
    } finally {
      // A slot acquired after an early abort is given back as soon as it arrives.
      if (acquired) slots.release();
    }
  }

  #stopped(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#stop.signal.aborted) resolve();
      else this.#stop.signal.addEventListener("abort", () => resolve(), { once: true });
    });
  }

  async #whileNotPaused(): Promise<void> {
    while (this.#status === "paused" && this.#resumed && !this.#stop.signal.aborted) {
      await this.#resumed.promise;
    }
    if (this.#stop.signal.aborted) throw this.#stop.signal.reason;
  }

  #resumeKey(): string {
    return resumeKey(this.#config.endpoint, this.route, {
      name: this.file.name,
      size: this.file.size,
      lastModified: this.file.lastModified ?? 0,
    });
  }

  async #upload(): Promise<FileRecord> {
    const signal = this.#stop.signal;
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
    const signal = this.#stop.signal;
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
          this.#stop.signal,
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

  async #multipart(
    upload: MultipartUpload,
    stored: readonly { partNumber: number; size: number; etag: string }[],
  ): Promise<FileRecord> {
    const plan: PartPlan = upload.multipart;
    const size = this.file.size;
    const queue = partsToSend(plan, size, stored);
    let unfinished = [...queue];
    const etags = new Map<number, string>();
    for (const part of stored)
      if (!queue.includes(part.partNumber)) etags.set(part.partNumber, part.etag);
    this.#resumedParts = plan.partCount - queue.length;
    this.#tracker.addStored(storedBytes(plan, size, stored));
    this.#emit();

    const urls = new PartUrls({
      fetchBatch: (numbers) => this.#config.api.partUrls(upload.id, numbers, this.#stop.signal),
      // Every part not stored yet, in order: those starting now first, so one request
      // signs the first batch for all the workers.
      upcoming: () => unfinished,
      batchSize: this.#config.urlBatchSize,
    });
    const worker = async () => {
      for (;;) {
        await this.#whileNotPaused();
        const partNumber = queue.shift();
        if (partNumber === undefined) return;
        const { start, end } = partRange(plan, size, partNumber);
        const answer = await this.#send({
          what: `Part ${partNumber} of ${plan.partCount} of ${this.#name}`,
          part: partNumber,
          body: this.file.slice(start, end),
          conditional: false,
          target: () => urls.get(partNumber),
          resign: async () => urls.invalidate(partNumber),
        });
        unfinished = unfinished.filter((n) => n !== partNumber);
        if (answer?.etag) etags.set(partNumber, unquoteEtag(answer.etag));
      }
    };
    const workers = Array.from(
      { length: Math.min(this.#config.partConcurrency, queue.length) },
      worker,
    );
    // The first failure stops the other workers (their requests end with it).
    await Promise.all(
      workers.map((running) =>
        running.catch((error: unknown) => {
          if (!this.#stop.signal.aborted) this.#stop.abort(error);
          throw error;
        }),
      ),
    );
    // The page's view of the parts, when it saw every ETag; the API checks it against the store's.
    const parts =
      etags.size === plan.partCount
        ? [...etags].sort(([a], [b]) => a - b).map(([partNumber, etag]) => ({ partNumber, etag }))
        : [];
    const record = await this.#complete(parts);
    this.#config.resume.forget(this.#resumeKey());
    return record;
  }

  async #complete(parts: { partNumber: number; etag: string }[]): Promise<FileRecord> {
    await this.#whileNotPaused();
    return this.#config.api.complete(
      this.#id as string,
      this.#name,
      parts.length > 0 ? { parts } : {},
      this.#stop.signal,
    );
  }

  /**
   * One body to the store, retried as `classify` decides. Resolves with the store's
   * answer, or `undefined` when an earlier attempt turned out to have landed.
   */
  async #send(request: {
    what: string;
    part: number;
    body: Blob;
    conditional: boolean;
    target: () => Promise<{ url: string; headers: Readonly<Record<string, string>> }>;
    resign: () => Promise<void>;
  }): Promise<{ etag: string | null } | undefined> {
    const config = this.#config;
    for (let attempt = 1; ; attempt++) {
      await this.#whileNotPaused();
      const target = await request.target();
      const inFlight = anySignal([this.#stop.signal, this.#pause.signal]);
      let answer: Awaited<ReturnType<typeof putWithXhr>>;
      try {
        answer = await putWithXhr({
          url: target.url,
          headers: target.headers,
          body: request.body,
          signal: inFlight.signal,
          stallTimeoutMs: config.stallTimeoutMs,
          onProgress: (loaded) => {
            this.#tracker.update(request.part, loaded);
            this.#emit();
          },
        });
      } catch (error) {
        inFlight.dispose();
        this.#tracker.reset(request.part);
        if (this.#stop.signal.aborted) throw this.#stop.signal.reason;
        if (error === PAUSED || this.#pause.signal.reason === PAUSED) {
          // Paused mid-request: not a failed attempt; it starts again on resume.
          attempt--;
          continue;
        }
        throw error;
      }
      inFlight.dispose();
      if (answer.status !== 0) markAnswered(target.url);
      if (answer.status >= 200 && answer.status < 300) {
        this.#tracker.finish(request.part, request.body.size);
        this.#emit();
        return { etag: answer.etag };
      }
      this.#tracker.reset(request.part);
      const decision = classify(
        {
          source: "store",
          what: request.what,
          url: target.url,
          status: answer.status,
          s3: parseS3Error(answer.text),
          diagnosis: answer.status === 0 ? await diagnose(target.url, answer.stalled) : undefined,
          conditional: request.conditional,
          retryAfterMs: retryAfterMs(answer.retryAfter, Date.now()),
        },
        {
          attempt,
          maxAttempts: config.maxAttempts,
          pageOrigin: config.pageOrigin,
          backoff: config.backoff,
          nowMs: Date.now(),
        },
      );
      switch (decision.action) {
        case "retry":
          await sleep(decision.delayMs, this.#stop.signal);
          break;
        case "wait-online":
          attempt--;
          await waitUntilOnline(this.#stop.signal);
          break;
        case "resign":
          await request.resign();
          break;
        case "proceed":
          this.#tracker.finish(request.part, request.body.size);
          this.#emit();
          return undefined;
        case "fail":
          throw decision.error;
      }
    }
  }
}

/**
 * A signal that aborts when any of these does (with its reason); `dispose()` once the
 * request is over removes its listeners from the long-lived signals.
 */
function anySignal(signals: readonly AbortSignal[]): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const dispose = () => controller.abort();
  for (const signal of signals) {
    if (signal.aborted) {
      controller.abort(signal.reason);
      return { signal: controller.signal, dispose };
    }
    signal.addEventListener("abort", () => controller.abort(signal.reason), {
      once: true,
      signal: controller.signal,
    });
  }
  return { signal: controller.signal, dispose };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
