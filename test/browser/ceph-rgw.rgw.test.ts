/**
 * The demo in Chromium with a Ceph RGW as the storage (`npm run test:rgw`): the page and
 * upload API on one origin, RGW on another, the bucket's CORS rules applied with
 * `sluice cors put` and checked with `sluice doctor` as an operator would, both run as
 * the real command. One PUT with progress, 64 MiB in parallel parts, a cancel in the
 * middle, and a page on a third origin refused by RGW at the preflight.
 *
 * What the store saw is read from radosgw's own request log; what the page sent, from
 * Chromium's network events. The browser's upload is slowed for the cancel (Chromium's
 * own network throttling), so the parts are still in flight when the button is pressed.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseCors } from "@sluice/cors";
import { storeRequest } from "@sluice/demo";
import type { Browser, Page, Request } from "playwright-core";
import { sluice, userEnv, workdir } from "../cli/helpers.js";
import { type RgwLogEntry, RgwRequestLog, requireRgw, uniqueBucket } from "../rgw-env.js";
import {
  type BucketAccess,
  chooseRoute,
  type DemoAppServer,
  eventually,
  fakeMp4,
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
  startDemoApp,
  waitForRow,
} from "./helpers.js";
import { BAR_CHANGES, RECORD_BAR_CHANGES, thumbnailLoaded } from "./page-scripts.js";

const rgw = requireRgw();
if (!rgw.log) throw new Error("SLUICE_RGW_LOG is not set: scripts/ceph-rgw.sh writes it");
const rgwLog = new RgwRequestLog(rgw.log);
const browser = await launchChromium();

/** A request the page sent to the store, as Chromium saw it. */
interface PageRequest {
  readonly method: string;
  readonly url: URL;
  readonly partNumber: number | undefined;
  status: number | undefined;
}

/** Records the page's requests to `origin`, and the most part PUTs in flight at once. */
function watchRequests(page: Page, origin: string) {
  const sent: PageRequest[] = [];
  const byRequest = new Map<Request, PageRequest>();
  let inFlight = 0;
  let maxInFlight = 0;
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.origin !== origin) return;
    const partNumber =
      request.method() === "PUT" && url.searchParams.has("uploadId")
        ? Number(url.searchParams.get("partNumber"))
        : undefined;
    const entry: PageRequest = { method: request.method(), url, partNumber, status: undefined };
    sent.push(entry);
    byRequest.set(request, entry);
    if (partNumber !== undefined) maxInFlight = Math.max(maxInFlight, ++inFlight);
  });
  // A part is in flight until its answer arrives: Chromium reports the response before
  // the page's XHR sees it (and so before the page starts another part), where
  // "requestfinished" may come after the next part's request.
  const settle = (request: Request, status: number) => {
    const entry = byRequest.get(request);
    if (!entry) return;
    byRequest.delete(request);
    entry.status = status;
    if (entry.partNumber !== undefined) inFlight--;
  };
  page.on("response", (response) => settle(response.request(), response.status()));
  page.on("requestfailed", (request) => settle(request, 0));
  return { sent, maxPartsInFlight: () => maxInFlight };
}

/** The store's log entries for `key` (path-style: `/bucket/key`), from `mark` on. */
function rgwSaw(mark: number, bucket: string, key: string): RgwLogEntry[] {
  const path = `/${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
  return rgwLog.since(mark).filter((entry) => entry.path === path);
}

describe("the demo page in Chromium, storing into Ceph RGW", {
  skip: browser === undefined,
}, () => {
  let app: DemoAppServer;
  let bucket: string;
  let access: BucketAccess;
  let page: Page;
  let watched: ReturnType<typeof watchRequests>;
  const env = userEnv({
    AWS_ACCESS_KEY_ID: rgw.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: rgw.credentials.secretAccessKey,
  });
  const storage = () => [
    "--endpoint-url",
    rgw.endpoint,
    "--bucket",
    bucket,
    "--region",
    rgw.region,
  ];

  before(async () => {
    bucket = uniqueBucket("demo");
    access = { storeUrl: rgw.endpoint, bucket, credentials: rgw.credentials };
    const created = await storeRequest("PUT", `${rgw.endpoint}/${bucket}`, rgw.credentials);
    assert.equal(created.status, 200, await created.text());
    app = await startDemoApp({
      endpoint: rgw.endpoint,
      bucket,
      region: rgw.region,
      credentials: rgw.credentials,
    });

    // The operator's steps: generate the rules for the app's origin, put them, check them.
    const cwd = workdir();
    const generated = await sluice(["cors", "generate", "--origin", app.appUrl, "--read"], {
      env,
      cwd,
    });
    assert.equal(generated.code, 0, generated.stderr);
    const rules = parseCors(generated.stdout);
    assert.deepEqual(rules.rules[0]?.allowedHeaders, app.app.uploads.signedHeaders);
    writeFileSync(join(cwd, "cors.json"), generated.stdout);
    const put = await sluice(
      ["cors", "put", ...storage(), "--cors-configuration", "file://cors.json"],
      { env, cwd },
    );
    assert.equal(put.code, 0, put.stdout + put.stderr);
    assert.match(put.stdout, new RegExp(`✓ set 1 CORS rule on bucket ${bucket}`));
    const doctor = await sluice(["doctor", ...storage(), "--origin", app.appUrl], { env, cwd });
    assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
    assert.doesNotMatch(doctor.stdout, /✗/);
    for (const check of [
      /✓ credentials work/,
      /✓ preflight from \S+ for PUT with content-type, if-none-match, x-amz-checksum-sha256 passes: 200/,
      /✓ a signed PUT from \S+ to bucket \S+ succeeded \(200\) and the page can read the answer/,
      /✓ the page can read the ETag/,
    ]) {
      assert.match(doctor.stdout, check);
    }

    page = await (browser as Browser).newPage({ viewport: { width: 1000, height: 900 } });
    watched = watchRequests(page, new URL(rgw.endpoint).origin);
    await signIn(page, app.appUrl);
  });

  after(async () => {
    await browser?.close();
    await app?.close();
  });

  const row = () => newestRow(page);

  test("an image goes up in one PUT with a bar that reaches 100% only when done, byte-identical in RGW", async () => {
    const image = Buffer.concat([
      gradientPng(160, [31, 111, 235], [255, 184, 108]),
      Buffer.alloc(3 * MiB, 7),
    ]);
    const mark = rgwLog.mark();
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
    assert.ok(values.length >= 2, `the bar moved: ${values.join(", ")}`);
    assert.deepEqual(
      values,
      [...values].sort((a, b) => a - b),
      "the bar never moves back",
    );
    assert.equal(values.at(-1), 100);
    for (const [value, status] of log) {
      if (value === 100) assert.equal(status, "done", "100% only once the upload is verified");
    }

    const stored = await objectBytes(access, key);
    assert.ok(stored, "the object is in RGW");
    assert.equal(sha256(stored), sha256(image));
    // RGW saw the page's preflight allowed, then exactly one PUT, straight from the browser.
    await eventually(
      () => rgwSaw(mark, bucket, key).some((e) => e.method === "PUT"),
      "the PUT in radosgw's log",
    );
    const seen = rgwSaw(mark, bucket, key).filter((e) => /Chrome/.test(e.userAgent));
    assert.deepEqual(
      seen.filter((e) => e.method === "PUT").map((e) => e.status),
      [200],
      "one PUT, from Chromium",
    );
    assert.deepEqual(
      seen.filter((e) => e.method === "OPTIONS").map((e) => e.status),
      [200],
      "one preflight, allowed",
    );

    await page.locator(`#files li[data-file-key="${key}"]`).waitFor();
    await page.waitForFunction(thumbnailLoaded(key, 160));
  });

  test("64 MiB goes up in 8 parts, 4 at a time, each once, and arrives byte-identical", async () => {
    const bytes = fakeMp4(64 * MiB, 64);
    const path = join(workdir(), "holiday.mp4");
    writeFileSync(path, bytes);
    const before = watched.sent.length;
    const mark = rgwLog.mark();
    await chooseRoute(page, "file");
    await page.locator(PICKER).setInputFiles(path);
    await waitForRow(page, "done", 120_000);
    const key = (await row().getAttribute("data-key")) ?? "";
    assert.match(key, /^file\/alice\/[A-Za-z0-9_-]+\.mp4$/);

    const parts = watched.sent.slice(before).filter((r) => r.partNumber !== undefined);
    assert.deepEqual(
      parts.map((r) => r.partNumber).sort((a, b) => (a as number) - (b as number)),
      [1, 2, 3, 4, 5, 6, 7, 8],
    );
    assert.ok(
      parts.every((r) => r.status === 200),
      JSON.stringify(parts.map((r) => r.status)),
    );
    assert.equal(watched.maxPartsInFlight(), 4, "parts go in parallel, at most 4 at once");
    await eventually(
      () => rgwSaw(mark, bucket, key).some((e) => e.method === "POST" && e.query.has("uploadId")),
      "the completion in radosgw's log",
    );
    const stored = rgwSaw(mark, bucket, key)
      .filter((e) => e.method === "PUT" && e.query.has("partNumber"))
      .map((e) => [Number(e.query.get("partNumber")), e.status]);
    assert.deepEqual(
      stored.sort((a, b) => (a[0] as number) - (b[0] as number)),
      [1, 2, 3, 4, 5, 6, 7, 8].map((n) => [n, 200]),
      "RGW stored each part once",
    );
    const object = await objectBytes(access, key);
    assert.equal(object?.length, bytes.length);
    assert.equal(sha256(object as Buffer), sha256(bytes));
    assert.deepEqual(await openMultipartUploads(access), []);
  });

  test("cancel in the middle of a multipart upload leaves no object and no open upload in RGW", async () => {
    const bytes = fakeMp4(64 * MiB, 40);
    const path = join(workdir(), "interview.mp4");
    writeFileSync(path, bytes);
    // 8 parts of 8 MiB, 4 at a time, at 16 MiB/s in all: the first four arrive together
    // after about 2 s, and the next four are under way for about 2 s more.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 16 * MiB,
    });
    const before = watched.sent.length;
    const mark = rgwLog.mark();
    try {
      await chooseRoute(page, "file");
      await page.locator(PICKER).setInputFiles(path);
      const parts = () => watched.sent.slice(before).filter((r) => r.partNumber !== undefined);
      await eventually(
        () =>
          parts().filter((r) => r.status === 200).length >= 2 &&
          parts().some((r) => r.status === undefined),
        "two parts stored and more in flight",
        60_000,
      );
      await row().locator("button[data-action=cancel]").click();
      await waitForRow(page, "aborted");
      await eventually(
        async () => (await openMultipartUploads(access)).length === 0,
        "the multipart upload aborted in RGW",
      );
      assert.equal(await row().locator(".error").textContent(), "");
      const key = decodeURIComponent(
        (watched.sent.slice(before).find((r) => r.partNumber === 1)?.url.pathname ?? "")
          .split("/")
          .slice(2)
          .join("/"),
      );
      assert.match(key, /^file\/alice\//);
      assert.ok(!(await objectKeys(access)).includes(key), "no object at the key");
      assert.equal(await objectBytes(access, key), undefined);
      // RGW was told: the API aborted the upload (DELETE ?uploadId), and never completed it.
      await eventually(
        () =>
          rgwSaw(mark, bucket, key).some((e) => e.method === "DELETE" && e.query.has("uploadId")),
        "the abort in radosgw's log",
      );
      assert.ok(
        !rgwSaw(mark, bucket, key).some((e) => e.method === "POST" && e.query.has("uploadId")),
      );
    } finally {
      await cdp.send("Network.emulateNetworkConditions", {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: -1,
      });
      await cdp.detach();
    }
  });

  test("a page on an origin the rules do not name is refused by RGW at the preflight, and says why and what to check", async () => {
    const thirdOrigin = app.appUrl.replace("127.0.0.1", "localhost");
    const other = await (browser as Browser).newPage();
    try {
      const sent = watchRequests(other, new URL(rgw.endpoint).origin);
      const mark = rgwLog.mark();
      await signIn(other, thirdOrigin);
      await chooseRoute(other, "avatar");
      await other.locator(PICKER).setInputFiles({
        name: "portrait.png",
        mimeType: "image/png",
        buffer: gradientPng(32, [200, 60, 60], [40, 40, 120]),
      });
      await waitForRow(other, "failed", 20_000);
      const message = (await newestRow(other).locator(".error").textContent()) ?? "";
      assert.match(
        message,
        /CORS rules do not allow this page's origin \(http:\/\/localhost:\d+\)/,
      );
      assert.ok(
        message.includes(
          `sluice cors check --endpoint-url ${rgw.endpoint} --bucket ${bucket} --origin ${thirdOrigin} --method PUT`,
        ),
        message,
      );
      const put = sent.sent.find((r) => r.method === "PUT");
      assert.ok(put, "the page tried a PUT");
      const key = decodeURIComponent(put.url.pathname.split("/").slice(2).join("/"));
      // RGW refused each preflight; no PUT ever reached it.
      await eventually(
        () => rgwSaw(mark, bucket, key).some((e) => e.method === "OPTIONS"),
        "the preflight in radosgw's log",
      );
      const seen = rgwSaw(mark, bucket, key);
      assert.ok(
        seen.every((e) => e.method === "OPTIONS" && e.status === 403),
        JSON.stringify(seen),
      );
    } finally {
      await other.close();
    }
  });
});
