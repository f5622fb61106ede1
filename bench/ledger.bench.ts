/**
 * The ledger's throughput on each driver an app may get: better-sqlite3 (Node 20),
 * node:sqlite (Node 22, from the `node` package), bun:sqlite (Bun), and D1 as
 * `wrangler dev` runs it locally (Miniflare's D1 inside workerd, the loop bundled into a
 * Worker next to it: local D1, not Cloudflare's). Each driver runs `ledger-driver.mjs` in
 * its own runtime; uploads per second, each three ledger writes (create, claim, finish),
 * one at a time. Needs `npm run build` (the scripts import the built package).
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { bin, nodeBinary } from "../test/runtimes/hosts.js";
import { type Measured, summarize } from "./measure.js";

const SCRIPT = fileURLToPath(new URL("./ledger-driver.mjs", import.meta.url));

const DRIVERS = [
  {
    name: "better-sqlite3 (Node 20)",
    runtime: () => process.execPath,
    driver: "better-sqlite3",
    uploads: 2000,
  },
  {
    name: "node:sqlite (Node 22)",
    runtime: () => nodeBinary("22"),
    driver: "node:sqlite",
    uploads: 2000,
  },
  { name: "bun:sqlite (Bun)", runtime: () => bin("bun"), driver: "bun:sqlite", uploads: 2000 },
  {
    name: "D1 (local workerd via Miniflare, Node 22)",
    runtime: () => nodeBinary("22"),
    driver: "d1",
    uploads: 200,
  },
];

export async function benchLedger(): Promise<Measured[]> {
  const results: Measured[] = [];
  for (const { name, runtime, driver, uploads } of DRIVERS) {
    const output = execFileSync(runtime(), [SCRIPT, driver, String(uploads)], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    const line = output.trim().split("\n").at(-1) ?? "{}";
    const { rounds, latenciesUs } = JSON.parse(line) as { rounds: number[]; latenciesUs: number[] };
    results.push(summarize(name, rounds, latenciesUs));
  }
  return results;
}
