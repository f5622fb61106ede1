/**
 * What the Chromium scenarios share: Debian's Chromium driven by `playwright-core`,
 * `startDev()`'s real servers (store and app on two origins, strict CORS) on free ports
 * with a temporary data folder, a record of every request the store saw, a way to make
 * the store refuse a request, the demo app alone in front of another store (RGW), and
 * signed requests to look into the bucket.
 *
 * Under CI=true a missing Chromium fails the suite; elsewhere it skips it, saying why.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import {
  createDemoApp,
  type DemoApp,
  type DevServers,
  loadPageAssets,
  startDev,
  storeRequest,
} from "@sluice/demo";
import type { StorageConfig } from "@sluice/server";
import { type Browser, chromium, type Page } from "playwright-core";
import { pngChunk } from "../server/fixtures.js";

export const CHROMIUM = process.env.SLUICE_CHROMIUM ?? "/usr/bin/chromium";
export const MiB = 1024 * 1024;

/** Where screenshots go: inside the git-ignored data folder. */
export const ARTIFACTS = join(process.cwd(), ".sluice", "test-artifacts");

/** `undefined` (with the reason on stderr) when there is no Chromium and this is not CI. */
export async function launchChromium(): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI === "true") {
      throw new Error(`Chromium is not at ${CHROMIUM}: .ci/run installs Debian's chromium package`);
    }
    process.stderr.write(`skipping the browser tests: no Chromium at ${CHROMIUM}\n`);
    return undefined;
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** One request the store saw (after any fault), and what was answered. */
export interface SeenRequest {
  readonly method: string;
  readonly url: URL;
  /** For UploadPart. */
  readonly partNumber: number | undefined;
  status: number | undefined;
}

/** Answers a store request instead of the store, or `undefined` to let the store answer. */
export type Fault = (request: Request, url: URL) => Promise<Response | undefined>;

export interface Dev extends DevServers {
  readonly seen: SeenRequest[];
  /** The most UploadPart requests the store was serving at once. */
  readonly maxPartsInFlight: () => number;
  /** Store requests go through this first; replace it per test. */
  fault: Fault | undefined;
  /** Part numbers of the part PUTs the store answered 200, from `seen[since]` on. */
  storedParts(since?: number): number[];
  /** Errors the store or the app answered 500 for: a bug, whatever the test. */
  readonly internalErrors: unknown[];
}

/**
 * An S3 error document as the store renders one, with the CORS headers the bucket's
 * rules would add, so the page can read it (as it can read the store's own errors).
 */
export function s3ErrorResponse(
  request: Request,
  status: number,
  code: string,
  message: string,
): Response {
  const origin = request.headers.get("origin");
  return new Response(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
    {
      status,
      headers: {
        "content-type": "application/xml",
        ...(origin ? { "access-control-allow-origin": origin, vary: "Origin" } : {}),
      },
    },
  );
}

/** A promise and the function that resolves it. */
export function gate(): { readonly opened: Promise<void>; open(): void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** Polls `check` until it returns true (or throws after `timeoutMs`). */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function startTestDev(): Promise<Dev> {
  const dataDir = mkdtempSync(join(tmpdir(), "sluice-browser-"));
  const seen: SeenRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const holder: { dev?: Dev } = {};
  const internalErrors: unknown[] = [];
  const servers = await startDev({
    dataDir,
    port: 0,
    storePort: 0,
    env: {},
    onError: (error) => internalErrors.push(error),
    storeMiddleware: async (request, next) => {
      const url = new URL(request.url);
      const partNumber =
        request.method === "PUT" && url.searchParams.has("uploadId")
          ? Number(url.searchParams.get("partNumber"))
          : undefined;
      const entry: SeenRequest = { method: request.method, url, partNumber, status: undefined };
      seen.push(entry);
      const faulted = await holder.dev?.fault?.(request, url);
      if (faulted) {
        entry.status = faulted.status;
        return faulted;
      }
      if (partNumber !== undefined) maxInFlight = Math.max(maxInFlight, ++inFlight);
      try {
        const response = await next();
        entry.status = response.status;
        return response;
      } finally {
        if (partNumber !== undefined) inFlight--;
      }
    },
  });
  const dev: Dev = {
    ...servers,
    seen,
    internalErrors,
    fault: undefined,
    maxPartsInFlight: () => maxInFlight,
    storedParts: (since = 0) =>
      seen
        .slice(since)
        .filter((r) => r.partNumber !== undefined && r.status === 200)
        .map((r) => r.partNumber as number),
    async close() {
      await servers.close();
      if (internalErrors.length > 0) {
        throw new AggregateError(internalErrors, "the store or the app met an internal error");
      }
    },
  };
  holder.dev = dev;
  return dev;
}

/** The demo app (page and upload API) alone, on loopback, storing into `storage`. */
export interface DemoAppServer {
  readonly appUrl: string;
  readonly app: DemoApp;
  /** Errors the app answered 500 for (or the upload API logged): a bug, whatever the test. */
  readonly internalErrors: unknown[];
  close(): Promise<void>;
}

/**
 * The app as `sluice dev` runs it, but in front of a store that is not ours: the bucket
 * and its CORS rules are the caller's to set, as on a real deployment.
 */
export async function startDemoApp(storage: StorageConfig): Promise<DemoAppServer> {
  const internalErrors: unknown[] = [];
  const app = createDemoApp({
    storage,
    dataDir: mkdtempSync(join(tmpdir(), "sluice-browser-app-")),
    assets: await loadPageAssets(),
    onError: (error) => internalErrors.push(error),
  });
  const server = createServer(app.listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    appUrl: `http://127.0.0.1:${port}`,
    app,
    internalErrors,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await app.close();
      if (internalErrors.length > 0) {
        throw new AggregateError(internalErrors, "the app met an internal error");
      }
    },
  };
}

/** Where a bucket is and who may look into it. */
export type BucketAccess = Pick<DevServers, "storeUrl" | "bucket" | "credentials">;

/** Opens the app (or `origin`, another name for the same server) and signs in. */
export async function signIn(page: Page, url: string, name = "alice"): Promise<void> {
  await page.goto(url);
  await page.locator("#name").fill(name);
  await page.locator("#sign-in-form button[type=submit]").click();
  await page.locator("#app").waitFor({ state: "visible" });
}

export async function chooseRoute(page: Page, route: "avatar" | "file"): Promise<void> {
  await page.locator(`input[name=route][value=${route}]`).check();
}

/** The object's bytes, read with a signed GET. */
export async function objectBytes(dev: BucketAccess, key: string): Promise<Buffer | undefined> {
  const response = await storeRequest(
    "GET",
    `${dev.storeUrl}/${dev.bucket}/${key.split("/").map(encodeURIComponent).join("/")}`,
    dev.credentials,
  );
  if (response.status === 404) return undefined;
  if (response.status !== 200) throw new Error(`GET ${key}: HTTP ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}

/** Keys of the bucket's open multipart uploads (ListMultipartUploads). */
export async function openMultipartUploads(dev: BucketAccess): Promise<string[]> {
  const response = await storeRequest(
    "GET",
    `${dev.storeUrl}/${dev.bucket}?uploads`,
    dev.credentials,
  );
  const text = await response.text();
  if (response.status !== 200) throw new Error(`ListMultipartUploads: ${response.status} ${text}`);
  return [...text.matchAll(/<Upload>[\s\S]*?<Key>([^<]*)<\/Key>/g)].map((m) => m[1] as string);
}

/** Keys of the bucket's objects (ListObjectsV2, one page). */
export async function objectKeys(dev: BucketAccess): Promise<string[]> {
  const response = await storeRequest(
    "GET",
    `${dev.storeUrl}/${dev.bucket}?list-type=2`,
    dev.credentials,
  );
  const text = await response.text();
  return [...text.matchAll(/<Contents>[\s\S]*?<Key>([^<]*)<\/Key>/g)].map((m) => m[1] as string);
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}

// Files, made here so the repository carries no binaries.

/** A real RGB PNG, `size`×`size`, a diagonal gradient from `from` to `to` (so thumbnails show). */
export function gradientPng(
  size: number,
  from: [number, number, number],
  to: [number, number, number],
): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  const rows: Buffer[] = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 3);
    for (let x = 0; x < size; x++) {
      const t = (x + y) / (2 * (size - 1));
      for (let c = 0; c < 3; c++) {
        row[1 + x * 3 + c] = Math.round((from[c] as number) * (1 - t) + (to[c] as number) * t);
      }
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", deflateSync(Buffer.concat(rows))),
    pngChunk("IEND", new Uint8Array(0)),
  ]);
}

/**
 * An MP4 as far as magic bytes go (an `ftyp` box), then `size` bytes in all of a
 * seeded pseudo-random pattern, so every part differs and a misplaced part shows.
 */
export function fakeMp4(size: number, seed = 1): Buffer {
  const bytes = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes.writeUInt32LE(x >>> 0, i);
  }
  const ftyp = Buffer.from(
    "000000206674797069736f6d0000020069736f6d69736f32617663316d703431",
    "hex",
  );
  ftyp.copy(bytes, 0);
  return bytes;
}

/** The demo's file input, inside its `<sluice-dropzone>` (Playwright pierces the shadow root). */
export const PICKER = "#drop input[type=file]";

/** The newest upload's row in the demo's dropzone (rows are oldest first). */
export function newestRow(page: Page) {
  return page.locator("#drop li.file").last();
}

/** Waits until the newest upload row has this `data-status`. */
export async function waitForRow(page: Page, status: string, timeout = 30_000): Promise<void> {
  await page.locator(`#drop li.file:last-child[data-status="${status}"]`).waitFor({ timeout });
}
