/**
 * `npm run bench`: every benchmark, in one process on one core, with medians, spreads
 * and ratios against baselines measured in the same run. Writes the Markdown table that
 * the README quotes to bench/results/latest.md (and the raw rounds to latest.json).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { benchCors } from "./cors.bench.js";
import { type Measured, medianRatio } from "./measure.js";
import { benchPresign, benchVerify } from "./sigv4.bench.js";

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1));

function table(title: string, results: Measured[], baseline?: Measured): string {
  const lines = [
    `### ${title}`,
    "",
    "| subject | ops/s (median) | spread (p25–p75) | latency p50 | latency p99 |" +
      (baseline ? " vs. ours |" : ""),
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
const raw: Record<string, Measured[]> = {};
const say = (text: string) => {
  process.stdout.write(`${text}\n`);
  sections.push(text);
};

say(`Node ${process.version}, ${cpus()[0]?.model ?? "unknown CPU"}, one process (one core).\n`);

const presign = await benchPresign();
raw.presign = presign;
say(table("Presign a PUT URL", presign, presign[0]));

const verify = await benchVerify();
raw.verify = verify;
say(table("Verify a presigned PUT", verify));

const cors = await benchCors();
raw.cors = cors;
say(table("Evaluate CORS against a 100-rule configuration", cors));

const dir = new URL("./results/", import.meta.url);
mkdirSync(dir, { recursive: true });
writeFileSync(new URL("latest.md", dir), sections.join("\n"));
writeFileSync(new URL("latest.json", dir), `${JSON.stringify(raw, null, 2)}\n`);
