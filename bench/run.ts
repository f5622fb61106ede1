/**
 * `npm run bench`: every benchmark, with medians, spreads and ratios against baselines
 * measured in the same run. The micro-benchmarks run in this process, on one core; the
 * store's run each server in a child process (clients here, server there: a core each).
 * Writes the Markdown tables that the README quotes to bench/results/latest.md (and the
 * raw rounds to latest.json).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { apiLoadTable, benchApiLoad } from "./api-load.bench.js";
import { benchBrowser, browserTable } from "./browser.bench.js";
import { benchCors } from "./cors.bench.js";
import { benchCrc64Nvme, crc64Table } from "./crc64-nvme.bench.js";
import { benchLedger } from "./ledger.bench.js";
import { type Measured, medianRatio } from "./measure.js";
import { benchServer, serverBytesTable } from "./server.bench.js";
import { benchPresign, benchVerify } from "./sigv4.bench.js";
import { BARE, benchStore, STORE, type StoreBench } from "./store.bench.js";

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1));

function table(title: string, results: Measured[], baseline?: Measured): string {
  const lines = [
    `### ${title}`,
    "",
    "| subject | ops/s (median) | spread (p25–p75) | latency p50 | latency p99 |" +
      (baseline ? ` vs. ${baseline.name} |` : ""),
    `| --- | ---: | ---: | ---: | ---: |${baseline ? " ---: |" : ""}`,
  ];
  for (const r of results) {
    const ratio =
      baseline && r !== baseline ? `${medianRatio(baseline, r).toFixed(1)}× slower` : "";
    lines.push(
      `| ${r.name} | ${fmt(r.median)} | ${fmt(r.p25)}–${fmt(r.p75)} | ${r.latencyUs.p50.toFixed(1)} µs | ${r.latencyUs.p99.toFixed(1)} µs |` +
        (baseline ? ` ${ratio} |` : ""),
    );
  }
  return `${lines.join("\n")}\n`;
}

const sections: string[] = [];
const raw: Record<string, unknown> = {};
const say = (text: string) => {
  process.stdout.write(`${text}\n`);
  sections.push(text);
};

say(
  `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}; micro-benchmarks in one process (one core).\n`,
);

const presign = await benchPresign();
raw.presign = presign;
say(table("Presign a PUT URL", presign, presign[0]));

const verify = await benchVerify();
raw.verify = verify;
say(table("Verify a presigned PUT", verify));

const cors = await benchCors();
raw.cors = cors;
say(table("Evaluate CORS against a 100-rule configuration", cors));

const crc64 = await benchCrc64Nvme();
raw.crc64nvme = crc64;
say(crc64Table(crc64));

const store = await benchStore();
raw.storeLargePut = store.largePut;
raw.storeLargeGet = store.largeGet;
raw.storeSmallPut = store.smallPut;
raw.storePreflight = store.preflight;
raw.storeMultipartPut = store.multipartPut;
say(storeSections(store));

const server = await benchServer();
raw.server = server;
say(
  table(
    "POST /api/uploads with the SQLite ledger on disk, vs. a bare node:http JSON endpoint (32 keep-alive clients)",
    server.requests,
    server.requests[1],
  ),
);
say(serverBytesTable(server.bytes));

const load = await benchApiLoad();
raw.apiLoad = load;
say(apiLoadTable(load));

const ledger = await benchLedger();
raw.ledger = ledger;
say(
  table(
    "The ledger per driver: uploads/s, each create + claim + finish, one at a time (latency per upload)",
    ledger,
    ledger[0],
  ),
);

const browser = await benchBrowser();
raw.browser = browser;
say(browserTable(browser));

const dir = new URL("./results/", import.meta.url);
mkdirSync(dir, { recursive: true });
writeFileSync(new URL("latest.md", dir), sections.join("\n"));
writeFileSync(new URL("latest.json", dir), `${JSON.stringify(raw, null, 2)}\n`);

/** The store against the bare server (and s3rver): tables, peak RSS, and the issue's targets. */
function storeSections(result: StoreBench): string {
  const ratio = (r: Measured, all: Measured[]) => {
    const bare = all.find((m) => m.name.startsWith(BARE));
    return bare === undefined || r === bare ? "baseline" : `${medianRatio(r, bare).toFixed(2)}×`;
  };
  const of = (all: Measured[], server: string) => all.find((m) => m.name.startsWith(server));
  const transfers = [...result.largePut, ...result.largeGet];
  const rssOf = (name: string) => result.rss.find((r) => name.startsWith(r.name));
  const lines = [
    `### PUT and GET of a ${result.largeMiB} MiB object, one connection (MiB/s)`,
    "",
    "| subject | MiB/s (median) | spread (p25–p75) | time (median) | vs. bare node | server peak RSS |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    ...transfers.map(
      (r) =>
        `| ${r.name} | ${fmt(r.median)} | ${fmt(r.p25)}–${fmt(r.p75)} | ${(r.latencyUs.p50 / 1e6).toFixed(2)} s | ${ratio(r, r.name.endsWith("PUT") ? result.largePut : result.largeGet)} | ${fmt(rssOf(r.name)?.large ?? Number.NaN)} MiB |`,
    ),
    "",
  ];
  for (const [title, rows] of [
    ["4 KiB PUTs, 32 concurrent clients on keep-alive, each durable (requests/s)", result.smallPut],
    ["CORS preflights against a strict rule, 32 concurrent clients (requests/s)", result.preflight],
  ] as const) {
    lines.push(
      `### ${title}`,
      "",
      "| subject | requests/s (median) | spread (p25–p75) | latency p50 | latency p99 | vs. bare node |",
      "| --- | ---: | ---: | ---: | ---: | ---: |",
      ...rows.map(
        (r) =>
          `| ${r.name} | ${fmt(r.median)} | ${fmt(r.p25)}–${fmt(r.p75)} | ${(r.latencyUs.p50 / 1000).toFixed(1)} ms | ${(r.latencyUs.p99 / 1000).toFixed(1)} ms | ${ratio(r, rows)} |`,
      ),
      "",
    );
  }
  lines.push(
    "### Server memory (MiB)",
    "",
    "| server | RSS idle | peak RSS, large object | peak RSS, 4 KiB PUTs + preflights |",
    "| --- | ---: | ---: | ---: |",
    ...result.rss.map((r) => `| ${r.name} | ${fmt(r.idle)} | ${fmt(r.large)} | ${fmt(r.small)} |`),
    "",
  );
  const single = of(result.largePut, STORE);
  for (const m of result.multipartPut) {
    lines.push(
      `### The same ${result.largeMiB} MiB object as a multipart upload into the store`,
      "",
      "| subject | MiB/s (median) | spread (p25–p75) | vs. single PUT | store peak RSS |",
      "| --- | ---: | ---: | ---: | ---: |",
      `| ${m.name} | ${fmt(m.median)} | ${fmt(m.p25)}–${fmt(m.p75)} | ${single ? `${(m.median / single.median).toFixed(2)}×` : "n/a"} | ${fmt(result.multipartPeakRss)} MiB |`,
      "",
    );
  }

  // The issue's targets, each against the bare server measured in the same rounds.
  const target = (label: string, all: Measured[], minimum: number) => {
    const store = of(all, STORE);
    const bare = of(all, BARE);
    if (!store || !bare) return `- ${label}: not measured`;
    const value = medianRatio(store, bare);
    const met = value >= minimum ? "met" : "**missed**";
    return `- ${label} ≥ ${minimum}× the bare server: ${value.toFixed(2)}× — ${met}`;
  };
  const peak = rssOf(STORE)?.large ?? Number.NaN;
  lines.push(
    "Targets (issue 3):",
    "",
    target(`PUT of ${result.largeMiB} MiB`, result.largePut, 0.85),
    target(`GET of ${result.largeMiB} MiB`, result.largeGet, 0.85),
    `- store peak RSS over the large object < 150 MiB: ${fmt(peak)} MiB — ${peak < 150 ? "met" : "**missed**"}`,
    target("4 KiB PUTs/s", result.smallPut, 0.5),
    target("preflights/s", result.preflight, 0.5),
  );
  const peer = result.rss.find((r) => r.name.startsWith("s3rver"))?.name;
  if (peer) {
    const vsPeer = (all: Measured[]) => {
      const store = of(all, STORE);
      const other = of(all, peer);
      return store && other ? `${medianRatio(store, other).toFixed(2)}×` : "n/a";
    };
    lines.push(
      `- against ${peer} (which checks no signature): PUT ${vsPeer(result.largePut)}, GET ${vsPeer(result.largeGet)}, 4 KiB PUTs ${vsPeer(result.smallPut)}, preflights ${vsPeer(result.preflight)}`,
    );
  }
  if (result.notes.length > 0) lines.push("", ...result.notes.map((note) => `Note: ${note}.`));
  return `${lines.join("\n")}\n`;
}
