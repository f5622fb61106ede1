/**
 * One upload API instance for the load bench, in its own process: the handler behind
 * node:http, and `GET /stats` with how many times `onComplete` ran here. Environment:
 * SLUICE_BENCH_STORAGE (the StorageConfig, JSON), SLUICE_BENCH_DATA_DIR, DATABASE_URL.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createUploadHandler, defineRoute, toNodeListener } from "@sluice/server";

let hooks = 0;
const handler = createUploadHandler({
  routes: {
    photos: defineRoute({
      types: ["image/png"],
      maxSize: 1024 * 1024,
      authorize: (request) => ({ id: request.headers.get("x-user") ?? "anonymous" }),
      onComplete: () => {
        hooks++;
      },
    }),
  },
  storage: JSON.parse(process.env.SLUICE_BENCH_STORAGE ?? "{}"),
  dataDir: process.env.SLUICE_BENCH_DATA_DIR ?? ".sluice",
  databaseUrl: process.env.DATABASE_URL ?? "",
  sweepIntervalMs: 0,
});
await handler.ready();
const listener = toNodeListener(handler);
const server = createServer((req, res) => {
  if (req.url === "/stats") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ hooks }));
    return;
  }
  listener(req, res);
});
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
});
process.on("SIGTERM", () => {
  server.close();
  void handler.close().then(() => process.exit(0));
});
