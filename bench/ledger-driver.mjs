// One ledger driver's throughput, run inside the runtime that has it (Node 20:
// better-sqlite3; Node 22: node:sqlite; Bun: bun:sqlite; D1: the loop bundled into a
// Worker and run by Miniflare in workerd, next to its local D1). Prints one JSON line.
// Usage: <runtime> bench/ledger-driver.mjs <better-sqlite3|node:sqlite|bun:sqlite|d1> <uploads>
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { uploadsLoop } from "./ledger-loop.mjs";

const [driver, count = "1000"] = process.argv.slice(2);
const uploads = Number(count);
const ROUNDS = 5;

async function sqliteRound(round) {
  const { openSqliteLedger } = await import("@sluice/server");
  const dataDir = mkdtempSync(join(tmpdir(), "sluice-ledger-bench-"));
  const ledger = await openSqliteLedger({ dataDir, driver });
  try {
    return await uploadsLoop(ledger, uploads, `r${round}`);
  } finally {
    await ledger.close();
  }
}

async function d1Round(round) {
  const { build } = await import("esbuild");
  const { Miniflare } = await import("miniflare");
  const bundled = await build({
    entryPoints: [fileURLToPath(new URL("./ledger-d1-worker.mjs", import.meta.url))],
    bundle: true,
    format: "esm",
    platform: "neutral",
    external: ["node:*"],
    write: false,
  });
  const miniflare = new Miniflare({
    modules: true,
    script: bundled.outputFiles[0].text,
    compatibilityDate: "2026-07-01",
    compatibilityFlags: ["nodejs_compat"],
    d1Databases: { DB: `bench-${round}` },
  });
  try {
    const response = await miniflare.dispatchFetch(`http://bench/?uploads=${uploads}`);
    return await response.json();
  } finally {
    await miniflare.dispose();
  }
}

const rounds = [];
const latenciesUs = [];
// Round 0 warms up: not counted.
for (let round = 0; round <= ROUNDS; round++) {
  const result = driver === "d1" ? await d1Round(round) : await sqliteRound(round);
  if (round === 0) continue;
  rounds.push(result.perSecond);
  latenciesUs.push(...result.latenciesUs);
}
console.log(JSON.stringify({ driver, uploads, rounds, latenciesUs }));
