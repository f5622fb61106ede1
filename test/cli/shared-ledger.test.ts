/**
 * The commands on a PostgreSQL ledger, chosen by DATABASE_URL as a deployment sets it:
 * `sluice sweep` settles uploads another process created (a cron job sweeping for every
 * app instance), and `sluice dev` keeps its ledger there; a URL it cannot use stops
 * `sluice dev` at start with one line saying why.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { LEDGER_FILE, openLedger, type SingleUpload } from "@sluice/server";
import { postgresForTests } from "../../packages/server/test/postgres.js";
import { png } from "../server/fixtures.js";
import { makeUploads, type SweepAppConfig } from "./fixtures/sweep-routes.js";
import { sluice, startStore, type TestStore, userEnv } from "./helpers.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
const CLI = fileURLToPath(new URL("../browser/sluice-cli.ts", import.meta.url));
const HOUR_MS = 60 * 60 * 1000;
const postgres = postgresForTests();

const tempDir = (name: string) => mkdtempSync(join(tmpdir(), `sluice-cli-${name}-`));

/** `sluice dev` on free ports; resolves with its output once it says where it runs, or exits. */
async function startDev(env: NodeJS.ProcessEnv): Promise<{
  child: ChildProcess;
  output: () => string;
  exitCode: Promise<number | null>;
}> {
  const child = spawn(
    process.execPath,
    [
      "--conditions=source",
      "--import",
      "tsx",
      CLI,
      "dev",
      "--port",
      "0",
      "--store-port",
      "0",
      "--quiet",
      "--data",
      tempDir("dev"),
    ],
    { stdio: ["ignore", "pipe", "pipe"], env },
  );
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exitCode = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const deadline = Date.now() + 30_000;
  while (!/Press Ctrl\+C to stop/.test(output) && child.exitCode === null) {
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`sluice dev did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { child, output: () => output, exitCode };
}

describe("sluice dev refuses a DATABASE_URL it cannot use", () => {
  it("another database's URL: a usage error (exit 2) saying what it takes", async () => {
    const dev = await startDev(userEnv({ DATABASE_URL: "mysql://app@db/app" }));
    assert.equal(await dev.exitCode, 2, dev.output());
    assert.match(
      dev.output(),
      /^sluice dev: DATABASE_URL is a mysql: URL, but the upload ledger runs on PostgreSQL/m,
    );
  });

  it("a database out of reach: exit 1, naming it without its password", async () => {
    const nowhere = `postgresql://app:hunter2@/app?host=${encodeURIComponent(tempDir("nowhere"))}&port=1`;
    const dev = await startDev(userEnv({ DATABASE_URL: nowhere }));
    assert.equal(await dev.exitCode, 1, dev.output());
    assert.match(
      dev.output(),
      /^sluice dev: cannot open the PostgreSQL ledger at postgresql:\/\/app:\*\*\*@\/app\?host=/m,
    );
    assert.doesNotMatch(dev.output(), /hunter2/);
  });
});

describe("the commands on a PostgreSQL ledger from DATABASE_URL", { skip: postgres.skip }, () => {
  let store: TestStore;
  const clock = { offsetMs: 0 };

  before(async () => {
    await postgres.start();
    store = await startStore(undefined, { now: () => new Date(Date.now() + clock.offsetMs) });
  });
  after(async () => {
    await store.close();
    await postgres.close();
  });

  it("sluice sweep settles uploads another process left in the shared ledger", async () => {
    const databaseUrl = await postgres.server().schemaUrl();
    await store.bucket("swept");
    const config: SweepAppConfig = {
      endpoint: store.url,
      bucket: "swept",
      dataDir: tempDir("app"),
      clockOffsetMs: 0,
      hookLog: join(tempDir("hook"), "completed.log"),
    };
    writeFileSync(config.hookLog, "");
    // An app instance, its ledger from DATABASE_URL: one upload arrives, one never does.
    const saved = process.env.DATABASE_URL;
    process.env.DATABASE_URL = databaseUrl;
    const app = makeUploads(config);
    if (saved === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved;
    const ids: string[] = [];
    for (const sent of [true, false]) {
      const response = await app.handle(
        new Request("http://app.test/api/uploads", {
          method: "POST",
          headers: { "content-type": "application/json", "x-user": "alice" },
          body: JSON.stringify({ route: "avatars", name: "a.png", type: "image/png", size: 256 }),
        }),
      );
      assert.equal(response.status, 201);
      const upload = (await response.json()) as SingleUpload;
      if (sent) {
        const put = await fetch(upload.url, {
          method: "PUT",
          headers: upload.headers,
          body: png(256),
        });
        assert.equal(put.status, 200);
      }
      ids.push(upload.id);
    }
    await app.close();
    assert.equal(existsSync(join(config.dataDir, LEDGER_FILE)), false, "no SQLite ledger");

    // The cron job: another process, another data folder, the same DATABASE_URL.
    clock.offsetMs = 2 * HOUR_MS;
    const swept = await sluice(["sweep", "--app", join(FIXTURES, "sweep-app.ts"), "--json"], {
      env: userEnv({
        DATABASE_URL: databaseUrl,
        SWEEP_ENDPOINT: config.endpoint,
        SWEEP_BUCKET: config.bucket,
        SWEEP_DATA_DIR: tempDir("cron"),
        SWEEP_CLOCK_OFFSET_MS: String(clock.offsetMs),
        SWEEP_HOOK_LOG: config.hookLog,
      }),
    });
    assert.equal(swept.code, 0, swept.stdout + swept.stderr);
    const report = JSON.parse(swept.stdout) as { completed: string[]; expired: string[] };
    assert.deepEqual(report.completed, [ids[0]]);
    assert.deepEqual(report.expired, [ids[1]]);
    assert.equal(readFileSync(config.hookLog, "utf8"), `${ids[0]}\n`);

    const ledger = await openLedger({ databaseUrl });
    try {
      assert.equal((await ledger.get(ids[0] ?? ""))?.status, "complete");
      assert.equal((await ledger.get(ids[1] ?? ""))?.status, "expired");
    } finally {
      await ledger.close();
    }
  });

  it("sluice dev keeps its uploads in the PostgreSQL ledger and says so", async () => {
    const databaseUrl = await postgres.server().schemaUrl();
    const dev = await startDev(userEnv({ DATABASE_URL: databaseUrl }));
    try {
      assert.equal(dev.child.exitCode, null, dev.output());
      const shown = /^ {2}ledger +(.+)$/m.exec(dev.output())?.[1];
      assert.equal(shown, `PostgreSQL ${databaseUrl}`);
      const appUrl = /app \(page \+ upload API\)\s+(http:\S+)/.exec(dev.output())?.[1];
      assert.ok(appUrl, dev.output());

      const session = await fetch(`${appUrl}/api/session`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "alice" }),
      });
      assert.equal(session.status, 200);
      const cookie = (session.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
      const created = await fetch(`${appUrl}/api/uploads`, {
        method: "POST",
        headers: { "content-type": "application/json", cookie },
        body: JSON.stringify({ route: "avatar", name: "me.png", type: "image/png", size: 512 }),
      });
      assert.equal(created.status, 201, await created.clone().text());
      const { id } = (await created.json()) as SingleUpload;

      const ledger = await openLedger({ databaseUrl });
      try {
        const intent = await ledger.get(id);
        assert.equal(intent?.status, "pending");
        assert.equal(intent?.route, "avatar");
      } finally {
        await ledger.close();
      }
    } finally {
      dev.child.kill("SIGTERM");
      assert.equal(await dev.exitCode, 0, dev.output());
    }
  });
});
