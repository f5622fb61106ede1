/**
 * What the upload API suites share: the embedded store on loopback (either flavor) with
 * a clock the test moves, or a Ceph RGW when the environment names one (its clock is
 * its own); the API itself on loopback through the Node adapter, a client that speaks
 * its JSON, and signed requests to look into the bucket behind its back.
 */
import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signedFetch } from "@sluice/s3/client";
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
import { type Credentials, objectUrl } from "@sluice/sigv4";
import { createStore, type FlavorName } from "@sluice/store";
import { type RgwConfig, rgwFromEnv, targetKinds, uniqueBucket } from "../rgw-env.js";

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
  /** How long each URL works; the routes' default (300 s) unless given. */
  expiresIn?: number,
): Record<string, Route<TestUser>> {
  const onComplete = async (event: CompleteEvent<TestUser>) => {
    await hook(event);
    log.push(event);
  };
  const common = { authorize, onComplete, ...(expiresIn !== undefined ? { expiresIn } : {}) };
  return {
    avatars: defineRoute({
      types: ["image/*"],
      maxSize: 1 * MiB,
      minSize: 16,
      ...common,
    }),
    documents: defineRoute({
      types: ["application/pdf", "text/plain"],
      maxSize: 4 * MiB,
      ...common,
      metadata: { owner: ({ user }) => user.id },
    }),
    videos: defineRoute({
      types: ["video/mp4", "image/png"],
      maxSize: 1024 * MiB,
      multipartThreshold: 5 * MiB,
      partSize: 5 * MiB,
      ...common,
    }),
    limited: defineRoute({
      types: ["image/png"],
      maxSize: 1 * MiB,
      maxPendingPerUser: 2,
      ...common,
    }),
  };
}

export interface TestStore {
  /** `the store (--flavor r2)`, `Ceph RGW`. */
  readonly name: string;
  readonly kind: "embedded" | "rgw";
  readonly url: string;
  /** The embedded store's flavor; none for RGW. */
  readonly flavor: FlavorName | undefined;
  readonly bucket: string;
  readonly region: string;
  readonly credentials: Credentials;
  /** The test's clock: the embedded store reads it too; RGW keeps its own. */
  readonly clock: Clock;
  readonly internalErrors: unknown[];
  close(): Promise<void>;
}

export interface StoreTarget {
  readonly name: string;
  readonly kind: TestStore["kind"];
  start(): Promise<TestStore>;
}

/** The stores the API suites run against: the environment's choice (`rgw-env.ts`). */
export function storeTargets(): StoreTarget[] {
  return targetKinds().flatMap((kind): StoreTarget[] =>
    kind === "rgw"
      ? [{ name: "Ceph RGW", kind, start: () => connectRgw(rgwFromEnv() as RgwConfig) }]
      : (["r2", "s3"] as const).map((flavor) => ({
          name: `the store (--flavor ${flavor})`,
          kind,
          start: () => startStore(flavor),
        })),
  );
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
  const region = regionOf(flavor);
  const signer = { credentials: CREDENTIALS, region, clock };
  const created = await s3Request(signer, "PUT", `${url}/${BUCKET}`);
  if (created.status !== 200) throw new Error(`CreateBucket: ${created.status}`);
  return {
    name: `the store (--flavor ${flavor})`,
    kind: "embedded",
    url,
    flavor,
    bucket: BUCKET,
    region,
    credentials: CREDENTIALS,
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

/** A Ceph RGW as the storage, with a bucket of its own; its objects go with the cluster. */
export async function connectRgw(rgw: RgwConfig): Promise<TestStore> {
  const clock = new Clock();
  const bucket = uniqueBucket("uploads");
  const signer = { credentials: rgw.credentials, region: rgw.region, clock };
  const created = await s3Request(signer, "PUT", `${rgw.endpoint}/${bucket}`);
  if (created.status !== 200) {
    throw new Error(`CreateBucket on ${rgw.endpoint}: ${created.status} ${await created.text()}`);
  }
  return {
    name: "Ceph RGW",
    kind: "rgw",
    url: rgw.endpoint,
    flavor: undefined,
    bucket,
    region: rgw.region,
    credentials: rgw.credentials,
    clock,
    internalErrors: [],
    async close() {},
  };
}

/** A header-signed request to the store, as an operator's tool would send it. */
export function s3Request(
  store: Pick<TestStore, "credentials" | "region" | "clock">,
  method: string,
  url: string,
): Promise<Response> {
  return signedFetch(method, url, {
    credentials: store.credentials,
    region: store.region,
    signingDate: store.clock.now(),
  });
}

export function keyUrl(store: TestStore, key: string, query = ""): string {
  return objectUrl(store.url, store.bucket, key) + (query ? `?${query}` : "");
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
      bucket: store.bucket,
      region: store.region,
      credentials: store.credentials,
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
