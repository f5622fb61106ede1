/**
 * `sluice sweep --app MODULE` against the embedded store: uploads left pending by a page
 * that went away are settled by the CLI's one sweep — the one whose file arrived is
 * completed (and the app's onComplete runs in the CLI's process), the other expires.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { SingleUpload } from "@sluice/server";
import { png } from "../server/fixtures.js";
import { makeUploads, type SweepAppConfig } from "./fixtures/sweep-routes.js";
import { sluice, startStore, type TestStore, userEnv } from "./helpers.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
const HOUR_MS = 60 * 60 * 1000;

/**
 * Each test has a store of its own whose clock it moves with the app's: the sweeper signs
 * its requests at the app's time, and a store two hours behind would call them skewed.
 */
const stores: TestStore[] = [];

after(async () => {
  await Promise.all(stores.map((s) => s.close()));
});

/** An app whose page asked for uploads and left: `sent` of them PUT their file, none completed. */
async function abandonedUploads(bucket: string, sent: number, unsent: number) {
  const clock = { offsetMs: 0 };
  const server = await startStore(undefined, {
    now: () => new Date(Date.now() + clock.offsetMs),
  });
  stores.push(server);
  await server.bucket(bucket);
  const config: SweepAppConfig = {
    endpoint: server.url,
    bucket,
    dataDir: mkdtempSync(join(tmpdir(), "sluice-cli-sweep-")),
    clockOffsetMs: 0,
    hookLog: join(mkdtempSync(join(tmpdir(), "sluice-cli-hook-")), "completed.log"),
  };
  writeFileSync(config.hookLog, "");
  const app = makeUploads(config);
  const ids = { sent: [] as string[], unsent: [] as string[] };
  const file = png(256);
  for (let i = 0; i < sent + unsent; i++) {
    const response = await app.handle(
      new Request("http://app.test/api/uploads", {
        method: "POST",
        headers: { "content-type": "application/json", "x-user": "alice" },
        body: JSON.stringify({
          route: "avatars",
          name: `a${i}.png`,
          type: "image/png",
          size: file.length,
        }),
      }),
    );
    assert.equal(response.status, 201);
    const upload = (await response.json()) as SingleUpload;
    if (i < sent) {
      const put = await fetch(upload.url, { method: "PUT", headers: upload.headers, body: file });
      assert.equal(put.status, 200);
      ids.sent.push(upload.id);
    } else {
      ids.unsent.push(upload.id);
    }
  }
  await app.close();
  /** Moves the store's clock with the app's. */
  const later = (offsetMs: number) => {
    clock.offsetMs = offsetMs;
    return { clockOffsetMs: offsetMs };
  };
  return { config, ids, later };
}

function sweepEnv(config: SweepAppConfig, overrides: Partial<SweepAppConfig> = {}) {
  const c = { ...config, ...overrides };
  return userEnv({
    SWEEP_ENDPOINT: c.endpoint,
    SWEEP_BUCKET: c.bucket,
    SWEEP_DATA_DIR: c.dataDir,
    SWEEP_CLOCK_OFFSET_MS: String(c.clockOffsetMs),
    SWEEP_HOOK_LOG: c.hookLog,
  });
}

describe("sluice sweep", { concurrency: true }, () => {
  it("completes the upload whose file arrived and expires the other, once (exit 0)", async () => {
    const { config, ids, later: at } = await abandonedUploads("sweep-settles", 1, 1);
    const app = join(FIXTURES, "sweep-app.ts");

    const early = await sluice(["sweep", "--app", app], { env: sweepEnv(config) });
    assert.equal(early.code, 0, early.stderr);
    assert.match(early.stdout, /✓ swept: 0 completed, 0 rejected, 0 expired/);

    const later = at(2 * HOUR_MS);
    const swept = await sluice(["sweep", "--app", app], { env: sweepEnv(config, later) });
    assert.equal(swept.code, 0, swept.stdout + swept.stderr);
    assert.match(
      swept.stdout,
      /✓ swept: 1 completed, 0 rejected, 1 expired, 0 cleaned, 0 busy, 0 failed, 0 skipped/,
    );
    assert.match(swept.stdout, new RegExp(`completed ${ids.sent[0]}`));
    assert.match(swept.stdout, new RegExp(`expired +${ids.unsent[0]}`));
    assert.equal(readFileSync(config.hookLog, "utf8"), `${ids.sent[0]}\n`);

    const again = await sluice(["sweep", "--app", app, "--json"], { env: sweepEnv(config, later) });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout), {
      completed: [],
      rejected: [],
      expired: [],
      cleaned: [],
      busy: [],
      failed: [],
      skipped: [],
      orphans: [],
    });
  });

  it("takes the handler as the default export too", async () => {
    const { config, ids, later } = await abandonedUploads("sweep-default", 0, 1);
    const swept = await sluice(
      ["sweep", "--app", join(FIXTURES, "sweep-app-default.ts"), "--json"],
      {
        env: sweepEnv(config, later(2 * HOUR_MS)),
      },
    );
    assert.equal(swept.code, 0, swept.stdout + swept.stderr);
    assert.deepEqual(JSON.parse(swept.stdout).expired, ids.unsent);
  });

  it("exits 1 when uploads cannot be settled now (the store unreachable), and says they are retried", async () => {
    const { config, ids, later } = await abandonedUploads("sweep-fails", 1, 0);
    const swept = await sluice(["sweep", "--app", join(FIXTURES, "sweep-app.ts")], {
      env: sweepEnv(config, { ...later(2 * HOUR_MS), endpoint: "http://127.0.0.1:9" }),
    });
    assert.equal(swept.code, 1, swept.stderr);
    assert.match(
      swept.stdout,
      /✗ swept: 0 completed, 0 rejected, 0 expired, 0 cleaned, 0 busy, 2 failed/,
    );
    assert.match(swept.stdout, new RegExp(`failed +${ids.sent[0]}: `));
    // The look for multipart uploads no upload holds failed too, and says so.
    assert.match(swept.stdout, /failed +multipart uploads under the routes' keys: /);
    assert.match(swept.stdout, /tried again by the next sweep/);
  });

  it("refuses a module without a handler, or no module, with exit 2", async () => {
    const none = await sluice(["sweep", "--app", join(FIXTURES, "not-an-app.ts")]);
    assert.equal(none.code, 2);
    assert.match(
      none.stderr,
      /has no default export and no export named "uploads" with a sweep\(\) method/,
    );
    assert.match(none.stderr, /it exports answer/);
    const missing = await sluice(["sweep", "--app", "./no-such-module.js"]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--app: no module at .*no-such-module\.js/);
    const noFlag = await sluice(["sweep"]);
    assert.equal(noFlag.code, 2);
    assert.match(noFlag.stderr, /--app \.\/uploads\.js/);
  });
});
