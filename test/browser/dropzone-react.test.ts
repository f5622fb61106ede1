/**
 * `UploadDropzone`, `UploadButton` and `useUpload` in React 18 and in React 19, each under
 * StrictMode, in Chromium against `startDev()`'s real servers: a JPEG and a 70 MiB file
 * verified with `onComplete` called once each; a refused type and an oversize file
 * stopped before any request; cancel and retry; a route switched in state, which both
 * the dropzone and `useUpload` follow for the next file.
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
  type ReactVersion,
} from "./component-pages.js";
import {
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

/** The app: a route chosen in state, the dropzone and `useUpload` following it, a button. */
const PAGE_SOURCE = `
import { createElement as h, StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";
import { version } from "react";
import { createUploader } from "@sluice/client";
import { useUpload } from "@sluice/client/react";
import { UploadButton, UploadDropzone } from "@sluice/ui/react";

const log = { complete: [], errors: [] };
window.sluiceLog = log;
window.reactVersion = version;
const onComplete = (via) => (record, file) => log.complete.push({ via, name: file.name, record });
const onError = (via) => (error, file) => log.errors.push({ via, name: file.name, code: error.code, kind: error.kind });
const uploader = createUploader({ endpoint: "/api/uploads" });

function HookUpload({ route }) {
  const { upload, status, record, error } = useUpload(uploader, { route });
  return h("section", { "aria-labelledby": "hook-title" },
    h("h2", { id: "hook-title" }, "With useUpload"),
    h("label", null, "One file ",
      h("input", { id: "hook-input", type: "file", onChange: (event) => {
        const file = event.target.files[0];
        if (file) upload(file).catch(() => {});
      } })),
    h("p", { id: "hook-status", "data-status": status, "data-route": record ? record.route : "" }, status),
    error ? h("p", { role: "alert" }, error.message) : null,
  );
}

function App() {
  const [route, setRoute] = useState("avatar");
  return h("div", null,
    h("fieldset", null,
      h("legend", null, "Upload as"),
      ...["avatar", "file"].map((name) =>
        h("label", { key: name, style: { marginRight: 12 } },
          h("input", { type: "radio", name: "route", value: name, checked: route === name, onChange: () => setRoute(name) }),
          " ", name)),
    ),
    h(UploadDropzone, { id: "zone", route, multiple: true, onComplete: onComplete("zone"), onError: onError("zone") }),
    h("h2", null, "Attachments"),
    h(UploadButton, { id: "button", route: "file", label: "Attach a file", onComplete: onComplete("button"), onError: onError("button") }),
    h(HookUpload, { route }),
  );
}

createRoot(document.getElementById("root")).render(h(StrictMode, null, h(App)));
`;

const HTML = pageHtml("Profile", `<div id="root"></div>`);

interface Logged {
  readonly via: string;
  readonly name: string;
  readonly record?: { key: string; route: string; size: number };
  readonly code?: string;
}

for (const version of ["18", "19"] as ReactVersion[]) {
  describe(`UploadDropzone, UploadButton and useUpload in React ${version} (StrictMode)`, {
    skip: browser === undefined,
  }, () => {
    let dev: Dev;
    let page: Page;
    let folder: string;
    let jpeg: Buffer;
    let apiPosts = 0;

    before(async () => {
      dev = await startTestDev();
      folder = await mkdtemp(join(tmpdir(), `sluice-react${version}-files-`));
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
      await openComponentPage(page, dev.appUrl, HTML, await bundlePage(PAGE_SOURCE, version));
      assert.match(
        (await page.evaluate("window.reactVersion")) as string,
        new RegExp(`^${version}\\.`),
      );
    });

    after(async () => {
      await page?.close();
      await dev?.close();
    });

    const zone = "sluice-dropzone#zone";
    const log = async () =>
      (await page.evaluate("window.sluiceLog")) as { complete: Logged[]; errors: Logged[] };
    const waitForStatus = (name: string, status: string, within = zone, timeout = 30_000) =>
      fileRow(page, name, within)
        .and(page.locator(`li[data-status="${status}"]`))
        .waitFor({ timeout });
    const hint = () => page.locator(`${zone} .hint`);

    test("the dropzone shows the route's policy, and a JPEG is verified with onComplete called once", async () => {
      await eventually(
        async () => (await hint().textContent()) === "JPEG, PNG, WebP or GIF · up to 5 MiB",
        "the hint",
      );
      assert.deepEqual(await axeViolations(page), [], "axe: idle");
      await page.locator(`${zone} input[type=file]`).setInputFiles({
        name: "me.jpg",
        mimeType: "image/jpeg",
        buffer: jpeg,
      });
      await waitForStatus("me.jpg", "done");
      // StrictMode mounts effects twice: the callback is still called exactly once.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const complete = (await log()).complete.filter((e) => e.name === "me.jpg");
      assert.equal(complete.length, 1);
      assert.equal(complete[0]?.via, "zone");
      assert.match(complete[0]?.record?.key ?? "", /^avatar\/alice\//);
      const stored = await objectBytes(dev, complete[0]?.record?.key ?? "");
      assert.equal(sha256(stored ?? Buffer.alloc(0)), sha256(jpeg));
      assert.deepEqual(await axeViolations(page), [], "axe: done");
    });

    test("a refused type and an oversize file are stopped before any request; onError says why", async () => {
      const storeRequests = dev.seen.length;
      const posts = apiPosts;
      await page.locator(`${zone} input[type=file]`).setInputFiles([
        { name: "run.exe", mimeType: "application/x-msdownload", buffer: Buffer.from("MZ") },
        {
          name: "banner.png",
          mimeType: "image/png",
          buffer: Buffer.concat([
            gradientPng(32, [9, 9, 9], [99, 99, 99]),
            Buffer.alloc(5 * MiB + 1),
          ]),
        },
      ]);
      await waitForStatus("run.exe", "refused");
      await waitForStatus("banner.png", "refused");
      assert.match(
        (await fileRow(page, "run.exe", zone).locator(".error").textContent()) ?? "",
        /^application\/x-msdownload files are not allowed here; allowed: image\/jpeg/,
      );
      assert.equal(dev.seen.length, storeRequests, "no request reached the store");
      assert.equal(apiPosts, posts, "no upload was asked of the API");
      const errors = (await log()).errors.map((e) => [e.name, e.code]);
      assert.deepEqual(errors, [
        ["run.exe", "type_not_allowed"],
        ["banner.png", "too_large"],
      ]);
      assert.deepEqual(await axeViolations(page), [], "axe: error");
    });

    test("cancel, then retry to the end", async () => {
      const hold = gate();
      dev.fault = async (request) => {
        if (request.method !== "PUT") return undefined;
        await hold.opened;
        return new Response(null, { status: 503 });
      };
      try {
        await page.locator(`${zone} input[type=file]`).setInputFiles({
          name: "again.jpg",
          mimeType: "image/jpeg",
          buffer: jpeg,
        });
        await waitForStatus("again.jpg", "uploading");
        assert.deepEqual(await axeViolations(page), [], "axe: uploading");
        await fileRow(page, "again.jpg", zone)
          .getByRole("button", { name: "Cancel again.jpg" })
          .click();
        await waitForStatus("again.jpg", "aborted");
        dev.fault = undefined;
        await fileRow(page, "again.jpg", zone)
          .getByRole("button", { name: "Retry again.jpg" })
          .click();
        await waitForStatus("again.jpg", "done");
        const complete = (await log()).complete.filter((e) => e.name === "again.jpg");
        assert.equal(complete.length, 1);
      } finally {
        dev.fault = undefined;
        hold.open();
      }
    });

    test("a route switched in state: the dropzone and useUpload both upload the next file there", async () => {
      const video = fakeMp4(2 * MiB, 5);
      // Before the switch, useUpload uploads to the avatar route.
      await page
        .locator("#hook-input")
        .setInputFiles({ name: "face.jpg", mimeType: "image/jpeg", buffer: jpeg });
      await page.locator('#hook-status[data-status="done"]').waitFor();
      assert.equal(await page.locator("#hook-status").getAttribute("data-route"), "avatar");

      await page.getByRole("radio", { name: "file" }).check();
      await eventually(
        async () => (await hint().textContent())?.endsWith("up to 2 GiB") ?? false,
        "the file route's hint",
      );
      await page
        .locator("#hook-input")
        .setInputFiles({ name: "clip.mp4", mimeType: "video/mp4", buffer: video });
      await page.locator('#hook-status[data-status="done"]').waitFor();
      assert.equal(await page.locator("#hook-status").getAttribute("data-route"), "file");

      await page.locator(`${zone} input[type=file]`).setInputFiles({
        name: "zone-clip.mp4",
        mimeType: "video/mp4",
        buffer: video,
      });
      await waitForStatus("zone-clip.mp4", "done");
      const record = (await log()).complete.find((e) => e.name === "zone-clip.mp4")?.record;
      assert.equal(record?.route, "file");
      assert.match(record?.key ?? "", /^file\/alice\//);
    });

    test("UploadButton takes 70 MiB in parts, verified", async () => {
      const bytes = fakeMp4(70 * MiB, Number(version));
      const path = join(folder, "talk.mp4");
      writeFileSync(path, bytes);
      const button = "sluice-dropzone#button";
      assert.equal(await page.locator(`${button} button.choose`).textContent(), "Attach a file");
      const chooser = page.waitForEvent("filechooser");
      await page.locator(`${button} button.choose`).click();
      await (await chooser).setFiles(path);
      await waitForStatus("talk.mp4", "done", button, 180_000);
      const complete = (await log()).complete.filter((e) => e.name === "talk.mp4");
      assert.equal(complete.length, 1);
      assert.equal(complete[0]?.via, "button");
      assert.equal(complete[0]?.record?.size, 70 * MiB);
      const stored = await objectBytes(dev, complete[0]?.record?.key ?? "");
      assert.equal(sha256(stored ?? Buffer.alloc(0)), sha256(bytes));
    });
  });
}

after(async () => {
  await browser?.close();
});
