/**
 * `sluice dev` as `npm start` runs it: a real process with its own ports, the page and
 * the store answering on two origins, the bucket's CORS rules naming exactly the app's
 * origin, a clean stop on SIGTERM, and the data folder (credentials, bucket) reused by
 * the next start.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { storeRequest } from "@sluice/demo";

const CLI = join(import.meta.dirname, "sluice-cli.ts");

interface Running {
  readonly child: ChildProcess;
  readonly appUrl: string;
  readonly storeUrl: string;
  readonly output: () => string;
}

function sluice(args: string[]): ChildProcess {
  return spawn(process.execPath, ["--conditions=source", "--import", "tsx", CLI, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, SLUICE_ACCESS_KEY_ID: "", SLUICE_SECRET_ACCESS_KEY: "" },
  });
}

async function startSluiceDev(dataDir: string): Promise<Running> {
  const child = sluice(["dev", "--port", "0", "--store-port", "0", "--data", dataDir]);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const app = /app \(page \+ upload API\)\s+(http:\S+)/.exec(output)?.[1];
    const store = /store \(S3 API, r2\)\s+(http:\S+)/.exec(output)?.[1];
    if (app && store) return { child, appUrl: app, storeUrl: store, output: () => output };
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill();
      throw new Error(`sluice dev did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function stop(running: Running): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => running.child.once("exit", resolve));
  running.child.kill("SIGTERM");
  return exited;
}

describe("sluice dev", () => {
  test("serves the page and the store on two origins, with strict CORS, and keeps its data across restarts", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "sluice-dev-"));
    const first = await startSluiceDev(dataDir);
    let keyId: string;
    try {
      assert.match(first.output(), /Sluice dev is running: open http:\/\/127\.0\.0\.1:\d+/);
      const page = await fetch(`${first.appUrl}/`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
      assert.match(await page.text(), /<sluice-dropzone id="drop" endpoint="\/api\/uploads"/);
      const script = await fetch(`${first.appUrl}/app.js`);
      assert.equal(script.status, 200);
      assert.match(
        page.headers.get("content-security-policy") ?? "",
        new RegExp(`connect-src 'self' ${first.storeUrl}`),
      );

      // Uploads need a session: none, 401.
      const anonymous = await fetch(`${first.appUrl}/api/uploads`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ route: "avatar", name: "a.png", type: "image/png", size: 10 }),
      });
      assert.equal(anonymous.status, 401);

      const credentials = JSON.parse(
        readFileSync(join(dataDir, "store", "credentials.json"), "utf8"),
      ) as { accessKeyId: string; secretAccessKey: string };
      keyId = credentials.accessKeyId;
      const cors = await storeRequest("GET", `${first.storeUrl}/uploads?cors`, credentials);
      assert.equal(cors.status, 200);
      const xml = await cors.text();
      assert.deepEqual(
        [...xml.matchAll(/<AllowedOrigin>([^<]*)<\/AllowedOrigin>/g)].map((m) => m[1]),
        [first.appUrl],
        "exactly the app's origin",
      );
      assert.deepEqual(
        [...xml.matchAll(/<AllowedMethod>([^<]*)<\/AllowedMethod>/g)].map((m) => m[1]),
        ["PUT", "GET", "HEAD"],
      );
      assert.deepEqual(
        [...xml.matchAll(/<AllowedHeader>([^<]*)<\/AllowedHeader>/g)].map((m) => m[1]),
        ["content-type", "if-none-match", "x-amz-checksum-sha256"],
      );
      assert.match(xml, /<ExposeHeader>ETag<\/ExposeHeader>/);
      assert.match(xml, /<MaxAgeSeconds>\d+<\/MaxAgeSeconds>/);
    } finally {
      assert.equal(await stop(first), 0);
    }

    // Again, on the same folder: the same keys, the bucket already there.
    const second = await startSluiceDev(dataDir);
    try {
      assert.ok(second.output().includes(keyId));
      assert.equal((await fetch(`${second.appUrl}/`)).status, 200);
    } finally {
      assert.equal(await stop(second), 0);
    }
  });

  test("refuses a bad port with a usage error (exit 2)", async () => {
    const child = sluice(["dev", "--port", "http"]);
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    assert.equal(code, 2);
    assert.match(stderr, /sluice dev: --port must be 0\.\.65535, not http/);
  });
});
