/**
 * Uploads from a real browser against the same uploads from Node, in the same run
 * (issue 6): a 256 MiB file (`SLUICE_BENCH_BROWSER_MIB` to change) sent by the demo
 * page's uploader in Chromium, as one PUT and as a multipart upload, and the same flow
 * made by a small Node client, in MiB/s from the upload's start to the verified record.
 *
 * The servers are `startDev()`'s, in a child process (this file, run with `serve`), so
 * the clients (Chromium's processes, or this one) and the servers never share an event
 * loop: the store, the bucket with its strict CORS, and the demo app. The demo's `file`
 * route goes multipart above 16 MiB (8 MiB parts), so the multipart subjects use it as
 * `sluice dev` serves it. For one PUT, the child also serves the demo app on a second
 * origin whose upload API is a bench-only `file` route with a multipart threshold above
 * the file (`createUploadHandler`; `startDev()` takes no routes), and adds that origin to
 * the bucket's CORS rules, so the browser's checks stay real.
 *
 * - Chromium: the file is a `File` built in the page from one random MiB repeated (built,
 *   and read to its last byte, before the clock starts); it is handed to the page's file
 *   input, and the time runs from the input's `change` to the row's `data-upload-key`
 *   (the page has the verified record). The same `File` is sent every round.
 * - Node: `POST /api/uploads` with the session cookie, the bytes PUT to the returned URL
 *   with exactly the returned headers (node:http, keep-alive), `POST …/complete`; for
 *   multipart, part URLs from `…/parts` in batches of 4 and 4 parts in flight, as the
 *   browser's uploader does by default. The bytes are the page's.
 *
 * One 32 MiB upload per subject warms up connections, preflights and JITs first; then 3
 * rounds, interleaved, the order rotated. After each upload (off the clock) the object
 * is looked at with a signed HEAD, its size and ETag kept, then deleted: browser and
 * Node must agree on the ETag, since they sent the same bytes in the same parts.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { Agent, createServer, type IncomingMessage, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { DEFAULT_PART_CONCURRENCY } from "@sluice/client";
import { encodeCorsXml, generateUploadCors } from "@sluice/cors";
import {
  createDemoApp,
  type DemoUser,
  demoRoutes,
  FILE_TYPES,
  loadPageAssets,
  Sessions,
  startDev,
  storeRequest,
} from "@sluice/demo";
import {
  type CreateUploadResponse,
  createUploadHandler,
  defineRoute,
  type FileRecord,
  MAX_SINGLE_PUT_SIZE,
  type PartUrl,
  type PartUrlsResponse,
  toNodeListener,
} from "@sluice/server";
import { type Credentials, objectUrl } from "@sluice/sigv4";
import type { Page } from "playwright-core";
import { CHROMIUM, chooseRoute, launchChromium, MiB, signIn } from "../test/browser/helpers.js";
import { startChildServer } from "../test/child-process.js";
import { type Measured, measureRounds, medianRatio } from "./measure.js";

const ROUNDS = 3;
const WARM_UP_MIB = 32;
const TYPE = "video/mp4";
/** An MP4's `ftyp` box, so the API's magic-byte check passes; random bytes after it. */
const FTYP = Buffer.from("000000206674797069736f6d0000020069736f6d69736f32617663316d703431", "hex");
/** The browser uploader's `urlBatchSize` default: part URLs asked for per request. */
const URL_BATCH = 4;

/** What the child prints once everything listens. */
interface Served {
  /** `sluice dev`'s app: the demo routes (multipart above 16 MiB). */
  readonly appUrl: string;
  /** The demo app again, with a bench-only `file` route that never goes multipart. */
  readonly singlePutUrl: string;
  readonly storeUrl: string;
  readonly bucket: string;
  readonly credentials: Credentials;
}

export interface BrowserBench {
  readonly fileMiB: number;
  readonly browser: string | undefined;
  /** Chromium, Node, Chromium, Node: one PUT, then multipart. */
  readonly results: Measured[];
  readonly notes: string[];
}

/** The demo's `file` route, as `sluice dev` serves it: its part size names the row. */
const DEMO_FILE = demoRoutes({ authorize: () => undefined, onComplete: undefined }).file;
const SINGLE = "one PUT";
const MULTIPART = `multipart (${(DEMO_FILE?.partSize ?? Number.NaN) / MiB} MiB parts, ${DEFAULT_PART_CONCURRENCY} in parallel)`;

export async function benchBrowser(): Promise<BrowserBench> {
  const fileMiB = Number(process.env.SLUICE_BENCH_BROWSER_MIB ?? 256);
  const skipped = (note: string): BrowserBench => ({
    fileMiB,
    browser: undefined,
    results: [],
    notes: [note],
  });
  // Benchmarks are not tests: without a browser, say so and go on, even under CI.
  if (!existsSync(CHROMIUM)) return skipped(`skipped: no Chromium at ${CHROMIUM}`);
  const browser = await launchChromium().catch((error: unknown) => {
    process.stderr.write(`Chromium did not start: ${String(error)}\n`);
    return undefined;
  });
  if (!browser) return skipped(`skipped: Chromium at ${CHROMIUM} did not start`);

  const dataDir = await mkdtemp(join(tmpdir(), "sluice-bench-browser-"));
  let child: Child | undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: DEFAULT_PART_CONCURRENCY });
  try {
    child = await startChild(dataDir);
    const served = child.served;
    const chunk = randomBytes(MiB);
    FTYP.copy(chunk);

    // One browser context per origin: both sessions are cookies on 127.0.0.1.
    const pages = new Map<string, Page>();
    for (const url of [served.appUrl, served.singlePutUrl]) {
      const page = await (await browser.newContext()).newPage();
      await signIn(page, url, "chromium");
      await chooseRoute(page, "file");
      await page.evaluate(
        `window.benchChunk = Uint8Array.from(atob(${JSON.stringify(chunk.toString("base64"))}), (c) => c.charCodeAt(0))`,
      );
      pages.set(url, page);
    }
    const node = new Map<string, string>();
    for (const url of [served.appUrl, served.singlePutUrl]) node.set(url, await sessionCookie(url));

    const etags = new Map<string, Set<string>>();
    const subject = (kind: string, client: "Chromium" | "Node", url: string) => {
      const upload = async (mib: number) => {
        if (client === "Chromium") {
          const { key, ms } = await browserUpload(pages.get(url) as Page, mib);
          return { key, seconds: ms / 1000 };
        }
        const started = performance.now();
        const record = await nodeUpload(url, node.get(url) as string, chunk, mib * MiB, agent);
        return { key: record.key, seconds: (performance.now() - started) / 1000 };
      };
      return {
        name: `${client}, ${kind}`,
        warmUp: async () => {
          await removeObject(served, (await upload(WARM_UP_MIB)).key, WARM_UP_MIB);
        },
        run: async () => {
          const { key, seconds } = await upload(fileMiB);
          const etag = await removeObject(served, key, fileMiB);
          etags.set(kind, (etags.get(kind) ?? new Set()).add(etag));
          return fileMiB / seconds;
        },
      };
    };
    const subjects = [
      subject(SINGLE, "Chromium", served.singlePutUrl),
      subject(SINGLE, "Node", served.singlePutUrl),
      subject(MULTIPART, "Chromium", served.appUrl),
      subject(MULTIPART, "Node", served.appUrl),
    ];
    for (const s of subjects) await s.warmUp();
    const results = await measureRounds(subjects, ROUNDS);

    for (const [kind, seen] of etags) {
      if (seen.size !== 1) throw new Error(`${kind}: Chromium and Node stored different bytes`);
    }
    return {
      fileMiB,
      browser: `Chromium ${browser.version()}`,
      results,
      notes: [
        `servers: startDev() in a child process (store and app on two origins, strict CORS); clients: Chromium's processes, or the bench's; ${ROUNDS} rounds after a ${WARM_UP_MIB} MiB warm-up`,
        `timed from the upload's start to the verified record; browser and Node stored the same ETag for each kind (${[...etags].map(([kind, seen]) => `${kind}: ${[...seen][0]}`).join("; ")})`,
      ],
    };
  } finally {
    agent.destroy();
    await browser.close();
    if (child) await child.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Markdown for bench/results/latest.md: each browser row with its ratio to Node's. */
export function browserTable(result: BrowserBench): string {
  const title = `### Uploading a ${result.fileMiB} MiB file from the demo page in ${result.browser ?? "Chromium"}, vs. Node in the same run (MiB/s)`;
  const notes = result.notes.map((note) => `Note: ${note}.`);
  if (result.results.length === 0) return `${[title, "", ...notes].join("\n")}\n`;
  const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1));
  const lines = [
    title,
    "",
    "| subject | MiB/s (median) | spread (p25–p75) | time (median) | browser / Node |",
    "| --- | ---: | ---: | ---: | ---: |",
  ];
  for (const r of result.results) {
    const kind = r.name.slice(r.name.indexOf(", ") + 2);
    const node = result.results.find((m) => m.name === `Node, ${kind}`);
    const ratio =
      r.name.startsWith("Node") || !node ? "baseline" : `${medianRatio(r, node).toFixed(2)}×`;
    lines.push(
      `| ${r.name} | ${fmt(r.median)} | ${fmt(r.p25)}–${fmt(r.p75)} | ${(result.fileMiB / r.median).toFixed(2)} s | ${ratio} |`,
    );
  }
  lines.push("", ...notes);
  return `${lines.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------------
// Chromium: the demo page's own uploader, fed through its file input

/**
 * Runs in the page (a string: this folder is type-checked without the DOM). Builds the
 * `File` once per size, waits until its bytes are all in the blob store, then hands it
 * to the dropzone's file input and resolves when the new row has its key.
 */
const PAGE_UPLOAD = `async (mib) => {
  window.benchFiles ??= {};
  const file = (window.benchFiles[mib] ??= new File(Array(mib).fill(window.benchChunk), "bench-" + mib + ".mp4", { type: "${TYPE}", lastModified: 1 }));
  await file.slice(file.size - 1).arrayBuffer();
  const zone = document.getElementById("drop").shadowRoot;
  const list = zone.querySelector("ul");
  const before = list.children.length;
  const done = new Promise((resolve, reject) => {
    const observer = new MutationObserver(() => {
      const row = list.lastElementChild;
      if (list.children.length === before || !row) return;
      if (row.dataset.key) {
        observer.disconnect();
        resolve({ key: row.dataset.key, ms: performance.now() - started });
      } else if (["failed", "aborted", "refused"].includes(row.dataset.status)) {
        observer.disconnect();
        reject(new Error(row.querySelector(".error").textContent || row.dataset.status));
      }
    });
    observer.observe(list, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-status", "data-key"] });
  });
  const picker = zone.querySelector("input[type=file]");
  const chosen = new DataTransfer();
  chosen.items.add(file);
  picker.files = chosen.files;
  const started = performance.now();
  picker.dispatchEvent(new Event("change"));
  return done;
}`;

function browserUpload(page: Page, mib: number): Promise<{ key: string; ms: number }> {
  return page.evaluate(`(${PAGE_UPLOAD})(${mib})`) as Promise<{ key: string; ms: number }>;
}

// ---------------------------------------------------------------------------------------
// Node: the same flow, by hand

async function sessionCookie(appUrl: string): Promise<string> {
  const response = await fetch(`${appUrl}/api/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "node" }),
  });
  const cookie = response.headers.get("set-cookie")?.split(";")[0];
  if (response.status !== 200 || !cookie) throw new Error(`sign-in: HTTP ${response.status}`);
  return cookie;
}

async function apiCall<T>(appUrl: string, cookie: string, path: string, body: unknown): Promise<T> {
  const response = await fetch(`${appUrl}/api/uploads${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 200 && response.status !== 201) {
    throw new Error(`POST /api/uploads${path}: HTTP ${response.status} ${text}`);
  }
  return JSON.parse(text) as T;
}

async function nodeUpload(
  appUrl: string,
  cookie: string,
  chunk: Buffer,
  size: number,
  agent: Agent,
): Promise<FileRecord> {
  const created = await apiCall<CreateUploadResponse>(appUrl, cookie, "", {
    route: "file",
    name: `bench-${size / MiB}.mp4`,
    type: TYPE,
    size,
  });
  if ("url" in created) {
    await put(created.url, created.headers, chunk, 0, size, agent);
    return apiCall<FileRecord>(appUrl, cookie, `/${created.id}/complete`, {});
  }
  const { partCount, partSize } = created.multipart;
  const batches = new Map<number, Promise<PartUrl[]>>();
  const urlOf = async (partNumber: number) => {
    const batch = Math.floor((partNumber - 1) / URL_BATCH);
    let urls = batches.get(batch);
    if (!urls) {
      const first = batch * URL_BATCH + 1;
      const partNumbers = Array.from(
        { length: Math.min(URL_BATCH, partCount - first + 1) },
        (_, i) => first + i,
      );
      urls = apiCall<PartUrlsResponse>(appUrl, cookie, `/${created.id}/parts`, {
        partNumbers,
      }).then((answer) => [...answer.parts]);
      batches.set(batch, urls);
    }
    return (await urls).find((part) => part.partNumber === partNumber) as PartUrl;
  };
  const parts: { partNumber: number; etag: string }[] = [];
  let next = 1;
  await Promise.all(
    Array.from({ length: Math.min(DEFAULT_PART_CONCURRENCY, partCount) }, async () => {
      for (let partNumber = next++; partNumber <= partCount; partNumber = next++) {
        const part = await urlOf(partNumber);
        const start = (partNumber - 1) * partSize;
        const etag = await put(part.url, part.headers, chunk, start, start + part.size, agent);
        parts.push({ partNumber, etag: etag.replace(/^"(.*)"$/, "$1") });
      }
    }),
  );
  parts.sort((a, b) => a.partNumber - b.partNumber);
  return apiCall<FileRecord>(appUrl, cookie, `/${created.id}/complete`, { parts });
}

/** PUTs bytes `start` to `end` of the file (`chunk` repeated); resolves with the ETag. */
async function put(
  url: string,
  headers: Readonly<Record<string, string>>,
  chunk: Buffer,
  start: number,
  end: number,
  agent: Agent,
): Promise<string> {
  function* bytes() {
    for (let at = start; at < end; ) {
      const offset = at % chunk.length;
      const piece = chunk.subarray(offset, Math.min(chunk.length, offset + end - at));
      yield piece;
      at += piece.length;
    }
  }
  const req = request(url, {
    method: "PUT",
    agent,
    headers: { ...headers, "content-length": String(end - start) },
  });
  const answered = new Promise<IncomingMessage>((resolve, reject) => {
    req.once("response", resolve);
    req.once("error", reject);
  });
  const [, response] = await Promise.all([pipeline(Readable.from(bytes()), req), answered]);
  const chunks: Buffer[] = [];
  for await (const piece of response) chunks.push(piece as Buffer);
  if (response.statusCode !== 200) {
    throw new Error(`PUT to the store: HTTP ${response.statusCode} ${Buffer.concat(chunks)}`);
  }
  return String(response.headers.etag);
}

// ---------------------------------------------------------------------------------------
// The object, off the clock: what the store holds, then gone

async function removeObject(served: Served, key: string, mib: number): Promise<string> {
  const url = objectUrl(served.storeUrl, served.bucket, key);
  const head = await storeRequest("HEAD", url, served.credentials);
  const length = Number(head.headers.get("content-length"));
  if (head.status !== 200 || length !== mib * MiB) {
    throw new Error(`HEAD ${key}: HTTP ${head.status}, ${length} bytes (expected ${mib * MiB})`);
  }
  const deleted = await storeRequest("DELETE", url, served.credentials);
  await deleted.arrayBuffer();
  if (deleted.status !== 204) throw new Error(`DELETE ${key}: HTTP ${deleted.status}`);
  return head.headers.get("etag") ?? "";
}

// ---------------------------------------------------------------------------------------
// The child: `startDev()`, plus the demo app on a second origin with a one-PUT route

interface Child {
  readonly served: Served;
  stop(): Promise<void>;
}

const SELF = fileURLToPath(import.meta.url);

async function startChild(dataDir: string): Promise<Child> {
  const server = await startChildServer(
    ["--conditions=source", "--import", "tsx", SELF, "serve", dataDir],
    (output) => {
      const line = /^\{.*\}$/m.exec(output)?.[0];
      return line === undefined ? undefined : (JSON.parse(line) as Served);
    },
    { name: "the servers" },
  );
  return { served: server.ready, stop: () => server.stop() };
}

async function serve(dataDir: string): Promise<void> {
  const onError = (error: unknown) => process.stderr.write(`internal error: ${String(error)}\n`);
  const dev = await startDev({ dataDir, port: 0, storePort: 0, env: {}, onError });
  const storage = {
    endpoint: dev.storeUrl,
    bucket: dev.bucket,
    region: dev.region,
    credentials: dev.credentials,
  };
  const appDir = join(dataDir, "single-put");
  const app = createDemoApp({ storage, dataDir: appDir, assets: await loadPageAssets(), onError });
  const sessions = new Sessions(appDir);
  const uploads = createUploadHandler({
    routes: {
      file: defineRoute<DemoUser>({
        types: FILE_TYPES,
        maxSize: MAX_SINGLE_PUT_SIZE,
        multipartThreshold: MAX_SINGLE_PUT_SIZE,
        authorize: (request) => sessions.userOf(request.headers.get("cookie")),
      }),
    },
    storage,
    dataDir: join(appDir, "api"),
    onError,
  });
  const api = toNodeListener(uploads);
  // The bench route's API at /api/uploads; the page and the session from the demo app.
  const server = createServer((req, res) =>
    api(req, res, (error) => (error ? res.destroy() : app.listener(req, res))),
  );
  const singlePutUrl = await new Promise<string>((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
  await allowOrigins(
    dev.storeUrl,
    dev.bucket,
    dev.credentials,
    [dev.appUrl, singlePutUrl],
    [...app.uploads.signedHeaders, ...uploads.signedHeaders],
  );

  process.once("SIGTERM", () => {
    void (async () => {
      await closeServer(server);
      await uploads.close();
      await app.close();
      await dev.close();
      process.exit(0);
    })();
  });
  const served: Served = {
    appUrl: dev.appUrl,
    singlePutUrl,
    storeUrl: dev.storeUrl,
    bucket: dev.bucket,
    credentials: dev.credentials,
  };
  process.stdout.write(`${JSON.stringify(served)}\n`);
}

/** The bucket's upload rule, as `startDev()` sets it, naming both app origins. */
async function allowOrigins(
  storeUrl: string,
  bucket: string,
  credentials: Credentials,
  origins: string[],
  headers: string[],
): Promise<void> {
  const xml = encodeCorsXml(
    generateUploadCors({ origins, read: true, headers: [...new Set(headers)] }),
  );
  const md5 = createHash("md5").update(xml).digest("base64");
  const response = await storeRequest("PUT", `${storeUrl}/${bucket}?cors`, credentials, xml, {
    "content-type": "application/xml",
    "content-md5": md5,
  });
  if (response.status !== 200) {
    throw new Error(`PutBucketCors: HTTP ${response.status} ${await response.text()}`);
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

if (process.argv[1] === SELF && process.argv[2] === "serve") {
  await serve(process.argv[3] as string);
}
