/**
 * `sluice dev`: the embedded store and the demo app, on two origins, with the bucket
 * created and strict CORS rules naming exactly the app's origin. Everything lives in
 * `./.sluice/` and survives restarts. The work is `startDev()` in `@sluice/demo`.
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_APP_PORT, DEFAULT_STORE_PORT, type DevServers, startDev } from "@sluice/demo";
import { type LedgerLocation, ledgerLocation } from "@sluice/server";
import type { RequestLogEntry } from "@sluice/store";
import { UsageError } from "../usage-error.js";
import { logLine } from "./store.js";

export const DEV_HELP = `Usage: sluice dev [options]

Runs the demo: the upload API and page on http://127.0.0.1:${DEFAULT_APP_PORT}, the embedded
store on http://127.0.0.1:${DEFAULT_STORE_PORT} (two origins, so the browser's CORS checks are
real), the bucket created and its CORS rules set to allow exactly the app's origin.

Options:
  --port PORT        the app's port (default ${DEFAULT_APP_PORT}; 0 for any free port)
  --store-port PORT  the store's port (default ${DEFAULT_STORE_PORT}; 0 for any free port)
  --host HOST        address both listen on (default 127.0.0.1)
  --data DIR         data folder (default ./.sluice)
  --bucket NAME      bucket (default uploads)
  --quiet            no request log

Credentials come from SLUICE_ACCESS_KEY_ID / SLUICE_SECRET_ACCESS_KEY; when unset, a
pair is generated once per data folder and kept there.

The upload ledger is SQLite in the data folder, or PostgreSQL when DATABASE_URL is a
postgres:// or postgresql:// URL (its tables are made on first use).
`;

export async function devCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: "string", default: String(DEFAULT_APP_PORT) },
      "store-port": { type: "string", default: String(DEFAULT_STORE_PORT) },
      host: { type: "string", default: "127.0.0.1" },
      data: { type: "string", default: "./.sluice" },
      bucket: { type: "string", default: "uploads" },
      quiet: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(DEV_HELP);
    return 0;
  }
  const port = portOf("--port", values.port);
  const storePort = portOf("--store-port", values["store-port"]);
  const dataDir = resolve(values.data);
  const quiet = values.quiet;
  let ledger: LedgerLocation;
  try {
    ledger = ledgerLocation({ dataDir: join(dataDir, "app") });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const starting = startDev({
    dataDir,
    databaseUrl: ledger.kind === "postgres" ? ledger.url : "",
    host: values.host,
    port,
    storePort,
    bucket: values.bucket,
    ...(quiet
      ? {}
      : {
          appLog: (line: string) => process.stdout.write(`app   ${line}\n`),
          storeLog: (entry: RequestLogEntry) => process.stdout.write(`store ${logLine(entry)}\n`),
        }),
  });
  let dev: DevServers;
  try {
    dev = await starting;
  } catch (error) {
    // A port taken, a database out of reach: one line that says so, not a stack.
    process.stderr.write(`sluice dev: ${(error as Error).message}\n`);
    return 1;
  }
  const rule = dev.cors.rules[0];
  process.stdout.write(
    [
      "",
      `  Sluice dev is running: open ${dev.appUrl}`,
      "",
      `  app (page + upload API)  ${dev.appUrl}`,
      `  store (S3 API, r2)       ${dev.storeUrl}   bucket: ${dev.bucket}`,
      `  CORS                     ${rule?.allowedOrigins.join(", ")} may ${rule?.allowedMethods.join(", ")} with ${rule?.allowedHeaders.join(", ")}`,
      `  data                     ${dataDir}`,
      `  ledger                   ${dev.ledger}`,
      `  access key id            ${dev.credentials.accessKeyId}`,
      "",
      "  Press Ctrl+C to stop.",
      "",
    ].join("\n"),
  );
  await new Promise<void>((done) => {
    const stop = (signal: string) => {
      process.stdout.write(`sluice dev: ${signal}, stopping\n`);
      void dev.close().then(done);
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
  return 0;
}

function portOf(flag: string, value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new UsageError(`${flag} must be 0..65535, not ${value}`);
  }
  return port;
}
