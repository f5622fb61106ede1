/**
 * The upload API's JSON endpoints, as the page calls them, each retried by `classify`
 * (network errors and 5xx; a 4xx is the API's answer and is final). The API's own
 * error messages are written for people, so they become the `UploadError`'s message.
 */
import type {
  ApiErrorBody,
  CompleteRequest,
  CreateUploadRequest,
  CreateUploadResponse,
  FileRecord,
  PartUrl,
  PartUrlsResponse,
  UploadState,
} from "@sluice/protocol";
import { retryAfterMs } from "./backoff.js";
import { browserFetch, type CredentialsMode } from "./browser.js";
import { type ClassifyContext, classify } from "./classify.js";
import { isOnline, sleep, waitUntilOnline } from "./probe.js";
import { UploadError } from "./upload-error.js";

export type HeadersOption =
  | Readonly<Record<string, string>>
  | (() => Readonly<Record<string, string>> | Promise<Readonly<Record<string, string>>>);

export interface ApiOptions {
  /** The API's base URL, `/api/uploads` by default on the server. */
  readonly endpoint: string;
  /** Sent with every API request (an `Authorization` header, a CSRF token…). */
  readonly headers?: HeadersOption;
  /** `fetch`'s credentials mode for API requests; default `same-origin`. */
  readonly credentials?: CredentialsMode;
  readonly fetch?: typeof fetch;
  readonly retry: Omit<ClassifyContext, "attempt">;
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly retryAfter: string | null;
}

export class UploadApi {
  readonly #options: ApiOptions;
  readonly #base: string;

  constructor(options: ApiOptions) {
    this.#options = options;
    this.#base = options.endpoint.replace(/\/+$/, "");
  }

  create(body: CreateUploadRequest, signal: AbortSignal): Promise<CreateUploadResponse> {
    return this.#call(`Starting the upload of ${body.name}`, "POST", "", body, signal, [201]);
  }

  async partUrls(id: string, partNumbers: number[], signal: AbortSignal): Promise<PartUrl[]> {
    const answer = await this.#call<PartUrlsResponse>(
      "Asking for part URLs",
      "POST",
      `/${encodeURIComponent(id)}/parts`,
      { partNumbers },
      signal,
      [200],
    );
    return [...answer.parts];
  }

  /** `undefined` when the API does not know the upload (anymore, or for this user). */
  async state(id: string, signal: AbortSignal): Promise<UploadState | undefined> {
    try {
      return await this.#call<UploadState>(
        "Looking up an earlier upload",
        "GET",
        `/${encodeURIComponent(id)}`,
        undefined,
        signal,
        [200],
      );
    } catch (error) {
      if (error instanceof UploadError && error.status === 404) return undefined;
      throw error;
    }
  }

  complete(
    id: string,
    name: string,
    body: CompleteRequest,
    signal: AbortSignal,
  ): Promise<FileRecord> {
    return this.#call(
      `Finishing the upload of ${name}`,
      "POST",
      `/${encodeURIComponent(id)}/complete`,
      body,
      signal,
      [200],
    );
  }

  /** Gives the upload up (the API cleans the store). Best effort, once, never throws. */
  async abort(id: string): Promise<void> {
    try {
      await this.#send("DELETE", `/${encodeURIComponent(id)}`, undefined, undefined);
    } catch {
      // The sweeper cleans up what the page could not.
    }
  }

  async #call<T>(
    what: string,
    method: string,
    path: string,
    body: unknown,
    signal: AbortSignal,
    ok: readonly number[],
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let answer: Answer | undefined;
      try {
        answer = await this.#send(method, path, body, signal);
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        if (error instanceof UploadError) throw error;
        answer = undefined;
      }
      if (answer && ok.includes(answer.status)) return answer.body as T;
      const refusal = answer ? errorOf(answer.body) : undefined;
      const decision = classify(
        {
          source: "api",
          what,
          status: answer?.status ?? 0,
          code: refusal?.code,
          message: refusal?.message ?? (answer ? unexpected(what, answer.status) : undefined),
          offline: !isOnline(),
          retryAfterMs: retryAfterMs(answer?.retryAfter, Date.now()),
        },
        { ...this.#options.retry, attempt },
      );
      switch (decision.action) {
        case "retry":
          await sleep(decision.delayMs, signal);
          break;
        case "wait-online":
          attempt--;
          await waitUntilOnline(signal);
          break;
        case "fail":
          throw decision.error;
        default:
          // The API's answers never ask for a new URL or to go on regardless.
          throw new UploadError("server", unexpected(what, answer?.status ?? 0));
      }
    }
  }

  async #send(
    method: string,
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
  ): Promise<Answer> {
    const extra =
      typeof this.#options.headers === "function"
        ? await this.#options.headers()
        : (this.#options.headers ?? {});
    const headers: Record<string, string> = { accept: "application/json", ...extra };
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await browserFetch(
      `${this.#base}${path}`,
      {
        method,
        headers,
        credentials: this.#options.credentials ?? "same-origin",
        cache: "no-store",
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        // A DELETE sent as the page closes still goes out.
        ...(signal ? { signal } : { keepalive: true }),
      },
      this.#options.fetch,
    );
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return {
      status: response.status,
      body: parsed,
      retryAfter: response.headers.get("retry-after"),
    };
  }
}

function errorOf(body: unknown): { code: string; message: string } | undefined {
  const error = (body as Partial<ApiErrorBody> | undefined)?.error;
  if (error && typeof error.code === "string" && typeof error.message === "string") {
    return { code: error.code, message: error.message };
  }
  return undefined;
}

function unexpected(what: string, status: number): string {
  return `${what} failed: the upload API answered HTTP ${status}.`;
}
