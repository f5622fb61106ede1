/**
 * A page on an origin the bucket's CORS rules do not name is refused by the browser
 * itself, and the page says why and how to check. The third origin is the same app at
 * `http://localhost:PORT`: the rules name `http://127.0.0.1:PORT`, and to a browser
 * those are two origins, the most common way to meet this refusal.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import {
  chooseRoute,
  type Dev,
  gradientPng,
  launchChromium,
  newestRow,
  PICKER,
  signIn,
  startTestDev,
  waitForRow,
} from "./helpers.js";

const browser = await launchChromium();

describe("a page on an origin the bucket's CORS rules do not allow", {
  skip: browser === undefined,
}, () => {
  let dev: Dev;
  let page: Page;

  before(async () => {
    dev = await startTestDev();
    page = await (browser as Browser).newPage();
  });

  after(async () => {
    await browser?.close();
    await dev?.close();
  });

  test("is refused by the browser at the preflight, and the page names the cause and the check", async () => {
    const thirdOrigin = dev.appUrl.replace("127.0.0.1", "localhost");
    assert.deepEqual(dev.cors.rules[0]?.allowedOrigins, [dev.appUrl]);
    await signIn(page, thirdOrigin);
    await chooseRoute(page, "avatar");
    const before = dev.seen.length;
    await page.locator(PICKER).setInputFiles({
      name: "portrait.png",
      mimeType: "image/png",
      buffer: gradientPng(32, [200, 60, 60], [40, 40, 120]),
    });
    await waitForRow(page, "failed", 20_000);
    const message = (await newestRow(page).locator(".error").textContent()) ?? "";
    assert.match(message, /CORS rules do not allow this page's origin \(http:\/\/localhost:\d+\)/);
    assert.ok(
      message.includes(
        `sluice cors check --endpoint-url ${dev.storeUrl} --bucket ${dev.bucket} --origin ${thirdOrigin} --method PUT`,
      ),
      message,
    );
    // The store refused each preflight; no PUT ever reached it.
    const seen = dev.seen.slice(before);
    const preflights = seen.filter((r) => r.method === "OPTIONS");
    assert.ok(preflights.length >= 1);
    assert.ok(preflights.every((r) => r.status === 403));
    assert.equal(seen.filter((r) => r.method === "PUT").length, 0);
  });
});
