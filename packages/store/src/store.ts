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

export interface StoreOptions {
  readonly dataDir: string;
  /** One or more key pairs the store accepts. */
  readonly credentials: Credentials | readonly Credentials[];
  readonly flavor?: FlavorName;
  readonly now?: () => Date;
  /** Hosts under which `<bucket>.<host>` addresses a bucket; default `localhost`. */
  readonly virtualHostSuffixes?: readonly string[];
  readonly log?: (entry: RequestLogEntry) => void;
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
  const handler = createHandler({
    storage,
    flavor: FLAVORS[options.flavor ?? "r2"],
    lookupSecret: (id) => keys.get(id),
    ...(options.now ? { now: options.now } : {}),
    ...(options.virtualHostSuffixes ? { virtualHostSuffixes: options.virtualHostSuffixes } : {}),
    onInternalError:
      options.onInternalError ?? ((error) => console.error("sluice store: internal error:", error)),
  });
  let server: Server | undefined;

  return {
    handler,
    storage,
    listen(port = 9000, host = "127.0.0.1") {
      server = createServer(
        { requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 5_000 },
        nodeListener(handler, options.log),
      );
      server.on("clientError", onClientError);
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
      storage.close();
    },
  };
}
