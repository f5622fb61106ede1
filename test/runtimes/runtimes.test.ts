/**
 * The upload API hosted where its users deploy it, each host with its real runtime or
 * framework from npm, all through one flow (`flow.ts`) against the embedded store:
 * Node `http`, Express 5, Fastify 5 and Hono on Node 20, 22 and 24; Bun; Deno; Next.js
 * (a production build, made once); and workerd through `wrangler dev` (local: no login,
 * no network), the sweep through a scheduled event, with a D1 ledger and again with a
 * PostgreSQL one (the tests' throw-away server, `packages/server/test/postgres.ts`).
 *
 * The hosts use the built packages (`dist/`, as `npm test` leaves them), as an app
 * would. Versions are pinned in package.json: bun 1.4.5 and deno 2.9.6 (their npm
 * packages carry the binaries); wrangler 4.164.0 needs Node 22.12+, so it runs on the
 * Node 22 from the `node` package; next 16.5.0 runs on Node 20.9+; miniflare
 * 4.20260730.0 (the ledger suite's local D1, `ledger.test.ts` here) is the last 4.x, whose
 * options are the documented ones (wrangler carries a 5.x beta of its own), on Node 22.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { postgresForTests } from "../../packages/server/test/postgres.js";
import { startStore, type TestStore } from "../server/helpers.js";
import { sweepOver, uploadFlow } from "./flow.js";
import {
  bin,
  freePort,
  HERE,
  type Host,
  NODE_LINES,
  nodeBinary,
  ROOT,
  startHost,
} from "./hosts.js";

let store: TestStore;
const postgres = postgresForTests();
const hostEnv = (): NodeJS.ProcessEnv => ({
  SLUICE_STORE_URL: store.url,
  SLUICE_BUCKET: store.bucket,
  SLUICE_REGION: store.region,
  SLUICE_KEY_ID: store.credentials.accessKeyId,
  SLUICE_SECRET: store.credentials.secretAccessKey,
  SLUICE_DATA_DIR: mkdtempSync(join(tmpdir(), "sluice-runtime-")),
  // Telemetry and update checks: no network beyond loopback.
  NEXT_TELEMETRY_DISABLED: "1",
  WRANGLER_SEND_METRICS: "false",
  DO_NOT_TRACK: "1",
});

async function withHost(start: () => Promise<Host>, sweep?: (host: Host) => () => Promise<void>) {
  const host = await start();
  try {
    await uploadFlow(host.url, sweep ? sweep(host) : sweepOver(host.url));
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- the host's output:\n${host.output()}`, {
      cause: error,
    });
  } finally {
    await host.stop();
  }
}

const fixture = (name: string) => join(HERE, "fixtures", `${name}.mjs`);

describe("the upload API where its users deploy it", { timeout: 600_000 }, () => {
  before(async () => {
    store = await startStore("r2");
    if (!postgres.skip) await postgres.start();
  });
  after(async () => {
    await store.close();
    await postgres.close();
  });

  const lines = ["20", ...Object.keys(NODE_LINES)] as const;
  for (const line of lines) {
    for (const name of ["node-http", "express", "fastify", "hono"]) {
      it(`${name} on Node ${line}`, async () => {
        const node = line === "20" ? process.execPath : nodeBinary(line as "22" | "24");
        await withHost(() => startHost(name, node, [fixture(name)], { env: hostEnv() }));
      });
    }
  }

  it("Bun.serve, the ledger on bun:sqlite", async () => {
    await withHost(() => startHost("bun", bin("bun"), [fixture("bun")], { env: hostEnv() }));
  });

  it("Deno.serve, the ledger on node:sqlite", async () => {
    await withHost(() =>
      startHost("deno", bin("deno"), ["run", "--allow-all", fixture("deno")], {
        env: hostEnv(),
      }),
    );
  });

  it("Next.js route handlers, a production build", async () => {
    const app = join(HERE, "next");
    const next = join(ROOT, "node_modules", "next", "dist", "bin", "next");
    const build = await startHost("next build", process.execPath, [next, "build", app], {
      env: hostEnv(),
      url: "",
      timeoutMs: 300_000,
    }).catch((error: Error) => error);
    // `next build` exits when done: startHost reports that as "did not start".
    if (!(build instanceof Error) || !/Compiled|Route \(app\)/.test(build.message)) {
      throw build instanceof Error ? build : new Error("next build kept running");
    }
    const port = await freePort();
    await withHost(() =>
      startHost(
        "next start",
        process.execPath,
        [next, "start", app, "-p", String(port), "-H", "127.0.0.1"],
        {
          env: hostEnv(),
          url: `http://127.0.0.1:${port}`,
        },
      ),
    );
  });

  it("workerd through wrangler dev, the ledger on D1, the sweep a scheduled event", async () => {
    await withWorker({});
  });

  it("workerd through wrangler dev, the ledger on PostgreSQL, one handler for every request", {
    skip: postgres.skip,
  }, async () => {
    // The same handler serves every request of the flow: no request may be left with
    // another's sockets (workerd refuses that, and the request would hang).
    await withWorker({ DATABASE_URL: await postgres.server().schemaUrl() });
  });
});

/** The flow against `worker/` in `wrangler dev`, with `vars` besides the store's. */
async function withWorker(vars: Record<string, string>) {
  const port = await freePort();
  const env = hostEnv();
  const given = {
    ...Object.fromEntries(
      ["SLUICE_STORE_URL", "SLUICE_BUCKET", "SLUICE_REGION", "SLUICE_KEY_ID", "SLUICE_SECRET"].map(
        (name) => [name, env[name] as string],
      ),
    ),
    ...vars,
  };
  await withHost(
    () =>
      startHost(
        "wrangler dev",
        nodeBinary("22"),
        [
          join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js"),
          "dev",
          "--config",
          join(HERE, "worker", "wrangler.toml"),
          "--ip",
          "127.0.0.1",
          "--port",
          String(port),
          "--test-scheduled",
          "--persist-to",
          env.SLUICE_DATA_DIR as string,
          "--show-interactive-dev-session=false",
          ...Object.entries(given).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
        ],
        {
          env: { ...env, XDG_CONFIG_HOME: env.SLUICE_DATA_DIR },
          url: `http://127.0.0.1:${port}`,
          timeoutMs: 120_000,
        },
      ),
    (host) => async () => {
      // wrangler dev --test-scheduled: a GET here fires the Worker's scheduled().
      const response = await fetch(`${host.url}/__scheduled?cron=*+*+*+*+*`);
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`/__scheduled answered ${response.status}`);
    },
  );
}
