/**
 * What the upload API suites share: the embedded store on loopback (either flavor) with
 * a clock the test moves, the API itself on loopback through the Node adapter, a client
 * that speaks its JSON, and signed requests to look into the bucket behind its back.
 */
import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ApiError,
  type CompleteEvent,
  defineRoute,
  type FileRecord,
  type Route,
  toNodeListener,
  type UploadHandler,
  type UploadHandlerOptions,
} from "@sluice/server";
import { type Credentials, objectUrl, sign } from "@sluice/sigv4";
import { createStore, type FlavorName, type Store } from "@sluice/store";

export const CREDENTIALS: Credentials = {
  accessKeyId: "SLUICESERVERTEST",
  secretAccessKey: "server-test-secret/with+odd=chars",
};
export const BUCKET = "uploads";
export const MiB = 1024 * 1024;

/** Real time plus an offset a test moves: store and API read the same clock. */
export class Clock {
  offsetMs = 0;
  now = (): Date => new Date(Date.now() + this.offsetMs);
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export const regionOf = (flavor: FlavorName) => (flavor === "r2" ? "auto" : "us-east-1");

export interface TestUser {
  readonly id: string;
  readonly name: string;
}

/** `x-user: alice` is alice; no header is nobody (401); mallory is known and refused (403). */
export function authorize(request: Request): TestUser | undefined {
  const id = request.headers.get("x-user");
  if (!id) return undefined;
  if (id === "mallory") throw new ApiError(403, "forbidden", "mallory may not upload files");
  return { id, name: `User ${id}` };
}

export type HookLog = CompleteEvent<TestUser>[];

export function testRoutes(
  log: HookLog,
  hook: (event: CompleteEvent<TestUser>) => Promise<void> | void = () => {},
): Record<string, Route<TestUser>> {
  const onComplete = async (event: CompleteEvent<TestUser>) => {
    await hook(event);
    log.push(event);
  };
  return {
    avatars: defineRoute({
      types: ["image/*"],
      maxSize: 1 * MiB,
      minSize: 16,
      authorize,
      onComplete,
    }),
    documents: defineRoute({
      types: ["application/pdf", "text/plain"],
      maxSize: 4 * MiB,
      authorize,
      onComplete,
      metadata: { owner: ({ user }) => user.id },
    }),
    videos: defineRoute({
      types: ["video/mp4", "image/png"],
      maxSize: 1024 * MiB,
      multipartThreshold: 5 * MiB,
      partSize: 5 * MiB,
      authorize,
      onComplete,
    }),
    limited: defineRoute({
      types: ["image/png"],
      maxSize: 1 * MiB,
      maxPendingPerUser: 2,
      authorize,
      onComplete,
    }),
  };
}

export interface TestStore {
  readonly store: Store;
  readonly url: string;
  readonly flavor: FlavorName;
  readonly clock: Clock;
  readonly internalErrors: unknown[];
  close(): Promise<void>;
}

export async function startStore(flavor: FlavorName, clock = new Clock()): Promise<TestStore> {
  const internalErrors: unknown[] = [];
  const store = createStore({
    dataDir: mkdtempSync(join(tmpdir(), "sluice-server-store-")),
    credentials: CREDENTIALS,
    flavor,
    now: clock.now,
    onInternalError: (error) => internalErrors.push(error),
  });
  const url = await store.listen(0);
  const created = await s3Request({ url, flavor, clock } as TestStore, "PUT", `${url}/${BUCKET}`);
  if (created.status !== 200) throw new Error(`CreateBucket: ${created.status}`);
  return {
    store,
    url,
    flavor,
    clock,
    internalErrors,
    async close() {
      await store.close(1_000);
      if (internalErrors.length > 0) {
        throw new AggregateError(internalErrors, "the store answered 500 InternalError");
      }
    },
  };
}

/** A header-signed request to the store, as an operator's tool would send it. */
export function s3Request(
  store: Pick<TestStore, "url" | "flavor" | "clock">,
  method: string,
  url: string,
): Promise<Response> {
  const signed = sign({
    method,
    url,
    credentials: CREDENTIALS,
    region: regionOf(store.flavor),
    signingDate: store.clock.now(),
  });
  const { host: _host, ...headers } = signed.headers;
  return fetch(signed.url, { method, headers });
}

export function keyUrl(store: TestStore, key: string, query = ""): string {
  return objectUrl(store.url, BUCKET, key) + (query ? `?${query}` : "");
}

export async function headStatus(store: TestStore, key: string): Promise<number> {
  return (await s3Request(store, "HEAD", keyUrl(store, key))).status;
}

export function handlerOptions(
  store: TestStore,
  routes: UploadHandlerOptions["routes"],
  dataDir: string,
  extra: Partial<UploadHandlerOptions> = {},
): UploadHandlerOptions {
  return {
    routes,
    storage: {
      endpoint: store.url,
      bucket: BUCKET,
      region: regionOf(store.flavor),
      credentials: CREDENTIALS,
    },
    dataDir,
    now: store.clock.now,
    sweepIntervalMs: 0,
    onError: () => {},
    ...extra,
  };
}

export interface TestApi {
  readonly handler: UploadHandler;
  readonly url: string;
  close(): Promise<void>;
}

/** The handler behind node:http through `toNodeListener`, as an app would run it. */
export async function serveApi(handler: UploadHandler): Promise<TestApi> {
  const server = createServer(toNodeListener(handler));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    handler,
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await handler.close();
    },
  };
}

export function newDataDir(): string {
  return mkdtempSync(join(tmpdir(), "sluice-server-api-"));
}

export interface Answer<T = unknown> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

/** One JSON request to the API as `user` (no user: unauthenticated). */
export async function call<T = Record<string, unknown>>(
  api: Pick<TestApi, "url">,
  method: string,
  path: string,
  options: { user?: string; body?: unknown; rawBody?: string; contentType?: string } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (options.user) headers["x-user"] = options.user;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers["content-type"] = options.contentType ?? "application/json";
  const response = await fetch(`${api.url}/api/uploads${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: (text === "" ? undefined : JSON.parse(text)) as T,
    headers: response.headers,
  };
}

export type ErrorAnswer = { error: { code: string; message: string } };

/** PUTs bytes to a presigned URL with exactly the headers the API said to send. */
export function put(
  url: string,
  headers: Readonly<Record<string, string>>,
  body: Uint8Array,
): Promise<Response> {
  return fetch(url, { method: "PUT", headers, body });
}

/** The text of the store's `<Code>`. */
export async function s3Code(response: Response): Promise<string> {
  const text = await response.text();
  return /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? `(no code: ${response.status} ${text})`;
}

export function eventsFor(log: HookLog, id: string): CompleteEvent<TestUser>[] {
  return log.filter((event) => event.upload.id === id);
}

export type { FileRecord };
