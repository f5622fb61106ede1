/**
 * Big uploads against a store that misbehaves, in Chromium: a part refused once with a
 * 500 is retried alone and the upload completes; a page reloaded with half the parts in
 * the store sends only the other half when the same file is chosen again.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import {
  chooseRoute,
  type Dev,
  eventually,
  fakeMp4,
  gate,
  launchChromium,
  MiB,
  newestRow,
  objectBytes,
  openMultipartUploads,
  PICKER,
  s3ErrorResponse,
  sha256,
  signIn,
  startTestDev,
  waitForRow,
} from "./helpers.js";

const browser = await launchChromium();

describe("multipart uploads that survive the network and a reload, in Chromium", {
  skip: browser === undefined,
}, () => {
  let dev: Dev;
  let page: Page;
  let folder: string;

  before(async () => {
    dev = await startTestDev();
    folder = await mkdtemp(join(tmpdir(), "sluice-browser-files-"));
    page = await (browser as Browser).newPage();
    await signIn(page, dev.appUrl, "bob");
  });

  after(async () => {
    await browser?.close();
    await dev?.close();
  });

  const row = () => newestRow(page);

  test("a part the store refuses once (500 InternalError) is retried alone, and the upload completes", async () => {
    const bytes = fakeMp4(40 * MiB, 7);
    const path = join(folder, "lecture.mp4");
    writeFileSync(path, bytes);
    let refused = false;
    dev.fault = async (request, url) => {
      // The PUT itself: its preflight (same URL, OPTIONS) goes through.
      if (refused || request.method !== "PUT" || url.searchParams.get("partNumber") !== "3") {
        return undefined;
      }
      refused = true;
      // Read the body first, so the browser gets the answer rather than a reset.
      await request.arrayBuffer();
      return s3ErrorResponse(
        request,
        500,
        "InternalError",
        "We encountered an internal error. Please try again.",
      );
    };
    const before = dev.seen.length;
    try {
      await chooseRoute(page, "file");
      await page.locator(PICKER).setInputFiles(path);
      await waitForRow(page, "done", 60_000);
    } finally {
      dev.fault = undefined;
    }
    const parts = dev.seen.slice(before).filter((r) => r.partNumber !== undefined);
    const tries = (n: number) => parts.filter((r) => r.partNumber === n).map((r) => r.status);
    assert.deepEqual(tries(3), [500, 200], "part 3: refused, then sent again");
    for (const n of [1, 2, 4, 5]) assert.deepEqual(tries(n), [200], `part ${n}: once`);
    const key = (await row().getAttribute("data-key")) ?? "";
    assert.equal(sha256((await objectBytes(dev, key)) ?? Buffer.alloc(0)), sha256(bytes));
    assert.equal(await row().locator(".error").textContent(), "");
  });

  test("a preflight the store fails once is retried, and the upload completes", async () => {
    const bytes = fakeMp4(24 * MiB, 24);
    const path = join(folder, "trailer.mp4");
    writeFileSync(path, bytes);
    let failed = false;
    dev.fault = async (request, url) => {
      if (failed || request.method !== "OPTIONS" || url.searchParams.get("partNumber") !== "2") {
        return undefined;
      }
      failed = true;
      return new Response(null, { status: 500 });
    };
    try {
      await chooseRoute(page, "file");
      await page.locator(PICKER).setInputFiles(path);
      await waitForRow(page, "done", 60_000);
    } finally {
      dev.fault = undefined;
    }
    assert.ok(failed);
    const key = (await row().getAttribute("data-key")) ?? "";
    assert.equal(sha256((await objectBytes(dev, key)) ?? Buffer.alloc(0)), sha256(bytes));
  });

  test("pause stops the parts in flight; resume sends them again and completes", async () => {
    const bytes = fakeMp4(40 * MiB, 5);
    const path = join(folder, "concert.mp4");
    writeFileSync(path, bytes);
    const hold = gate();
    dev.fault = async (_request, url) => {
      if (Number(url.searchParams.get("partNumber") ?? 0) <= 2) return undefined;
      await hold.opened;
      return new Response(null, { status: 503 });
    };
    const before = dev.seen.length;
    try {
      await chooseRoute(page, "file");
      await page.locator(PICKER).setInputFiles(path);
      await eventually(() => dev.storedParts(before).length === 2, "parts 1-2 stored", 30_000);
      await row().locator("button[data-action=pause]").click();
      await waitForRow(page, "paused");
      assert.equal(await row().locator("button[data-action=resume]").isVisible(), true);
      assert.equal(await row().locator("button[data-action=pause]").isVisible(), false);
    } finally {
      dev.fault = undefined;
      hold.open();
    }
    const resumedAt = dev.seen.length;
    await row().locator("button[data-action=resume]").click();
    await waitForRow(page, "done", 60_000);
    const sent = dev.seen.slice(resumedAt).filter((r) => r.partNumber !== undefined);
    assert.deepEqual(
      sent.map((r) => r.partNumber).sort((a, b) => (a as number) - (b as number)),
      [3, 4, 5],
      "after resume, only the parts not yet stored",
    );
    const key = (await row().getAttribute("data-key")) ?? "";
    assert.equal(sha256((await objectBytes(dev, key)) ?? Buffer.alloc(0)), sha256(bytes));
  });

  test("after a reload with half the parts stored, choosing the same file sends only the other half", async () => {
    const bytes = fakeMp4(64 * MiB, 99);
    const path = join(folder, "documentary.mp4");
    writeFileSync(path, bytes);
    // Parts 1-4 reach the store; 5-8 hang there until the page has gone.
    const hold = gate();
    dev.fault = async (_request, url) => {
      if (Number(url.searchParams.get("partNumber") ?? 0) <= 4) return undefined;
      await hold.opened;
      return new Response(null, { status: 503 });
    };
    const before = dev.seen.length;
    try {
      await chooseRoute(page, "file");
      await page.locator(PICKER).setInputFiles(path);
      await eventually(() => dev.storedParts(before).length === 4, "parts 1-4 stored", 30_000);
      await page.reload();
      await page.locator("#app").waitFor({ state: "visible" });
    } finally {
      dev.fault = undefined;
      hold.open();
    }
    assert.deepEqual(
      dev.storedParts(before).sort((a, b) => a - b),
      [1, 2, 3, 4],
    );
    const afterReload = dev.seen.length;

    await chooseRoute(page, "file");
    await page.locator(PICKER).setInputFiles(path);
    await waitForRow(page, "done", 60_000);

    const sent = dev.seen.slice(afterReload).filter((r) => r.partNumber !== undefined);
    assert.deepEqual(
      sent.map((r) => r.partNumber).sort((a, b) => (a as number) - (b as number)),
      [5, 6, 7, 8],
      "only the missing parts are sent",
    );
    assert.ok(sent.every((r) => r.status === 200));
    assert.match(
      (await row().locator(".detail").textContent()) ?? "",
      /Resumed: 4 parts were already uploaded/,
    );
    const key = (await row().getAttribute("data-key")) ?? "";
    const stored = await objectBytes(dev, key);
    assert.equal(stored?.length, bytes.length);
    assert.equal(sha256(stored as Buffer), sha256(bytes));
    assert.deepEqual(await openMultipartUploads(dev), []);
  });
});
