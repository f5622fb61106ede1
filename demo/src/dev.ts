/**
 * `startDev()`: everything `sluice dev` runs, as a library (the tests start it with port
 * 0 and a temporary folder):
 *
 * 1. the embedded store (R2 flavor) on its own origin, data in `<dataDir>/store`;
 * 2. the bucket, created if missing;
 * 3. the demo app (upload API and page) on another origin, data in `<dataDir>/app`, and
 *    the upload ledger there too, or in PostgreSQL when `DATABASE_URL` names a database;
 * 4. strict CORS on the bucket, naming exactly the app's origin: PUT, GET and HEAD, the
 *    headers the upload API signs, `ETag` exposed — sent as a signed PutBucketCors, the
 *    way an operator would set it on R2.
 *
 * Two origins, so the browser's CORS checks are real. Everything in `<dataDir>` survives
 * a restart: objects, the ledger (so half-done uploads resume), the file list, sessions.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type CorsConfiguration, encodeCorsXml, generateUploadCors } from "@sluice/cors";
import { createS3Api, signedFetch } from "@sluice/s3/client";
import { describeLedger, ledgerLocation } from "@sluice/server";
import type { Credentials } from "@sluice/sigv4";
import {
  createStore,
  nodeListener,
  type RequestContext,
  type RequestLogEntry,
  resolveCredentials,
  type Store,
} from "@sluice/store";
import { createDemoApp } from "./app.js";
import { loadPageAssets } from "./page-assets.js";

export interface DevOptions {
  /** `./.sluice` for `sluice dev`. */
  readonly dataDir: string;
  /** Both servers listen here; default 127.0.0.1. */
  readonly host?: string;
  /** The app's port; default 3000 (0: any free port). */
  readonly port?: number;
  /** The store's port; default 9000 (0: any free port). */
  readonly storePort?: number;
  /** Default `uploads`. */
  readonly bucket?: string;
  /**
   * Where `SLUICE_ACCESS_KEY_ID` / `SLUICE_SECRET_ACCESS_KEY` and `DATABASE_URL` are
   * read; default `process.env`.
   */
  readonly env?: NodeJS.ProcessEnv;
  /** The upload ledger's PostgreSQL URL, or `""` for SQLite; default `env.DATABASE_URL`. */
  readonly databaseUrl?: string;
  /** The app's request log. */
  readonly appLog?: (line: string) => void;
  /** The store's request log. */
  readonly storeLog?: (entry: RequestLogEntry) => void;
  /**
   * For tests: sees each store request first and may answer it instead of the store
   * (a fault) or watch what the store answers. Without it, the store serves as
   * `sluice store` does.
   */
  readonly storeMiddleware?: (request: Request, next: () => Promise<Response>) => Promise<Response>;
  readonly onError?: (error: unknown) => void;
}

export interface DevServers {
  /** `http://127.0.0.1:3000` */
  readonly appUrl: string;
  /** `http://127.0.0.1:9000` */
  readonly storeUrl: string;
  readonly bucket: string;
  readonly region: string;
  readonly credentials: Credentials;
  readonly cors: CorsConfiguration;
  readonly dataDir: string;
  /** Where the upload ledger is, password masked: `SQLite …/ledger.sqlite3`, `PostgreSQL postgres://…`. */
  readonly ledger: string;
  close(): Promise<void>;
}

export const DEFAULT_APP_PORT = 3000;
export const DEFAULT_STORE_PORT = 9000;
export const DEFAULT_BUCKET = "uploads";
const REGION = "auto";
/** Browsers cache a preflight at most this long anyway (Chromium: 2 hours). */
const CORS_MAX_AGE_SECONDS = 3600;

export async function startDev(options: DevOptions): Promise<DevServers> {
  const host = options.host ?? "127.0.0.1";
  const bucket = options.bucket ?? DEFAULT_BUCKET;
  const storeDir = join(options.dataDir, "store");
  const env = options.env ?? process.env;
  const { credentials } = resolveCredentials(storeDir, env);
  const appDir = join(options.dataDir, "app");
  // Decided before anything starts: a URL it cannot use stops it here, saying why.
  const ledger = ledgerLocation({ databaseUrl: options.databaseUrl, dataDir: appDir, env });
  const onError =
    options.onError ?? ((error: unknown) => console.error("sluice dev: internal error:", error));

  const store = createStore({
    dataDir: storeDir,
    credentials,
    flavor: "r2",
    onInternalError: onError,
    ...(options.storeLog ? { log: options.storeLog } : {}),
  });
  const started: { close(): Promise<void> }[] = [];
  try {
    let storeUrl: string;
    if (options.storeMiddleware) {
      const server = await serveStoreWith(store, options.storeMiddleware, options.storeLog);
      storeUrl = await listen(server, options.storePort ?? DEFAULT_STORE_PORT, host);
      started.push({ close: () => closeServer(server) }, { close: () => store.close(1_000) });
    } else {
      storeUrl = await store.listen(options.storePort ?? DEFAULT_STORE_PORT, host);
      started.push({ close: () => store.close(1_000) });
    }
    // Signed requests, the way an operator would set up a bucket on R2.
    const s3 = createS3Api(
      { endpoint: storeUrl, bucket, region: REGION, credentials },
      () => new Date(),
    );
    await s3.createBucket();

    const assets = await loadPageAssets();
    const app = createDemoApp({
      storage: { endpoint: storeUrl, bucket, region: REGION, credentials },
      dataDir: appDir,
      databaseUrl: ledger.kind === "postgres" ? ledger.url : "",
      assets,
      onError,
      ...(options.appLog ? { log: options.appLog } : {}),
    });
    started.push({ close: () => app.close() });
    // A database out of reach is said at start, not at the first upload.
    await app.uploads.ready();
    const appServer = createServer(app.listener);
    const appUrl = await listen(appServer, options.port ?? DEFAULT_APP_PORT, host);
    started.unshift({ close: () => closeServer(appServer) });

    const cors = generateUploadCors({
      origins: [appUrl],
      read: true,
      headers: app.uploads.signedHeaders,
      maxAgeSeconds: CORS_MAX_AGE_SECONDS,
    });
    await s3.putBucketCors(encodeCorsXml(cors));

    return {
      appUrl,
      storeUrl,
      bucket,
      region: REGION,
      credentials,
      cors,
      dataDir: options.dataDir,
      ledger: describeLedger(ledger),
      async close() {
        for (const part of started) await part.close();
      },
    };
  } catch (error) {
    for (const part of started.reverse()) await part.close().catch(() => {});
    if (started.length === 0) await store.close(0).catch(() => {});
    throw error;
  }
}

/** A signed request to the store, as an operator's tool sends it. */
export function storeRequest(
  method: string,
  url: string,
  credentials: Credentials,
  body?: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return signedFetch(method, url, {
    credentials,
    region: REGION,
    headers,
    ...(body !== undefined ? { body } : {}),
  });
}

async function serveStoreWith(
  store: Store,
  middleware: NonNullable<DevOptions["storeMiddleware"]>,
  log: DevOptions["storeLog"],
): Promise<Server> {
  const handler = (request: Request, context?: RequestContext) =>
    middleware(request, () => store.handler(request, context));
  const listener = nodeListener(handler, log);
  const server = createServer(
    { requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 5_000 },
    listener,
  );
  // 100 Continue only once the store has checked the request (see nodeListener).
  server.on("checkContinue", listener.checkContinue);
  return server;
}

function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const address = server.address() as AddressInfo;
      const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
      resolve(`http://${shown}:${address.port}`);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
