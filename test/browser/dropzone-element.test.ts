/**
 * `<sluice-dropzone>` in a plain page in Chromium, against `startDev()`'s real servers
 * (page and upload API on one origin, the store on another behind strict CORS): what the
 * route accepts shown before anything is chosen; a JPEG and a 70 MiB file verified;
 * a refused type and an oversize file stopped before any request; cancel and retry;
 * drop and paste; a route switched on the element; the keyboard alone; axe-core in each
 * state; screenshots at three widths, light and dark.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import {
  axeViolations,
  bundlePage,
  canvasJpeg,
  fileRow,
  openComponentPage,
  pageHtml,
  ZONE,
} from "./component-pages.js";
import {
  artifactPath,
  type Dev,
  eventually,
  fakeMp4,
  gate,
  gradientPng,
  launchChromium,
  MiB,
  objectBytes,
  sha256,
  signIn,
  startTestDev,
} from "./helpers.js";

const browser = await launchChromium();

/** The page: the element, defined by the auto-define entry, and a log of its events. */
const PAGE_SOURCE = `
import "@sluice/ui/define";
const events = [];
window.sluiceEvents = events;
document.addEventListener("sluice-complete", (event) => {
  events.push({ type: "complete", name: event.detail.file.name, record: event.detail.record });
});
document.addEventListener("sluice-error", (event) => {
  const { error, file } = event.detail;
  events.push({ type: "error", name: file.name, kind: error.kind, code: error.code, message: error.message });
});
`;

const HTML = pageHtml(
  "Your avatar",
  `<sluice-dropzone endpoint="/api/uploads" route="avatar" multiple></sluice-dropzone>`,
);

interface PageEvent {
  readonly type: "complete" | "error";
  readonly name: string;
  readonly record?: { key: string; route: string; size: number; type: string };
  readonly code?: string;
  readonly kind?: string;
  readonly message?: string;
}

describe("<sluice-dropzone> in a plain page in Chromium", { skip: browser === undefined }, () => {
  let dev: Dev;
  let page: Page;
  let js: string;
  let folder: string;
  let jpeg: Buffer;
  /** POSTs to the upload API from the page, counted to prove a refused file asked nothing. */
  let apiPosts = 0;

  before(async () => {
    dev = await startTestDev();
    folder = await mkdtemp(join(tmpdir(), "sluice-dropzone-files-"));
    page = await (browser as Browser).newPage({
      viewport: { width: 1000, height: 900 },
      bypassCSP: true,
    });
    page.on("request", (request) => {
      if (request.method() === "POST" && request.url().startsWith(`${dev.appUrl}/api/uploads`)) {
        apiPosts++;
      }
    });
    await signIn(page, dev.appUrl);
    jpeg = await canvasJpeg(page);
    js = await bundlePage(PAGE_SOURCE);
    await openComponentPage(page, dev.appUrl, HTML, js);
  });

  after(async () => {
    await browser?.close();
    await dev?.close();
  });

  const events = async () => (await page.evaluate("window.sluiceEvents")) as PageEvent[];
  const input = () => page.locator(`${ZONE} input[type=file]`);
  const hint = () => page.locator(`${ZONE} .hint`);
  const waitForStatus = (name: string, status: string, timeout = 30_000) =>
    fileRow(page, name)
      .and(page.locator(`li[data-status="${status}"]`))
      .waitFor({ timeout });
  const assertNoViolations = async (state: string) => {
    const violations = await axeViolations(page);
    assert.deepEqual(violations, [], `axe-core finds no violations when ${state}`);
  };

  test("shows what the route accepts before anything is chosen, and axe finds nothing wrong", async () => {
    await eventually(
      async () => (await hint().textContent())?.includes("up to") ?? false,
      "the hint",
    );
    assert.equal(await hint().textContent(), "JPEG, PNG, WebP or GIF · up to 5 MiB");
    assert.equal(await input().getAttribute("accept"), "image/jpeg,image/png,image/webp,image/gif");
    const choose = page.locator(`${ZONE} button.choose`);
    assert.equal(await choose.textContent(), "Choose files");
    await assertNoViolations("idle");
  });

  test("a JPEG is verified: a preview, the bar at 100%, sluice-complete with the record, the same bytes in the bucket", async () => {
    await input().setInputFiles({ name: "harbour.jpg", mimeType: "image/jpeg", buffer: jpeg });
    await waitForStatus("harbour.jpg", "done");
    const row = fileRow(page, "harbour.jpg");
    assert.equal(await row.locator(".state").textContent(), "Uploaded");
    assert.equal(await row.locator("progress").getAttribute("value"), "100");
    assert.match((await row.locator("img").getAttribute("src")) ?? "", /^blob:/);
    await eventually(
      async () =>
        (await row
          .locator("img")
          .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)) === 320,
      "the preview decoded",
    );
    const live = page.locator(`${ZONE} [role=status]`);
    assert.equal(await live.getAttribute("aria-live"), "polite");
    assert.match((await live.textContent()) ?? "", /harbour\.jpg: uploaded/);
    const complete = (await events()).filter((e) => e.type === "complete");
    assert.equal(complete.length, 1);
    const record = complete[0]?.record;
    assert.match(record?.key ?? "", /^avatar\/alice\/[A-Za-z0-9_-]+\.jpg$/);
    assert.equal(record?.size, jpeg.length);
    assert.equal(record?.type, "image/jpeg");
    const stored = await objectBytes(dev, record?.key ?? "");
    assert.equal(sha256(stored ?? Buffer.alloc(0)), sha256(jpeg));
    await assertNoViolations("done");
  });

  test("a refused type and an oversize file are stopped before any request, saying why", async () => {
    const storeRequests = dev.seen.length;
    const posts = apiPosts;
    const oversize = Buffer.concat([
      gradientPng(64, [0, 0, 0], [255, 255, 255]),
      Buffer.alloc(6 * MiB),
    ]);
    await input().setInputFiles([
      { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("hello\n") },
      { name: "poster.png", mimeType: "image/png", buffer: oversize },
    ]);
    await waitForStatus("notes.txt", "refused");
    await waitForStatus("poster.png", "refused");
    assert.equal(
      await fileRow(page, "notes.txt").locator(".error").textContent(),
      "text/plain files are not allowed here; allowed: image/jpeg, image/png, image/webp, image/gif.",
    );
    assert.match(
      (await fileRow(page, "poster.png").locator(".error").textContent()) ?? "",
      /^The file has 6(\.\d+)? MiB; this route takes at most 5 MiB\.$/,
    );
    assert.equal(await fileRow(page, "poster.png").locator(".state").textContent(), "Not allowed");
    assert.equal(dev.seen.length, storeRequests, "no request reached the store");
    assert.equal(apiPosts, posts, "no upload was asked of the API");
    const errors = (await events()).filter((e) => e.type === "error").map((e) => [e.name, e.code]);
    assert.deepEqual(errors, [
      ["notes.txt", "type_not_allowed"],
      ["poster.png", "too_large"],
    ]);
    await assertNoViolations("showing errors");
    // Refused entries can be dismissed.
    await fileRow(page, "notes.txt").getByRole("button", { name: "Remove notes.txt" }).click();
    await fileRow(page, "poster.png").getByRole("button", { name: "Remove poster.png" }).click();
    assert.equal(await fileRow(page, "notes.txt").count(), 0);
  });

  test("a file dropped on it and a file pasted into it are uploaded", async () => {
    const addBy = (how: "drop" | "paste", name: string) =>
      page.evaluate(`(async () => {
        const bytes = Uint8Array.from(atob(${JSON.stringify(jpeg.toString("base64"))}), (c) => c.charCodeAt(0));
        const data = new DataTransfer();
        data.items.add(new File([bytes], ${JSON.stringify(name)}, { type: "image/jpeg" }));
        const zone = document.querySelector("sluice-dropzone");
        if (${JSON.stringify(how)} === "drop") {
          for (const type of ["dragenter", "dragover", "drop"]) {
            zone.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true, composed: true }));
          }
        } else {
          zone.shadowRoot.querySelector("button.choose").dispatchEvent(
            new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true, composed: true }),
          );
        }
      })()`);
    await addBy("drop", "dropped.jpg");
    await addBy("paste", "pasted.jpg");
    await waitForStatus("dropped.jpg", "done");
    await waitForStatus("pasted.jpg", "done");
    const names = (await events()).filter((e) => e.type === "complete").map((e) => e.name);
    assert.ok(names.includes("dropped.jpg") && names.includes("pasted.jpg"), names.join(", "));
  });

  test("cancel stops an upload and retry sends it again to the end", async () => {
    const hold = gate();
    dev.fault = async (request) => {
      if (request.method !== "PUT") return undefined;
      await hold.opened;
      return new Response(null, { status: 503 });
    };
    try {
      await input().setInputFiles({ name: "slow.jpg", mimeType: "image/jpeg", buffer: jpeg });
      await waitForStatus("slow.jpg", "uploading");
      await eventually(() => dev.seen.some((r) => r.method === "PUT"), "the PUT reached the store");
      await assertNoViolations("uploading");
      const row = fileRow(page, "slow.jpg");
      await row.getByRole("button", { name: "Cancel slow.jpg" }).click();
      await waitForStatus("slow.jpg", "aborted");
      assert.equal(await row.locator(".state").textContent(), "Cancelled");
      assert.equal(await row.getByRole("button", { name: "Cancel slow.jpg" }).isVisible(), false);
      dev.fault = undefined;
      await row.getByRole("button", { name: "Retry slow.jpg" }).click();
      await waitForStatus("slow.jpg", "done");
      const record = (await events()).find(
        (e) => e.type === "complete" && e.name === "slow.jpg",
      )?.record;
      const stored = await objectBytes(dev, record?.key ?? "");
      assert.equal(sha256(stored ?? Buffer.alloc(0)), sha256(jpeg));
    } finally {
      dev.fault = undefined;
      hold.open();
    }
  });

  test("a route switched on the element applies to the next file: 70 MiB goes up in parts and is verified", async () => {
    await page.locator(ZONE).evaluate((zone) => zone.setAttribute("route", "file"));
    await eventually(
      async () => (await hint().textContent())?.endsWith("up to 2 GiB") ?? false,
      "the file route's hint",
    );
    assert.match(
      (await hint().textContent()) ?? "",
      /^PDF, TXT, CSV, .* MP4, WebM, MOV, MKV or OGV · up to 2 GiB$/,
    );
    const bytes = fakeMp4(70 * MiB, 17);
    const path = join(folder, "reel.mp4");
    writeFileSync(path, bytes);
    const since = dev.seen.length;
    await input().setInputFiles(path);
    await waitForStatus("reel.mp4", "done", 180_000);
    const record = (await events()).find(
      (e) => e.type === "complete" && e.name === "reel.mp4",
    )?.record;
    assert.equal(record?.route, "file");
    assert.equal(record?.size, 70 * MiB);
    assert.deepEqual(
      dev.storedParts(since).sort((a, b) => a - b),
      [1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    const stored = await objectBytes(dev, record?.key ?? "");
    assert.equal(sha256(stored ?? Buffer.alloc(0)), sha256(bytes));
  });

  test("the keyboard alone: Tab, Enter and Space choose files; Escape cancels; Enter retries", async () => {
    await openComponentPage(page, dev.appUrl, HTML, js);
    await page.keyboard.press("Tab");
    const focused = () =>
      page.evaluate(
        "(() => { const inner = document.activeElement?.shadowRoot?.activeElement; return inner ? inner.getAttribute('aria-label') ?? inner.textContent : document.activeElement?.tagName; })()",
      );
    assert.equal(await focused(), "Choose files");
    // Focus is visible: the ring the keyboard brings, not the browser's default.
    const ring = await page.evaluate(
      "(() => { const s = getComputedStyle(document.querySelector('sluice-dropzone').shadowRoot.activeElement); return s.outlineStyle + ' ' + s.outlineWidth; })()",
    );
    assert.equal(ring, "solid 3px");
    const choose = async (
      key: string,
      file: { name: string; mimeType: string; buffer: Buffer },
    ) => {
      const chooser = page.waitForEvent("filechooser");
      await page.keyboard.press(key);
      await (await chooser).setFiles(file);
    };
    await choose("Enter", { name: "keys.jpg", mimeType: "image/jpeg", buffer: jpeg });
    await waitForStatus("keys.jpg", "done");

    const hold = gate();
    dev.fault = async (request) => {
      if (request.method !== "PUT") return undefined;
      await hold.opened;
      return new Response(null, { status: 503 });
    };
    try {
      await choose(" ", { name: "held.jpg", mimeType: "image/jpeg", buffer: jpeg });
      await waitForStatus("held.jpg", "uploading");
      await page.keyboard.press("Tab"); // Remove keys.jpg
      await page.keyboard.press("Tab"); // Pause held.jpg
      assert.equal(await focused(), "Pause held.jpg");
      await page.keyboard.press("Escape");
      await waitForStatus("held.jpg", "aborted");
      assert.equal(await focused(), "Retry held.jpg", "focus stays in the row");
      dev.fault = undefined;
      await page.keyboard.press("Enter");
      await waitForStatus("held.jpg", "done");
    } finally {
      dev.fault = undefined;
      hold.open();
    }
  });

  test("looks right at 360, 768 and 1280 px, light and dark (screenshots kept as artifacts)", async () => {
    await openComponentPage(page, dev.appUrl, HTML, js);
    await input().setInputFiles({
      name: "harbour at dusk.jpg",
      mimeType: "image/jpeg",
      buffer: jpeg,
    });
    await waitForStatus("harbour at dusk.jpg", "done");
    await input().setInputFiles({
      name: "notes.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("x"),
    });
    await waitForStatus("notes.txt", "refused");
    const hold = gate();
    dev.fault = async (request) => {
      if (request.method !== "PUT") return undefined;
      await hold.opened;
      return new Response(null, { status: 503 });
    };
    try {
      await input().setInputFiles({ name: "portrait.jpg", mimeType: "image/jpeg", buffer: jpeg });
      await waitForStatus("portrait.jpg", "uploading");
      for (const colorScheme of ["light", "dark"] as const) {
        await page.emulateMedia({ colorScheme });
        for (const width of [360, 768, 1280]) {
          await page.setViewportSize({ width, height: 800 });
          const path = artifactPath(`dropzone-${width}-${colorScheme}.png`);
          await page.screenshot({ path, fullPage: true });
        }
        await page.setViewportSize({ width: 640, height: 800 });
        await page
          .locator(ZONE)
          .screenshot({ path: artifactPath(`dropzone-element-${colorScheme}.png`) });
        await assertNoViolations(`in the ${colorScheme} scheme`);
      }
    } finally {
      dev.fault = undefined;
      hold.open();
      await page.emulateMedia({ colorScheme: "light" });
    }
  });
});
