/**
 * `sluice sweep --app ./uploads.js`: the upload ledger's sweeper, once, from a cron job
 * or by hand. The app's module builds its upload handler as it always does; this
 * imports it and calls `sweep()`.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { SweepReport } from "@sluice/server";
import { UsageError } from "../usage-error.js";

export const SWEEP_HELP = `Usage: sluice sweep --app MODULE [--json]

Runs the upload API's sweeper once and prints what it settled: uploads past their
deadline whose file arrived and verifies are completed (and the route's onComplete
runs), the others are expired and their objects removed.

The contract: MODULE is a JavaScript module (or TypeScript, when node runs with a loader
such as tsx) whose default export, or whose export named "uploads", is the value
createUploadHandler() returned (a promise of it works too):

    // uploads.js
    import { createUploadHandler, defineRoute } from "@sluice/server";
    export const uploads = createUploadHandler({ routes: { ... }, storage: { ... } });

It must not start a server or anything else that keeps the process alive when imported:
export the handler from its own module and mount it in your server's. After the sweep,
the handler's close() is called.

It sweeps the handler's own ledger: with DATABASE_URL set to a postgres:// URL (or
databaseUrl given), the PostgreSQL ledger all the app's instances share, so one cron
job sweeps for all of them; sweeps running at once never settle an upload twice.

Options:
  --app MODULE   the module, as a path (relative to the working folder)
  --json         print the report as JSON

Exit codes: 0 swept, 1 some uploads could not be settled (they are retried later),
2 usage error (no module, no handler in it).
`;

interface Sweepable {
  sweep(): Promise<SweepReport>;
  close?(): Promise<void>;
}

export async function sweepCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      app: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(SWEEP_HELP);
    return 0;
  }
  if (values.app === undefined) {
    throw new UsageError("give the module that exports your upload handler: --app ./uploads.js");
  }
  const path = resolve(values.app);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ERR_MODULE_NOT_FOUND" && String((error as Error).message).includes(path)) {
      throw new UsageError(`--app: no module at ${path}`);
    }
    if (code === "ERR_UNKNOWN_FILE_EXTENSION") {
      throw new UsageError(
        `--app: node cannot load ${path} as it is; compile it to JavaScript, or run node with a loader (node --import tsx)`,
      );
    }
    throw error;
  }
  const handler = await findHandler(module);
  if (handler === undefined) {
    throw new UsageError(
      `--app: ${values.app} has no default export and no export named "uploads" with a sweep() method (export what createUploadHandler() returns); it exports ${Object.keys(module).join(", ") || "nothing"}`,
    );
  }
  let report: SweepReport;
  try {
    report = await handler.sweep();
  } finally {
    await handler.close?.();
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    process.stdout.write(formatReport(report));
  }
  return report.failed.length > 0 ? 1 : 0;
}

async function findHandler(module: Record<string, unknown>): Promise<Sweepable | undefined> {
  for (const name of ["uploads", "default"]) {
    const value = await module[name];
    if (isSweepable(value)) return value;
  }
  return undefined;
}

function isSweepable(value: unknown): value is Sweepable {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { sweep?: unknown }).sweep === "function"
  );
}

function formatReport(report: SweepReport): string {
  const counts = (
    [
      ["completed", report.completed.length],
      ["rejected", report.rejected.length],
      ["expired", report.expired.length],
      ["cleaned", report.cleaned.length],
      ["busy", report.busy.length],
      ["failed", report.failed.length],
      ["skipped", report.skipped.length],
    ] as const
  ).map(([name, count]) => `${count} ${name}`);
  if (report.orphans.length > 0) counts.push(`${report.orphans.length} orphaned aborted`);
  const lines = [`${report.failed.length > 0 ? "✗" : "✓"} swept: ${counts.join(", ")}`];
  const each = (label: string, ids: readonly string[]) => {
    for (const id of ids) lines.push(`    ${label} ${id}`);
  };
  each("completed", report.completed);
  each("rejected ", report.rejected);
  each("expired  ", report.expired);
  each("cleaned  ", report.cleaned);
  each("busy     ", report.busy);
  for (const { id, error } of report.failed) lines.push(`    failed    ${id}: ${error}`);
  for (const { id, reason } of report.skipped) lines.push(`    skipped   ${id}: ${reason}`);
  for (const { key, uploadId } of report.orphans) {
    lines.push(`    orphaned  ${key} (multipart upload ${uploadId}, unknown to the ledger)`);
  }
  if (report.failed.length > 0) {
    lines.push("    the failed ones are tried again by the next sweep");
  }
  return `${lines.join("\n")}\n`;
}
