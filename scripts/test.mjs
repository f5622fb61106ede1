#!/usr/bin/env node
// Runs every test file under node:test. Node 20's `--test` takes paths, not globs,
// so the files are found here; TypeScript runs through tsx, and workspace packages
// resolve to their sources through the "source" export condition.
//
// `*.rgw.test.ts` files need a Ceph RGW: they run only when SLUICE_RGW_ENDPOINT is set,
// as `npm run test:rgw` sets it (scripts/ceph-rgw.sh).
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const roots = ["packages", "test"];
const skipDirs = new Set(["node_modules", "dist", ".sluice"]);

function* testFiles(dir) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of entries.sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (!skipDirs.has(name)) yield* testFiles(path);
    } else if (name.endsWith(".test.ts")) {
      yield path;
    }
  }
}

const only = process.argv.slice(2);
const withRgw = Boolean(process.env.SLUICE_RGW_ENDPOINT);
const files = roots
  .flatMap((root) => [...testFiles(root)])
  .filter((file) => withRgw || !file.endsWith(".rgw.test.ts"))
  .filter((file) => only.length === 0 || only.some((part) => file.includes(part)))
  .map((file) => relative(process.cwd(), file));

if (files.length === 0) {
  console.error("no test files found");
  process.exit(1);
}

// DATABASE_URL would put the ledger of every upload handler a test starts into that one
// database, where suites meant to be apart would see each other's uploads. The suites
// that test PostgreSQL read it as SLUICE_TEST_DATABASE_URL and give each ledger a schema
// of its own; the rest keep their own SQLite ledgers.
const { DATABASE_URL, ...env } = process.env;
if (DATABASE_URL) env.SLUICE_TEST_DATABASE_URL ??= DATABASE_URL;

const result = spawnSync(
  process.execPath,
  ["--conditions=source", "--import", "tsx", "--test", "--test-reporter=spec", ...files],
  { stdio: "inherit", env },
);
process.exit(result.status ?? 1);
