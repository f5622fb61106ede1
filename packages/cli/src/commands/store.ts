/**
 * `sluice store`: the embedded S3-compatible store on its own.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { createStore, isFlavorName, type RequestLogEntry, resolveCredentials } from "@sluice/store";
import { UsageError } from "../usage-error.js";

export const STORE_HELP = `Usage: sluice store [options]

Runs the embedded S3-compatible store.

Options:
  --host HOST        address to listen on (default 127.0.0.1)
  --port PORT        port (default 9000)
  --data DIR         data folder (default ./.sluice/store)
  --flavor r2|s3     whose limits and answers to follow (default r2)
  --region NAME      the region signatures must name (default: auto for r2, us-east-1 for s3)
  --abort-incomplete-after DAYS
                     abort multipart uploads left incomplete this long (default: 7 for r2,
                     as R2 does; never for s3)
  --quiet            no request log

Credentials come from SLUICE_ACCESS_KEY_ID / SLUICE_SECRET_ACCESS_KEY; when unset, a
pair is generated once per data folder and kept there.
`;

const DAY_MS = 24 * 60 * 60 * 1000;

export async function storeCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "9000" },
      data: { type: "string", default: "./.sluice/store" },
      flavor: { type: "string", default: "r2" },
      region: { type: "string" },
      "abort-incomplete-after": { type: "string" },
      quiet: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(STORE_HELP);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError(`--port must be 0..65535, not ${values.port}`);
  if (!isFlavorName(values.flavor))
    throw new UsageError(`--flavor must be r2 or s3, not ${values.flavor}`);

  const days = values["abort-incomplete-after"];
  const abandonedUploadMs = days === undefined ? undefined : Number(days) * DAY_MS;
  if (abandonedUploadMs !== undefined && !(abandonedUploadMs > 0)) {
    throw new UsageError(`--abort-incomplete-after must be a positive number of days, not ${days}`);
  }
  const dataDir = resolve(values.data);
  const { credentials, source } = resolveCredentials(dataDir);
  const store = createStore({
    dataDir,
    credentials,
    flavor: values.flavor,
    ...(values.region ? { region: values.region } : {}),
    ...(abandonedUploadMs === undefined ? {} : { abandonedUploadMs }),
    ...(values.quiet
      ? {}
      : { log: (entry: RequestLogEntry) => process.stdout.write(`${logLine(entry)}\n`) }),
  });
  const url = await store.listen(port, values.host);
  process.stdout.write(
    [
      `sluice store (${values.flavor}) listening on ${url}`,
      `  data:              ${dataDir}`,
      `  access key id:     ${credentials.accessKeyId}`,
      `  secret access key: ${credentials.secretAccessKey}${source === "environment" ? "" : `  (${source})`}`,
      `  try: AWS_ACCESS_KEY_ID=${credentials.accessKeyId} AWS_SECRET_ACCESS_KEY=... aws --endpoint-url ${url} s3 ls`,
      "",
    ].join("\n"),
  );
  await new Promise<void>((done) => {
    const stop = (signal: string) => {
      process.stdout.write(`sluice store: ${signal}, finishing in-flight requests\n`);
      void store.close().then(done);
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
  return 0;
}

/** `PUT /bucket/key 200 1048576B 12.3ms PutObject` (and the error code, if any). */
export function logLine(entry: RequestLogEntry): string {
  const parts = [
    entry.method,
    entry.path,
    String(entry.status),
    `${entry.bytes}B`,
    `${entry.ms.toFixed(1)}ms`,
  ];
  if (entry.operation) parts.push(entry.operation);
  if (entry.errorCode) parts.push(entry.errorCode);
  return parts.join(" ");
}
