/**
 * The browser APIs the client uses beyond `fetch`, `Blob` and `AbortController`, typed
 * here by what we call on them. The package itself compiles against the DOM library
 * (and no Node types), so a Node API cannot creep in; these structural types let its
 * sources also type-check in the repository's Node-only test build, and they say in
 * one place exactly what the client needs from a browser.
 */
import type { KeyValueStorage } from "./resume.js";

export interface XhrUpload {
  addEventListener(type: "progress", listener: (event: { readonly loaded: number }) => void): void;
  addEventListener(type: "load", listener: () => void): void;
}

export interface Xhr {
  readonly upload: XhrUpload;
  readonly status: number;
  readonly responseText: string;
  open(method: string, url: string, async: boolean): void;
  setRequestHeader(name: string, value: string): void;
  getAllResponseHeaders(): string;
  addEventListener(
    type: "load" | "error" | "timeout" | "abort" | "readystatechange",
    listener: () => void,
  ): void;
  send(body: Blob): void;
  abort(): void;
}

export interface Browser {
  readonly XMLHttpRequest: new () => Xhr;
  readonly localStorage?: KeyValueStorage;
  readonly location?: { readonly origin: string };
  readonly navigator?: { readonly onLine?: boolean };
  addEventListener?(type: "online", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener?(type: "online", listener: () => void): void;
}

export const browser = globalThis as unknown as Browser;

/** `fetch`'s credentials modes. */
export type CredentialsMode = "omit" | "same-origin" | "include";

/**
 * `fetch` with the options browsers know (`cache`, `mode`) whatever library typed it
 * here; the `RequestInit` of Node's typings lacks `cache`.
 */
export function browserFetch(
  url: string,
  init: {
    readonly method?: string;
    readonly headers?: Readonly<Record<string, string>>;
    readonly body?: string;
    readonly credentials?: CredentialsMode;
    readonly mode?: "cors" | "no-cors" | "same-origin";
    readonly cache?: "no-store" | "default";
    readonly keepalive?: boolean;
    readonly signal?: AbortSignal;
  },
  fetcher: typeof fetch = globalThis.fetch.bind(globalThis),
): Promise<Response> {
  return fetcher(url, init as Parameters<typeof fetch>[1]);
}
