/**
 * The demo in Chromium, against `startDev()`'s real servers: page and API on one
 * origin, the store on another behind strict CORS. Uploads that work (one PUT, and 64
 * MiB in parallel parts), uploads the API refuses before a byte is sent or after
 * looking at the bytes, a cancel mid-upload, and screenshots of the page at the end.
 */
import assert from "node:assert/strict";
import { statSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import {
  artifactPath,
  chooseRoute,
  type Dev,
  eventually,
  fakeMp4,
  gate,
  gradientPng,
  launchChromium,
  MiB,
  newestRow,
  objectBytes,
  objectKeys,
  openMultipartUploads,
  PICKER,
  sha256,
  signIn,
  startTestDev,
  waitForRow,
} from "./helpers.js";
import { BAR_CHANGES, RECORD_BAR_CHANGES, thumbnailLoaded } from "./page-scripts.js";

const browser = await launchChromium();

describe("the demo page in Chromium", { skip: browser === undefined }, () => {
  let dev: Dev;
  let page: Page;
  let folder: string;

  before(async () => {
    dev = await startTestDev();
    folder = await mkdtemp(join(tmpdir(), "sluice-browser-files-"));
    page = await (browser as Browser).newPage({ viewport: { width: 1000, height: 900 } });
    await signIn(page, dev.appUrl);
  });

  after(async () => {
    await browser?.close();
    await dev?.close();
  });

  /** The newest upload row. */
  const row = () => newestRow(page);

  test("an image goes up in one PUT; the bar reaches 100% only when done; the object is byte-identical", async () => {
    // Bytes after IEND: still a PNG to decoders and to the magic-byte check, and 3 MiB,
    // so the bar moves in steps.
    const image = Buffer.concat([
      gradientPng(160, [31, 111, 235], [255, 184, 108]),
      Buffer.alloc(3 * MiB, 7),
    ]);
    await chooseRoute(page, "avatar");
    await page.evaluate(RECORD_BAR_CHANGES);
    await page.locator(PICKER).setInputFiles({
      name: "sunrise.png",
      mimeType: "image/png",
      buffer: image,
    });
    await waitForRow(page, "done");
    const key = (await row().getAttribute("data-key")) ?? "";
    assert.match(key, /^avatar\/alice\/[A-Za-z0-9_-]+\.png$/);
    assert.equal(await row().locator("progress").getAttribute("value"), "100");

    const log = (await page.evaluate(BAR_CHANGES)) as [number, string][];
    const values = log.map(([value]) => value);
    assert.deepEqual(
      values,
      [...values].sort((a, b) => a - b),
      "the bar never moves back",
    );
    assert.equal(values.at(-1), 100);
    for (const [value, status] of log) {
      if (value === 100) assert.equal(status, "done", "100% only once the upload is verified");
    }

    const stored = await objectBytes(dev, key);
    assert.ok(stored, "the object is in the store");
    assert.equal(sha256(stored), sha256(image));
    const puts = dev.seen.filter((r) => r.method === "PUT" && r.url.pathname.endsWith(key));
    assert.deepEqual(
      puts.map((r) => r.status),
      [200],
      "one PUT, straight to the store",
    );
    const preflights = dev.seen.filter((r) => r.method === "OPTIONS");
    assert.ok(preflights.length >= 1 && preflights.every((r) => r.status === 200));

    // Listed, with a thumbnail loaded from the store through a presigned GET.
    await page.locator(`#files li[data-file-key="${key}"]`).waitFor();
    await page.waitForFunction(thumbnailLoaded(key, 160));
  });

  test("64 MiB goes up in 8 parts, 4 at a time, each once, and arrives byte-identical", async () => {
    const bytes = fakeMp4(64 * MiB, 64);
    const path = join(folder, "holiday.mp4");
    writeFileSync(path, bytes);
    const before = dev.seen.length;
    await chooseRoute(page, "file");
    await page.locator(PICKER).setInputFiles(path);
    await waitForRow(page, "done", 90_000);
    const key = (await row().getAttribute("data-key")) ?? "";
    assert.match(key, /^file\/alice\/[A-Za-z0-9_-]+\.mp4$/);

    const parts = dev.seen.slice(before).filter((r) => r.partNumber !== undefined);
    assert.deepEqual(
      parts.map((r) => r.partNumber).sort((a, b) => (a as number) - (b as number)),
      [1, 2, 3, 4, 5, 6, 7, 8],
    );
    assert.ok(parts.every((r) => r.status === 200));
    assert.equal(dev.maxPartsInFlight(), 4, "parts go in parallel, at most 4 at once");
    const stored = await objectBytes(dev, key);
    assert.equal(stored?.length, bytes.length);
    assert.equal(sha256(stored as Buffer), sha256(bytes));
    assert.deepEqual(await openMultipartUploads(dev), []);
  });

  test("a type the route does not take, and a file too large, are refused before a byte is sent", async () => {
    await chooseRoute(page, "avatar");
    const before = dev.seen.length;
    await page.locator(PICKER).setInputFiles({
      name: "report.pdf",
      mimeType: "application/pdf",
      buffer: Buffer.from("%PDF-1.7\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n%%EOF\n"),
    });
    await waitForRow(page, "refused");
    assert.match(
      (await row().locator(".error").textContent()) ?? "",
      /application\/pdf files are not allowed here; allowed: image\/jpeg, image\/png, image\/webp, image\/gif/,
    );

    await page.locator(PICKER).setInputFiles({
      name: "poster.png",
      mimeType: "image/png",
      buffer: Buffer.concat([gradientPng(8, [0, 0, 0], [255, 255, 255]), Buffer.alloc(6 * MiB)]),
    });
    await waitForRow(page, "refused");
    assert.match(
      (await row().locator(".error").textContent()) ?? "",
      /^The file has 6 MiB; this route takes at most 5 MiB\.$/,
    );
    assert.deepEqual(dev.seen.slice(before), [], "the store saw nothing of either");
  });

  test("HTML named .jpg is stored, then refused when the API looks at its bytes, and deleted", async () => {
    await chooseRoute(page, "avatar");
    const before = dev.seen.length;
    await page.locator(PICKER).setInputFiles({
      name: "cat.jpg",
      mimeType: "image/jpeg",
      buffer: Buffer.from(
        "<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>\n",
      ),
    });
    await waitForRow(page, "failed");
    const message = (await row().locator(".error").textContent()) ?? "";
    assert.match(message, /not image\/jpeg/);
    assert.match(message, /HTML/);
    assert.match(message, /deleted/);
    const put = dev.seen.slice(before).find((r) => r.method === "PUT");
    assert.equal(put?.status, 200, "the bytes did reach the store");
    const key = decodeURIComponent(
      (put as { url: URL }).url.pathname.split("/").slice(2).join("/"),
    );
    assert.equal(await objectBytes(dev, key), undefined, "and are gone from it");
  });

  test("cancel in the middle of a multipart upload leaves no object and no open upload", async () => {
    const bytes = fakeMp4(40 * MiB, 40);
    const path = join(folder, "interview.mp4");
    writeFileSync(path, bytes);
    // Parts 1 and 2 go through; the rest hang in the store until the test is over.
    const hold = gate();
    dev.fault = async (_request, url) => {
      const part = Number(url.searchParams.get("partNumber") ?? 0);
      if (part < 3) return undefined;
      await hold.opened;
      return new Response(null, { status: 503 });
    };
    const before = dev.seen.length;
    try {
      await chooseRoute(page, "file");
      await page.locator(PICKER).setInputFiles(path);
      await eventually(() => dev.storedParts(before).length >= 2, "parts 1 and 2 stored", 30_000);
      assert.equal((await openMultipartUploads(dev)).length, 1);
      await row().locator("button[data-action=cancel]").click();
      await waitForRow(page, "aborted");
      await eventually(
        async () => (await openMultipartUploads(dev)).length === 0,
        "the multipart upload aborted in the store",
      );
      assert.equal(await row().locator(".error").textContent(), "");
      const partPath = dev.seen.slice(before).find((r) => r.partNumber === 1)?.url.pathname ?? "";
      const key = decodeURIComponent(partPath.split("/").slice(2).join("/"));
      assert.match(key, /^file\/alice\//);
      assert.ok(!(await objectKeys(dev)).includes(key), "no object at the key");
    } finally {
      dev.fault = undefined;
      hold.open();
    }
  });

  test("the page after uploads, as people see it (screenshots kept as artifacts)", async () => {
    await chooseRoute(page, "avatar");
    await page.locator(PICKER).setInputFiles({
      name: "lagoon.png",
      mimeType: "image/png",
      buffer: gradientPng(200, [20, 160, 140], [250, 240, 180]),
    });
    await waitForRow(page, "done");
    await page.waitForFunction("document.querySelectorAll('#files li').length >= 3");
    // Let the bars' width transition (0.2 s) finish.
    await page.waitForTimeout(400);
    const desktop = artifactPath("demo-desktop.png");
    await page.screenshot({ path: desktop, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    const phone = artifactPath("demo-phone.png");
    await page.screenshot({ path: phone, fullPage: true });
    assert.ok(statSync(desktop).size > 10_000);
    assert.ok(statSync(phone).size > 10_000);
    process.stdout.write(`screenshots: ${desktop}, ${phone}\n`);
  });
});
