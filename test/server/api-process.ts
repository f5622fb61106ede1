/**
 * The upload API as a child process, for the suites that SIGKILL it: one `photos` route
 * whose hooks say on stdout what they are doing (`HOOK <id>`, `IN-TRANSACTION <id>`) and
 * stall forever at the step `SLUICE_TEST_STALL` names, so the parent kills it right there.
 * `onCompleteInTransaction` records the upload in the app's own table
 * (`SLUICE_TEST_APP_TABLE`), in the ledger's database.
 *
 * Environment: SLUICE_TEST_STORAGE (the StorageConfig, JSON), SLUICE_TEST_DATA_DIR,
 * DATABASE_URL (PostgreSQL, or empty for SQLite), SLUICE_TEST_LEASE_MS.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createUploadHandler, toNodeListener } from "@sluice/server";
import { photoRoutes, type Stall } from "./photo-routes.js";

const env = process.env;
const stall = (env.SLUICE_TEST_STALL ?? "") as Stall | "";
const handler = createUploadHandler({
  routes: photoRoutes({
    table: env.SLUICE_TEST_APP_TABLE ?? "photos",
    onStep(step, id) {
      process.stdout.write(`${step} ${id}\n`);
      return step === stall ? new Promise<never>(() => {}) : undefined;
    },
  }),
  storage: JSON.parse(env.SLUICE_TEST_STORAGE ?? "{}"),
  dataDir: env.SLUICE_TEST_DATA_DIR ?? ".sluice",
  databaseUrl: env.DATABASE_URL ?? "",
  leaseMs: Number(env.SLUICE_TEST_LEASE_MS ?? 120_000),
  sweepIntervalMs: 0,
});
await handler.ready();
const server = createServer(toNodeListener(handler));
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
});
