/**
 * One body to the store — the whole file, or one part — by XHR, retried as `classify()`
 * decides: network errors, 5xx and 429 again after a full-jitter wait, an expired URL
 * signed again, an offline browser waited for, any other refusal final. A pause ends the
 * request without counting as an attempt; it starts again on resume.
 */
import type { BackoffOptions } from "./backoff.js";
import { retryAfterMs } from "./backoff.js";
import { classify } from "./classify.js";
import type { UploadLifecycle } from "./lifecycle.js";
import { diagnose, markAnswered, sleep, waitUntilOnline } from "./probe.js";
import type { ProgressTracker } from "./progress.js";
import { parseS3Error } from "./upload-error.js";
import { putWithXhr } from "./xhr.js";

export interface TransferSettings {
  /** Attempts per body, the first included. */
  readonly maxAttempts: number;
  readonly backoff: BackoffOptions;
  /** A request with no progress for this long is given up and retried. */
  readonly stallTimeoutMs: number;
  /** The page's origin, to tell a CORS refusal from a network failure. */
  readonly pageOrigin: string;
}

/** Where one body goes: a presigned URL and exactly the headers it binds. */
export interface TransferTarget {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface TransferRequest {
  /** Names the body in messages: "The upload of a.png", "Part 3 of 8 of clip.mp4". */
  readonly what: string;
  /** The progress slot: 0 for a single PUT, else the part number. */
  readonly part: number;
  readonly body: Blob;
  /** Sent with `If-None-Match: *`, so a 412 after a lost answer means it landed. */
  readonly conditional: boolean;
  /** The URL to use now (asked again before every attempt: it may have been re-signed). */
  readonly target: () => Promise<TransferTarget>;
  /** Called when the URL expired: gets a new one for `target` to return. */
  readonly resign: () => Promise<void>;
}

export interface TransferContext {
  readonly settings: TransferSettings;
  readonly lifecycle: UploadLifecycle;
  readonly tracker: ProgressTracker;
  /** Tells the page the progress changed. */
  readonly emit: () => void;
}

/**
 * Sends the body until the store takes it. Resolves with the store's answer, or
 * `undefined` when an earlier attempt turned out to have landed; rejects with the
 * `UploadError` that `classify` made final, or the stop's reason.
 */
export async function transfer(
  request: TransferRequest,
  context: TransferContext,
): Promise<{ etag: string | null } | undefined> {
  const { settings, lifecycle, tracker, emit } = context;
  for (let attempt = 1; ; attempt++) {
    await lifecycle.whileNotPaused();
    const target = await request.target();
    const inFlight = lifecycle.requestSignal();
    let answer: Awaited<ReturnType<typeof putWithXhr>>;
    try {
      answer = await putWithXhr({
        url: target.url,
        headers: target.headers,
        body: request.body,
        signal: inFlight.signal,
        stallTimeoutMs: settings.stallTimeoutMs,
        onProgress: (loaded) => {
          tracker.update(request.part, loaded);
          emit();
        },
      });
    } catch (error) {
      inFlight.dispose();
      tracker.reset(request.part);
      if (lifecycle.signal.aborted) throw lifecycle.signal.reason;
      if (lifecycle.endedByPause(error)) {
        attempt--;
        continue;
      }
      throw error;
    }
    inFlight.dispose();
    if (answer.status !== 0) markAnswered(target.url);
    if (answer.status >= 200 && answer.status < 300) {
      tracker.finish(request.part, request.body.size);
      emit();
      return { etag: answer.etag };
    }
    tracker.reset(request.part);
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
        maxAttempts: settings.maxAttempts,
        pageOrigin: settings.pageOrigin,
        backoff: settings.backoff,
        nowMs: Date.now(),
      },
    );
    switch (decision.action) {
      case "retry":
        await sleep(decision.delayMs, lifecycle.signal);
        break;
      case "wait-online":
        attempt--;
        await waitUntilOnline(lifecycle.signal);
        break;
      case "resign":
        await request.resign();
        break;
      case "proceed":
        tracker.finish(request.part, request.body.size);
        emit();
        return undefined;
      case "fail":
        throw decision.error;
    }
  }
}
