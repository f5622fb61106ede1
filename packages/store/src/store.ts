/**
 * `createStore()`: the embedded store as a library — a `Request → Response` handler for
 * tests and embedding, and `listen`/`close` for a real server on loopback.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Credentials } from "@sluice/sigv4";
import { FLAVORS, type FlavorName } from "./flavor.js";
import { createHandler, type Handler } from "./http/handler.js";
import { nodeListener, onClientError, type RequestLogEntry } from "./node-adapter.js";
import { ObjectStorage } from "./storage/object-storage.js";

const REAP_INTERVAL_MS = 60 * 60 * 1000;
const IDLE_TIMEOUT_MS = 120_000;

export interface StoreOptions {
  readonly dataDir: string;
  /** One or more key pairs the store accepts. */
  readonly credentials: Credentials | readonly Credentials[];
  readonly flavor?: FlavorName;
  /**
   * The region credential scopes must name, as a bucket's region is on AWS. Defaults to
   * the flavor's: R2's `auto` (with its alias `us-east-1`), or `us-east-1` for s3.
   */
  readonly region?: string;
  readonly now?: () => Date;
  /** Hosts under which `<bucket>.<host>` addresses a bucket; default `localhost`. */
  readonly virtualHostSuffixes?: readonly string[];
  readonly log?: (entry: RequestLogEntry) => void;
  /**
   * Abort multipart uploads left incomplete this long (default: the flavor's, R2's
   * 7 days; none for s3). Checked at start and hourly.
   */
  readonly abandonedUploadMs?: number;
  readonly onInternalError?: (error: unknown) => void;
}

export interface Store {
  readonly handler: Handler;
  readonly storage: ObjectStorage;
  /** Starts an HTTP server; resolves with its base URL. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops accepting, lets in-flight requests finish (or drops them after `graceMs`), closes the database. */
  close(graceMs?: number): Promise<void>;
}

export function createStore(options: StoreOptions): Store {
  const storage = ObjectStorage.open(options.dataDir);
  const keys = new Map<string, string>();
  for (const c of Array.isArray(options.credentials)
    ? options.credentials
    : [options.credentials as Credentials]) {
    keys.set(c.accessKeyId, c.secretAccessKey);
  }
  const base = FLAVORS[options.flavor ?? "r2"];
  const flavor = {
    ...base,
    ...(options.region ? { regions: [options.region] } : {}),
    abandonedUploadMs: options.abandonedUploadMs ?? base.abandonedUploadMs,
  };
  const now = options.now ?? (() => new Date());
  const reap = () => {
    if (flavor.abandonedUploadMs === undefined) return;
    storage.uploads.reap(now().getTime() - flavor.abandonedUploadMs).catch((error) => {
      console.error("sluice store: reaping abandoned uploads failed:", error);
    });
  };
  reap();
  const reaper = setInterval(reap, REAP_INTERVAL_MS);
  reaper.unref();
  const onInternalError =
    options.onInternalError ?? ((error) => console.error("sluice store: internal error:", error));
  const handler = createHandler({
    storage,
    flavor,
    lookupSecret: (id) => keys.get(id),
    now,
    ...(options.virtualHostSuffixes ? { virtualHostSuffixes: options.virtualHostSuffixes } : {}),
    onInternalError,
  });
  let server: Server | undefined;

  return {
    handler,
    storage,
    listen(port = 9000, host = "127.0.0.1") {
      const listener = nodeListener(handler, options.log, onInternalError);
      server = createServer(
        { requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 5_000 },
        listener,
      );
      // `100 Continue` waits until the store reads the body (see nodeListener).
      server.on("checkContinue", listener.checkContinue);
      server.on("clientError", onClientError);
      // A client that stops sending mid-body must not hold its connection and temporary
      // file for ever: two idle minutes end it (the body then fails as incomplete).
      server.setTimeout(IDLE_TIMEOUT_MS);
      const listening = server;
      return new Promise((resolve, reject) => {
        listening.once("error", reject);
        listening.listen(port, host, () => {
          const address = listening.address() as AddressInfo;
          const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
          resolve(`http://${shownHost}:${address.port}`);
        });
      });
    },
    async close(graceMs = 10_000) {
      if (server) {
        const closing = server;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => closing.closeAllConnections(), graceMs);
          timer.unref();
          closing.close(() => {
            clearTimeout(timer);
            resolve();
          });
          closing.closeIdleConnections();
        });
      }
      clearInterval(reaper);
      storage.close();
    },
  };
}
