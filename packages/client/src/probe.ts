/**
 * What a status-0 failure was. The browser hides the reason (by design: a page must not
 * learn why another origin refused it), so we ask two questions it does answer: is the
 * browser online, and does the store answer an opaque (`no-cors`) request, which no CORS
 * rule can block? If it answers, and never answered this page before, the bucket's CORS
 * rules are what stopped the request.
 */
import { browser, browserFetch } from "./browser.js";
import type { NetworkDiagnosis } from "./classify.js";

/** Store origins that have given this page a readable answer. */
const answered = new Set<string>();

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

export function markAnswered(url: string): void {
  answered.add(originOf(url));
}

export function isOnline(): boolean {
  return browser.navigator?.onLine !== false;
}

export async function diagnose(url: string, stalled: boolean): Promise<NetworkDiagnosis> {
  if (!isOnline()) return "offline";
  if (stalled) return "stalled";
  const origin = originOf(url);
  try {
    await browserFetch(`${origin}/`, {
      mode: "no-cors",
      cache: "no-store",
      credentials: "omit",
      signal: AbortSignal.timeout(5_000),
    });
  } catch {
    return isOnline() ? "unreachable" : "offline";
  }
  return answered.has(origin) ? "dropped" : "blocked";
}

/** Resolves when the browser is back online (at once if it is), or rejects on abort. */
export function waitUntilOnline(signal: AbortSignal): Promise<void> {
  if (isOnline()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onOnline = () => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    };
    const onAbort = () => {
      browser.removeEventListener?.("online", onOnline);
      reject(signal.reason);
    };
    browser.addEventListener?.("online", onOnline, { once: true });
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** `setTimeout` as a promise that an abort ends early (rejecting). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
