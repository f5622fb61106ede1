import { browser } from "./browser.js";

/**
 * One PUT of bytes with XMLHttpRequest, because `fetch` reports no upload progress.
 * Resolves with whatever the store answered (status 0 when the browser gave no answer:
 * a network error, a CORS block, or a stall we gave up on); rejects only when aborted.
 */

export interface PutRequest {
  readonly url: string;
  /** Set exactly as given, each once (a header set twice is joined by the browser, "a, a"). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Blob;
  readonly signal: AbortSignal;
  readonly onProgress: (loaded: number) => void;
  /** Give up on a request that makes no progress for this long. */
  readonly stallTimeoutMs: number;
}

export interface PutResponse {
  /** 0 when no answer was readable. */
  readonly status: number;
  /** Readable when the bucket's CORS rules expose it (`ExposeHeaders: ETag`). */
  readonly etag: string | null;
  readonly retryAfter: string | null;
  readonly text: string;
  /** Status 0 because nothing moved for `stallTimeoutMs`. */
  readonly stalled: boolean;
}

/** The headers to set: one value per name, whatever the case of the names given. */
export function headerList(headers: Readonly<Record<string, string>>): [string, string][] {
  const byName = new Map<string, [string, string]>();
  for (const [name, value] of Object.entries(headers))
    byName.set(name.toLowerCase(), [name, value]);
  return [...byName.values()];
}

/** ETag and Retry-After from `getAllResponseHeaders()` (only the headers CORS exposes). */
export function exposedHeaders(all: string): { etag: string | null; retryAfter: string | null } {
  let etag: string | null = null;
  let retryAfter: string | null = null;
  for (const line of all.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon < 1) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "etag") etag = value;
    else if (name === "retry-after") retryAfter = value;
  }
  return { etag, retryAfter };
}

export function putWithXhr(request: PutRequest): Promise<PutResponse> {
  return new Promise((resolve, reject) => {
    if (request.signal.aborted) {
      reject(request.signal.reason);
      return;
    }
    const xhr = new browser.XMLHttpRequest();
    let stalled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const watch = () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        xhr.abort();
      }, request.stallTimeoutMs);
    };
    const onAbort = () => xhr.abort();
    const done = () => {
      if (timer !== undefined) clearTimeout(timer);
      request.signal.removeEventListener("abort", onAbort);
    };
    const failed = () => {
      done();
      resolve({ status: 0, etag: null, retryAfter: null, text: "", stalled });
    };

    xhr.open("PUT", request.url, true);
    for (const [name, value] of headerList(request.headers)) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener("progress", (event) => {
      watch();
      request.onProgress(event.loaded);
    });
    xhr.upload.addEventListener("load", watch);
    xhr.addEventListener("readystatechange", watch);
    xhr.addEventListener("load", () => {
      done();
      resolve({
        status: xhr.status,
        // Read from the list the browser lets the page see: asking getResponseHeader()
        // for a header CORS does not expose logs an error in the console.
        ...exposedHeaders(xhr.getAllResponseHeaders()),
        text: xhr.responseText,
        stalled: false,
      });
    });
    xhr.addEventListener("error", failed);
    xhr.addEventListener("timeout", failed);
    xhr.addEventListener("abort", () => {
      if (stalled) {
        failed();
        return;
      }
      done();
      reject(request.signal.reason ?? new DOMException("The upload was aborted", "AbortError"));
    });
    request.signal.addEventListener("abort", onAbort, { once: true });
    watch();
    xhr.send(request.body);
  });
}
