/**
 * Does the store's memory stay bounded under repeated load? Ten rounds of 500 concurrent
 * PUTs (sizes from 1 KiB to 256 KiB, so both small bodies kept in the database and files),
 * against the store in its own process; after each round, the store's RSS and, after a
 * full GC, its JS heap and the memory of its Buffers.
 *
 *   node --conditions=source --import tsx bench/store-memory.ts [rounds] [concurrency]
 *
 * Environment passes through to the store, so e.g. MALLOC_ARENA_MAX=2 can be compared.
 *
 * What holds the RSS that the JS heap in use does not explain:
 * - V8's reserve: the heap in use stays at 11–12 MiB after GC, but under 500 concurrent
 *   requests V8 grows the heap it reserves to ~45 MiB, and gives it back only when idle.
 * - glibc keeps what the requests freed (socket and file buffers, SQLite's pages) for
 *   reuse rather than returning it: RSS reaches a plateau, not a leak, and stays there
 *   when idle. `MALLOC_MMAP_THRESHOLD_=65536 MALLOC_TRIM_THRESHOLD_=131072` lowers the
 *   plateau (large blocks are then mapped and unmapped) at some cost in allocation speed.
 * - SQLite's page cache: better-sqlite3 builds SQLite with 16 MB per connection, which
 *   small bodies (written into the database) fill; the store bounds it to 2 MB.
 * - `external` memory right after a round is ArrayBuffers that V8 frees on a background
 *   task after a GC; collected twice, a moment apart, it is back to 4 MiB.
 */
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sign } from "@sluice/sigv4";

const rounds = Number(process.argv[2] ?? 10);
const concurrency = Number(process.argv[3] ?? 500);
const credentials = { accessKeyId: "MEMORYBENCH", secretAccessKey: "memory-bench-secret" };
const KiB = 1024;
const MiB = 1024 * 1024;

const dataDir = mkdtempSync(join(tmpdir(), "sluice-store-memory-"));
const child = fork(new URL("./store-memory-child.ts", import.meta.url), [dataDir], {
  execArgv: ["--conditions=source", "--import", "tsx", "--expose-gc"],
  stdio: ["ignore", "inherit", "inherit", "ipc"],
});

function next<T>(pick: (message: Record<string, unknown>) => T | undefined): Promise<T> {
  return new Promise((resolve) => {
    const listener = (message: Record<string, unknown>) => {
      const value = pick(message);
      if (value === undefined) return;
      child.off("message", listener);
      resolve(value);
    };
    child.on("message", listener);
  });
}

const url = await next((m) => m.url as string | undefined);

/** Connections the client found closed by the server's keep-alive timeout: retried once. */
let resets = 0;

async function send(method: string, path: string, body?: Buffer): Promise<number> {
  try {
    return await sendOnce(method, path, body);
  } catch {
    resets++;
    return sendOnce(method, path, body);
  }
}

async function sendOnce(method: string, path: string, body?: Buffer): Promise<number> {
  const signed = sign({
    method,
    url: `${url}${path}`,
    credentials,
    region: "auto",
    payloadHash: "UNSIGNED-PAYLOAD",
  });
  const { host: _host, ...headers } = signed.headers;
  const response = await fetch(signed.url, {
    method,
    headers,
    ...(body ? { body } : {}),
  });
  await response.arrayBuffer();
  return response.status;
}

function rssMiB(): number {
  const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

async function stats(): Promise<string> {
  child.send("stats");
  const memory = await next((m) => m.stats as NodeJS.MemoryUsage | undefined);
  const mib = (n: number) => (n / MiB).toFixed(1).padStart(6);
  return `RSS ${mib(memory.rss)} MiB  heap ${mib(memory.heapUsed)} of ${mib(memory.heapTotal)} MiB  external ${mib(memory.external)} MiB  array buffers ${mib(memory.arrayBuffers)} MiB`;
}

if ((await send("PUT", "/memory")) !== 200) throw new Error("could not create the bucket");
const pattern = randomBytes(256 * KiB);
console.log(`store RSS at start: ${rssMiB().toFixed(1)} MiB; ${await stats()}`);
let key = 0;
for (let round = 1; round <= rounds; round++) {
  resets = 0;
  const started = performance.now();
  const statuses = await Promise.all(
    Array.from({ length: concurrency }, () => {
      const size = KiB + Math.floor(Math.random() * 255 * KiB);
      return send("PUT", `/memory/round-${round}/${key++}`, pattern.subarray(0, size));
    }),
  );
  const failed = statuses.filter((status) => status !== 200).length;
  const ms = performance.now() - started;
  const peak = rssMiB();
  console.log(
    `round ${String(round).padStart(2)}: ${concurrency} PUTs in ${ms.toFixed(0)} ms${failed ? ` (${failed} failed)` : ""}${resets ? ` (${resets} retried)` : ""}; RSS after ${peak.toFixed(1)} MiB; after GC: ${await stats()}`,
  );
}
// Once the keep-alive connections have closed (the store's timeout is 5 s), what stays is
// what the store itself holds.
await new Promise((resolve) => setTimeout(resolve, 6_000));
console.log(`idle, connections closed: RSS ${rssMiB().toFixed(1)} MiB; after GC: ${await stats()}`);
child.disconnect();
await new Promise((resolve) => child.once("exit", resolve));
rmSync(dataDir, { recursive: true, force: true });
