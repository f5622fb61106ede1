/**
 * The upload API under load, round after round: 500 uploads at once (create → PUT to the
 * store → complete), ten rounds, with the SQLite ledger and one API instance, and with a
 * PostgreSQL ledger shared by two instances (each upload created through one and completed
 * through the other). The store and each instance run in their own process. After every
 * round: how many uploads were created and completed, how many times `onComplete` ran,
 * how many objects the bucket holds for the round (all four must agree), the latency of
 * create and of complete (p50/p99), and the RSS of every process, so memory that creeps
 * from round to round shows.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SingleUpload } from "@sluice/server";
import { sign } from "@sluice/sigv4";
import { postgresForTests } from "../packages/server/test/postgres.js";
import { type ChildServer, startChildServer } from "../test/child-process.js";
import { quantile } from "./measure.js";

const ROOT = new URL("..", import.meta.url);
const credentials = { accessKeyId: "SLUICELOAD", secretAccessKey: "load-bench-secret" };
const bucket = "load";
const FROM_SOURCE = ["--conditions=source", "--import", "tsx"];

/** A 1 KiB PNG: the signature and IHDR the magic-byte check reads, then padding. */
const PNG = Buffer.concat([
  Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010800000000", "hex"),
  Buffer.alloc(1024 - 29),
]);

export interface LoadRound {
  readonly round: number;
  readonly created: number;
  readonly completed: number;
  readonly onComplete: number;
  readonly objects: number;
  /** Uploads a request of which failed outright (a reset connection; PUT and complete are retried once). */
  readonly failed: number;
  readonly createMs: { readonly p50: number; readonly p99: number };
  readonly completeMs: { readonly p50: number; readonly p99: number };
  /** MiB, after the round: each API instance's, then the store's. */
  readonly apiRss: readonly number[];
  readonly storeRss: number;
}

export interface LoadRun {
  readonly name: string;
  readonly rounds: readonly LoadRound[];
  readonly skipped?: string;
}

export interface LoadOptions {
  readonly uploads?: number;
  readonly rounds?: number;
}

export async function benchApiLoad(options: LoadOptions = {}): Promise<LoadRun[]> {
  const runs = [await run("SQLite ledger, one API instance", 1, undefined, options)];
  const postgres = postgresForTests();
  if (postgres.skip) {
    runs.push({ name: "PostgreSQL ledger, two API instances", rounds: [], skipped: postgres.skip });
    return runs;
  }
  await postgres.start();
  try {
    const url = await postgres.server().schemaUrl();
    runs.push(await run("PostgreSQL ledger, two API instances", 2, url, options));
  } finally {
    await postgres.close();
  }
  return runs;
}

async function run(
  name: string,
  instances: number,
  databaseUrl: string | undefined,
  options: LoadOptions,
): Promise<LoadRun> {
  const uploads = options.uploads ?? 500;
  const roundCount = options.rounds ?? 10;
  const children: ChildServer<string>[] = [];
  try {
    const store = await startChildServer(
      [
        ...FROM_SOURCE,
        "--input-type=module",
        "-e",
        'import { main } from "@sluice/cli"; process.exitCode = await main(process.argv.slice(1));',
        "store",
        "--port",
        "0",
        "--data",
        mkdtempSync(join(tmpdir(), "sluice-load-store-")),
        "--quiet",
      ],
      (output) => /listening on (http:\/\/\S+)/.exec(output)?.[1],
      {
        name: "the store",
        cwd: ROOT,
        env: {
          SLUICE_ACCESS_KEY_ID: credentials.accessKeyId,
          SLUICE_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        },
      },
    );
    children.push(store);
    const storeUrl = store.ready;
    const made = await s3(storeUrl, "PUT", `/${bucket}`);
    if (!made.ok) throw new Error(`CreateBucket: ${made.status}`);

    const dataDir = mkdtempSync(join(tmpdir(), "sluice-load-api-"));
    const apis: ChildServer<string>[] = [];
    for (let i = 0; i < instances; i++) {
      const api = await startChildServer(
        [...FROM_SOURCE, "bench/api-instance.ts"],
        (output) => /listening on (http:\/\/\S+)/.exec(output)?.[1],
        {
          name: `API instance ${i + 1}`,
          cwd: ROOT,
          env: {
            SLUICE_BENCH_STORAGE: JSON.stringify({ endpoint: storeUrl, bucket, credentials }),
            SLUICE_BENCH_DATA_DIR: dataDir,
            DATABASE_URL: databaseUrl ?? "",
          },
        },
      );
      children.push(api);
      apis.push(api);
    }

    const rounds: LoadRound[] = [];
    for (let round = 1; round <= roundCount; round++) {
      const prefix = `r${String(round).padStart(2, "0")}-`;
      const createMs: number[] = [];
      const completeMs: number[] = [];
      let created = 0;
      let completed = 0;
      let failed = 0;
      await Promise.all(
        Array.from({ length: uploads }, async (_, i) => {
          try {
            await upload(i);
          } catch (error) {
            failed++;
            if (failed === 1) process.stdout.write(`  round ${round}: ${describe(error)}\n`);
          }
        }),
      );
      async function upload(i: number): Promise<void> {
        const user = `${prefix}${i}`;
        const first = apis[i % apis.length] as ChildServer<string>;
        const second = apis[(i + 1) % apis.length] as ChildServer<string>;
        let t = performance.now();
        const answer = await postJson(`${first.ready}/api/uploads`, user, {
          route: "photos",
          name: "p.png",
          type: "image/png",
          size: PNG.length,
        });
        createMs.push(performance.now() - t);
        if (answer.status !== 201) return;
        created++;
        const single = answer.body as SingleUpload;
        const { "content-length": _length, ...headers } = single.headers;
        // As the browser client does, a PUT whose connection broke is sent once more.
        const send = async () => {
          const response = await fetch(single.url, { method: "PUT", headers, body: PNG });
          await response.arrayBuffer();
          return response;
        };
        const put = await send().catch(send);
        if (!put.ok) return;
        t = performance.now();
        // Complete is idempotent: a request whose keep-alive connection the server had just
        // closed is sent once more, as the browser client does.
        const complete = () =>
          postJson(`${second.ready}/api/uploads/${single.id}/complete`, user, {});
        const done = await complete().catch(complete);
        completeMs.push(performance.now() - t);
        // 200 carries the verified record.
        if (done.status === 200 && (done.body as { id?: string }).id === single.id) {
          completed++;
        }
      }
      let onComplete = 0;
      for (const api of apis) {
        onComplete += ((await (await fetch(`${api.ready}/stats`)).json()) as { hooks: number })
          .hooks;
      }
      const sorted = (values: number[]) => values.sort((a, b) => a - b);
      rounds.push({
        round,
        created,
        completed,
        onComplete: onComplete - rounds.reduce((sum, r) => sum + r.onComplete, 0),
        objects: await countObjects(storeUrl, `photos/${prefix}`),
        failed,
        createMs: { p50: quantile(sorted(createMs), 0.5), p99: quantile(sorted(createMs), 0.99) },
        completeMs: {
          p50: quantile(sorted(completeMs), 0.5),
          p99: quantile(sorted(completeMs), 0.99),
        },
        apiRss: apis.map((api) => rssMiB(api.child.pid)),
        storeRss: rssMiB(store.child.pid),
      });
      const last = rounds.at(-1) as LoadRound;
      process.stdout.write(
        `  ${name}, round ${round}: ${last.created} created, ${last.completed} completed, ${last.onComplete} onComplete, ${last.objects} objects, ${last.failed} failed; API RSS ${last.apiRss.map((r) => r.toFixed(0)).join(" + ")} MiB\n`,
      );
    }
    return { name, rounds };
  } finally {
    for (const child of children.reverse()) await child.stop();
  }
}

async function postJson(
  url: string,
  user: string,
  body: unknown,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-user": user },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? undefined : JSON.parse(text) };
}

function describe(error: unknown): string {
  const cause = error instanceof Error ? (error.cause ?? error) : error;
  return cause instanceof Error ? `${cause.message}` : String(cause);
}

function s3(storeUrl: string, method: string, path: string): Promise<Response> {
  const signed = sign({ method, url: `${storeUrl}${path}`, credentials, region: "auto" });
  const { host: _host, ...headers } = signed.headers;
  return fetch(signed.url, { method, headers });
}

/** Objects under `prefix`, every page of ListObjectsV2. */
async function countObjects(storeUrl: string, prefix: string): Promise<number> {
  let count = 0;
  let token: string | undefined;
  for (;;) {
    const query = new URLSearchParams({ "list-type": "2", prefix, "max-keys": "1000" });
    if (token) query.set("continuation-token", token);
    const sorted = [...query.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    const qs = sorted.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
    const text = await (await s3(storeUrl, "GET", `/${bucket}?${qs}`)).text();
    count += (text.match(/<Key>/g) ?? []).length;
    token = /<NextContinuationToken>([^<]+)<\/NextContinuationToken>/.exec(text)?.[1];
    if (!/<IsTruncated>true<\/IsTruncated>/.test(text) || !token) return count;
  }
}

/** A process's resident set, from /proc (Linux); NaN elsewhere. */
function rssMiB(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return kb / 1024;
  } catch {
    return Number.NaN;
  }
}

/** The README's table: one row per round, per configuration. */
export function apiLoadTable(runs: readonly LoadRun[]): string {
  const lines = [
    "### 500 concurrent uploads through the API, ten rounds",
    "",
    "| ledger | round | created | completed | onComplete | objects | failed | create p50 / p99 | complete p50 / p99 | API RSS | store RSS |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const run of runs) {
    if (run.skipped) lines.push(`| ${run.name} | skipped: ${run.skipped} | | | | | | | | | |`);
    for (const r of run.rounds) {
      lines.push(
        `| ${run.name} | ${r.round} | ${r.created} | ${r.completed} | ${r.onComplete} | ${r.objects} | ${r.failed} | ${r.createMs.p50.toFixed(0)} / ${r.createMs.p99.toFixed(0)} ms | ${r.completeMs.p50.toFixed(0)} / ${r.completeMs.p99.toFixed(0)} ms | ${r.apiRss.map((m) => m.toFixed(0)).join(" + ")} MiB | ${r.storeRss.toFixed(0)} MiB |`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

// `node --conditions=source --import tsx bench/api-load.bench.ts` runs this one alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const uploads = Number(process.env.SLUICE_LOAD_UPLOADS ?? 500);
  const rounds = Number(process.env.SLUICE_LOAD_ROUNDS ?? 10);
  process.stdout.write(apiLoadTable(await benchApiLoad({ uploads, rounds })));
}
