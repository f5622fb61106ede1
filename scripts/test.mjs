#!/usr/bin/env node
// Runs every test file under node:test. Node 20's `--test` takes paths, not globs,
// so the files are found here; TypeScript runs through tsx, and workspace packages
// resolve to their sources through the "source" export condition.
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
const files = roots
  .flatMap((root) => [...testFiles(root)])
  .filter((file) => only.length === 0 || only.some((part) => file.includes(part)))
  .map((file) => relative(process.cwd(), file));

if (files.length === 0) {
  console.error("no test files found");
  process.exit(1);
}

const result = spawnSync(
  process.execPath,
  ["--conditions=source", "--import", "tsx", "--test", "--test-reporter=spec", ...files],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
