/**
 * Uppy 4, 5 and 6 from npm (core, dashboard, golden-retriever) with `@sluice/uppy`, in
 * Chromium, against `startTestDev()`'s servers: page and upload API on one origin, the
 * store on another behind strict CORS. The page is exactly README's "Using Uppy" lines
 * (`uppy/page.js`), bundled by esbuild per major version and served on the app's origin.
 *
 * For each version: a JPEG in one PUT and 70 MiB in parts are verified, with Sluice's file
 * record in `file.response.body`; a refused type shows the API's reason in the Dashboard;
 * bytes that are not what the name says are rejected after the upload and the file fails;
 * a cancel leaves nothing in the store; a reload mid-multipart sends only missing parts.
 * And plain `@uppy/aws-s3` in Companion mode against the same API (`uppy/companion-page.js`):
 * a JPEG (Uppy 4 and 5: one PUT, settled by a sweep) and 40 MiB in Uppy's own parts, verified.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { demoRoutes } from "@sluice/demo";
import { createUploadHandler, type UploadHandler } from "@sluice/server";
import type { Browser, BrowserContext, Page } from "playwright-core";
import {
  type Dev,
  eventually,
  fakeMp4,
  gate,
  launchChromium,
  MiB,
  objectBytes,
  objectKeys,
  openMultipartUploads,
  sha256,
  signIn,
  startTestDev,
} from "./helpers.js";
import { bundleUppyPage, type UppyMajor } from "./uppy/bundle.js";

const browser = await launchChromium();
const MAJORS: readonly UppyMajor[] = [4, 5, 6];
/** The `file` route's plan in the demo: parts of 8 MiB from 16 MiB on. */
const PART_SIZE = 8 * MiB;

/** Starts `uppy.upload()` and answers what it reported, per file. */
const UPLOAD = `window.uppy.upload().then((result) => ({
  successful: (result?.successful ?? []).map((f) => ({ name: f.name, record: f.response.body })),
  failed: (result?.failed ?? []).map((f) => ({ name: f.name, error: String(f.error) })),
}))`;

/** As `UPLOAD`, with where Uppy says each file went (`response.uploadURL`). */
const UPLOAD_URLS = `window.uppy.upload().then((result) => ({
  successful: (result?.successful ?? []).map((f) => ({ name: f.name, url: f.response.uploadURL })),
  failed: (result?.failed ?? []).map((f) => ({ name: f.name, error: String(f.error) })),
}))`;

interface UploadOutcome {
  readonly successful: { name: string; record: Record<string, unknown> }[];
  readonly failed: { name: string; error: string }[];
}

/** True once `needle` is in the Dashboard's text or in one of its attributes (tooltips). */
function dashboardSays(needle: string): string {
  return `(() => {
    const root = document.querySelector(".uppy-Dashboard");
    if (!root) return false;
    const texts = [root.textContent ?? ""];
    for (const el of root.querySelectorAll("*")) for (const a of el.attributes) texts.push(a.value);
    return texts.some((t) => t.includes(${JSON.stringify(needle)}));
  })()`;
}

/** A JPEG as far as magic bytes go (SOI, a JFIF APP0), `size` bytes in all. */
function fakeJpeg(size: number): Buffer {
  const bytes = Buffer.alloc(size, 0x5a);
  Buffer.from("ffd8ffe000104a46494600010100000100010000", "hex").copy(bytes, 0);
  Buffer.from("ffd9", "hex").copy(bytes, size - 2);
  return bytes;
}

describe("Uppy 4, 5 and 6 with @sluice/uppy in Chromium", { skip: browser === undefined }, () => {
  let dev: Dev;
  let folder: string;
  let film: Buffer;
  let filmPath: string;
  /** Five parts: enough to cancel or reload in the middle, at less cost than `film`. */
  let clip: Buffer;
  let clipPath: string;
  const contexts: BrowserContext[] = [];
  /**
   * Another instance of the app's upload API on the same ledger and store, its clock a
   * minute on: its sweep is the one that settles a single PUT Uppy never reports.
   */
  let sweeper: UploadHandler;

  before(async () => {
    dev = await startTestDev();
    sweeper = createUploadHandler({
      routes: demoRoutes({ authorize: () => undefined, onComplete: undefined }),
      storage: {
        endpoint: dev.storeUrl,
        bucket: dev.bucket,
        region: dev.region,
        credentials: dev.credentials,
      },
      dataDir: join(dev.dataDir, "app"),
      databaseUrl: "",
      now: () => new Date(Date.now() + 61_000),
      sweepIntervalMs: 0,
    });
    folder = await mkdtemp(join(tmpdir(), "sluice-uppy-files-"));
    film = fakeMp4(70 * MiB, 70);
    filmPath = join(folder, "harbour.mp4");
    writeFileSync(filmPath, film);
    clip = fakeMp4(40 * MiB, 40);
    clipPath = join(folder, "jetty.mp4");
    writeFileSync(clipPath, clip);
  });

  after(async () => {
    for (const context of contexts) await context.close();
    await sweeper?.close();
    await browser?.close();
    await dev?.close();
  });

  /** A fresh browser profile, signed in, on the Uppy page bundled for `major`. */
  async function openUppy(major: UppyMajor, js: string, origin = dev.appUrl): Promise<Page> {
    const context = await (browser as Browser).newContext({
      viewport: { width: 900, height: 700 },
      bypassCSP: true,
    });
    contexts.push(context);
    const page = await context.newPage();
    await signIn(page, origin);
    await page.route(`${origin}/uppy-test/page.js`, (route) =>
      route.fulfill({ contentType: "text/javascript", body: js }),
    );
    await loadUppy(page);
    assert.equal(String(await page.evaluate("window.uppyVersion")).split(".")[0], String(major));
    return page;
  }

  /**
   * Puts the Uppy page's script into the app's page. The document must come from the app
   * itself: Chromium lets only a page served from loopback reach the store on loopback.
   */
  async function loadUppy(page: Page): Promise<void> {
    await page.addScriptTag({ url: "/uppy-test/page.js", type: "module" });
    await page.waitForFunction("window.uppy !== undefined");
  }

  async function addFile(
    page: Page,
    route: string,
    file: string | { name: string; mimeType: string; buffer: Buffer },
  ): Promise<void> {
    await page.evaluate(`window.uppy.setMeta({ route: ${JSON.stringify(route)} })`);
    await page.locator("input.uppy-Dashboard-input").first().setInputFiles(file);
    await page.waitForFunction("window.uppy.getFiles().length === 1");
  }

  for (const major of MAJORS) {
    describe(`Uppy ${major}`, () => {
      let js: string;
      before(async () => {
        js = await bundleUppyPage(major);
      });

      test("a 2 MiB JPEG goes up in one PUT and is done only once verified, with Sluice's record", async () => {
        const page = await openUppy(major, js);
        const jpeg = fakeJpeg(2 * MiB);
        const before = dev.seen.length;
        await addFile(page, "avatar", { name: "pier.jpg", mimeType: "image/jpeg", buffer: jpeg });
        const outcome = (await page.evaluate(UPLOAD)) as UploadOutcome;
        assert.deepEqual(outcome.failed, []);
        const record = outcome.successful[0]?.record ?? {};
        assert.equal(record.name, "pier.jpg");
        assert.equal(record.size, jpeg.length);
        assert.equal(record.type, "image/jpeg");
        assert.equal(typeof record.completedAt, "string", "the record of a verified upload");
        assert.match(String(record.key), /^avatar\/alice\//);
        const puts = dev.seen.slice(before).filter((r) => r.method === "PUT");
        assert.deepEqual(
          puts.map((r) => [r.partNumber, r.status]),
          [[undefined, 200]],
          "one PUT of the whole file",
        );
        assert.equal(
          sha256((await objectBytes(dev, String(record.key))) ?? Buffer.alloc(0)),
          sha256(jpeg),
        );
      });

      test("plain @uppy/aws-s3 in Companion mode: a JPEG is verified (Uppy 4, 5: one PUT the sweeper settles)", async () => {
        const page = await openUppy(major, await bundleUppyPage(major, "companion-page.js"));
        const jpeg = fakeJpeg(2 * MiB);
        const before = dev.seen.length;
        await addFile(page, "avatar", { name: "quay.jpg", mimeType: "image/jpeg", buffer: jpeg });
        const outcome = (await page.evaluate(UPLOAD_URLS)) as {
          successful: { url: string }[];
          failed: unknown[];
        };
        assert.deepEqual(outcome.failed, []);
        const puts = dev.seen.slice(before).filter((r) => r.method === "PUT");
        // Uppy 6 sends it as one part (`shouldUseMultipart: true`), verified at its complete.
        assert.deepEqual(
          puts.map((r) => [r.partNumber, r.status]),
          [[major >= 6 ? 1 : undefined, 200]],
        );
        const key = decodeURIComponent((puts[0]?.url.pathname ?? "").split("/").slice(2).join("/"));
        assert.match(key, /^avatar\/alice\//);
        if (major < 6) {
          const report = await sweeper.sweep();
          const settled = await Promise.all(report.completed.map((id) => sweeper.ledger.get(id)));
          assert.ok(settled.some((intent) => intent?.key === key));
        }
        const state = (await page.evaluate(
          `fetch(${JSON.stringify(`/api/uploads/${key.split("/").pop()?.split(".")[0]}`)}).then((r) => r.json())`,
        )) as { status: string; size?: number; file?: { size: number; key: string } };
        assert.equal(state.status, "complete");
        assert.equal(state.file?.size, jpeg.length);
        assert.equal(state.file?.key, key);
        assert.equal(sha256((await objectBytes(dev, key)) ?? Buffer.alloc(0)), sha256(jpeg));
      });

      test("plain @uppy/aws-s3 in Companion mode: 40 MiB goes up in Uppy's own 5 MiB parts and is verified", async () => {
        const page = await openUppy(major, await bundleUppyPage(major, "companion-page.js"));
        const before = dev.seen.length;
        await addFile(page, "file", clipPath);
        const outcome = (await page.evaluate(UPLOAD_URLS)) as {
          successful: { url: string }[];
          failed: unknown[];
        };
        assert.deepEqual(outcome.failed, []);
        assert.deepEqual(
          dev.storedParts(before).sort((a, b) => a - b),
          Array.from({ length: Math.ceil(clip.length / (5 * MiB)) }, (_, i) => i + 1),
        );
        // Where Uppy says the file went: the API's own state of the upload, with its record.
        const state = (await page.evaluate(
          `fetch(${JSON.stringify(outcome.successful[0]?.url)}).then((r) => r.json())`,
        )) as { status: string; file?: { size: number; key: string } };
        assert.equal(state.status, "complete");
        assert.equal(state.file?.size, clip.length);
        assert.equal(
          sha256((await objectBytes(dev, String(state.file?.key))) ?? Buffer.alloc(0)),
          sha256(clip),
        );
        assert.deepEqual(await openMultipartUploads(dev), []);
      });

      test("70 MiB goes up in the route's 8 MiB parts and is verified, with Sluice's record", async () => {
        const page = await openUppy(major, js);
        const before = dev.seen.length;
        await addFile(page, "file", filmPath);
        const outcome = (await page.evaluate(UPLOAD)) as UploadOutcome;
        assert.deepEqual(outcome.failed, []);
        const record = outcome.successful[0]?.record ?? {};
        assert.equal(record.size, film.length);
        assert.match(String(record.key), /^file\/alice\//);
        assert.deepEqual(
          dev.storedParts(before).sort((a, b) => a - b),
          Array.from({ length: Math.ceil(film.length / PART_SIZE) }, (_, i) => i + 1),
        );
        assert.ok(dev.maxPartsInFlight() > 1, "parts in parallel");
        assert.equal(
          sha256((await objectBytes(dev, String(record.key))) ?? Buffer.alloc(0)),
          sha256(film),
        );
        assert.deepEqual(await openMultipartUploads(dev), []);
      });

      test("a type the route refuses fails before a byte is sent, with the API's reason in the Dashboard", async () => {
        const page = await openUppy(major, js);
        const before = dev.seen.length;
        await addFile(page, "avatar", {
          name: "notes.txt",
          mimeType: "text/plain",
          buffer: Buffer.from("not a picture\n"),
        });
        const outcome = (await page.evaluate(UPLOAD)) as UploadOutcome;
        assert.deepEqual(outcome.successful, []);
        assert.match(outcome.failed[0]?.error ?? "", /text\/plain files are not allowed here/);
        await page.waitForFunction(dashboardSays("text/plain files are not allowed here"));
        assert.equal(dev.seen.slice(before).filter((r) => r.method === "PUT").length, 0);
      });

      test("on an origin the bucket's CORS rules do not list, the Dashboard says so and names the check", async () => {
        const thirdOrigin = dev.appUrl.replace("127.0.0.1", "localhost");
        const page = await openUppy(major, js, thirdOrigin);
        await addFile(page, "avatar", {
          name: "pier.jpg",
          mimeType: "image/jpeg",
          buffer: fakeJpeg(64 * 1024),
        });
        const outcome = (await page.evaluate(UPLOAD)) as UploadOutcome;
        assert.deepEqual(outcome.successful, []);
        const check = `sluice cors check --endpoint-url ${dev.storeUrl} --bucket ${dev.bucket} --origin ${thirdOrigin} --method PUT`;
        assert.match(
          outcome.failed[0]?.error ?? "",
          /CORS rules do not allow this page's origin \(http:\/\/localhost:\d+\)/,
        );
        assert.ok(outcome.failed[0]?.error.includes(check));
        await page.waitForFunction(dashboardSays(check));
      });

      test("bytes that are not what the name says are rejected after the upload: the file fails and the object is gone", async () => {
        const page = await openUppy(major, js);
        const keysBefore = await objectKeys(dev);
        const before = dev.seen.length;
        await addFile(page, "avatar", {
          name: "kitten.jpg",
          mimeType: "image/jpeg",
          buffer: Buffer.from("<!doctype html><title>not a kitten</title>\n".repeat(100)),
        });
        const outcome = (await page.evaluate(UPLOAD)) as UploadOutcome;
        assert.deepEqual(outcome.successful, []);
        assert.match(outcome.failed[0]?.error ?? "", /the file's bytes are not image\/jpeg/);
        assert.deepEqual(
          dev.seen
            .slice(before)
            .filter((r) => r.method === "PUT")
            .map((r) => r.status),
          [200],
          "the bytes reached the store",
        );
        assert.equal(
          await page.evaluate("window.uppy.getFiles()[0].progress.uploadComplete"),
          false,
        );
        await page.waitForFunction(dashboardSays("the file's bytes are not image/jpeg"));
        assert.deepEqual(await objectKeys(dev), keysBefore, "the API deleted the object");
      });

      test("cancel mid-multipart leaves no object and no open upload", async () => {
        const page = await openUppy(major, js);
        const hold = gate();
        dev.fault = async (_request, url) => {
          if (Number(url.searchParams.get("partNumber") ?? 0) < 3) return undefined;
          await hold.opened;
          return new Response(null, { status: 503 });
        };
        const before = dev.seen.length;
        try {
          await addFile(page, "file", clipPath);
          await page.evaluate("void window.uppy.upload()");
          await eventually(
            () => dev.storedParts(before).length >= 2,
            "parts 1 and 2 stored",
            30_000,
          );
          assert.equal((await openMultipartUploads(dev)).length, 1);
          await page.evaluate("window.uppy.cancelAll()");
          await eventually(
            async () => (await openMultipartUploads(dev)).length === 0,
            "the multipart upload aborted in the store",
          );
          const partPath =
            dev.seen.slice(before).find((r) => r.partNumber === 1)?.url.pathname ?? "";
          const key = decodeURIComponent(partPath.split("/").slice(2).join("/"));
          assert.match(key, /^file\/alice\//);
          assert.ok(!(await objectKeys(dev)).includes(key), "no object at the key");
          assert.equal(await page.evaluate("window.uppy.getFiles().length"), 0);
        } finally {
          dev.fault = undefined;
          hold.open();
        }
      });

      test("after a reload mid-multipart, Golden Retriever's restore sends only the missing parts", async () => {
        const page = await openUppy(major, js);
        const hold = gate();
        dev.fault = async (_request, url) => {
          if (Number(url.searchParams.get("partNumber") ?? 0) <= 4) return undefined;
          await hold.opened;
          return new Response(null, { status: 503 });
        };
        const before = dev.seen.length;
        try {
          await addFile(page, "file", clipPath);
          await page.evaluate("void window.uppy.upload()");
          await eventually(() => dev.storedParts(before).length === 4, "parts 1-4 stored", 30_000);
          await page.reload();
          await loadUppy(page);
        } finally {
          dev.fault = undefined;
          hold.open();
        }
        // Golden Retriever puts the file back, its bytes from IndexedDB.
        await page.waitForFunction(
          `window.uppy.getFiles().length === 1 && !window.uppy.getFiles()[0].isGhost
            && window.uppy.getFiles()[0].data?.size === ${clip.length}`,
          undefined,
          { timeout: 30_000 },
        );
        const afterReload = dev.seen.length;
        // Uppy 4 emits no `complete` after a restore: the file's own state says when it is done.
        await page.evaluate('window.uppy.emit("restore-confirmed")');
        await page.waitForFunction(
          "window.uppy.getFiles()[0].progress.uploadComplete || window.uppy.getFiles()[0].error",
          undefined,
          { timeout: 60_000 },
        );
        const restored = (await page.evaluate(
          "(({ error, response }) => ({ error: error ?? null, record: response?.body }))(window.uppy.getFiles()[0])",
        )) as { error: string | null; record: Record<string, unknown> };
        assert.equal(restored.error, null);
        const partCount = Math.ceil(clip.length / PART_SIZE);
        const sent = dev.seen.slice(afterReload).filter((r) => r.partNumber !== undefined);
        assert.deepEqual(
          sent.map((r) => r.partNumber as number).sort((a, b) => a - b),
          Array.from({ length: partCount - 4 }, (_, i) => i + 5),
          "only the parts the store lacked",
        );
        assert.ok(sent.every((r) => r.status === 200));
        assert.equal(restored.record.size, clip.length);
        assert.equal(
          sha256((await objectBytes(dev, String(restored.record.key))) ?? Buffer.alloc(0)),
          sha256(clip),
        );
      });
    });
  }
});
