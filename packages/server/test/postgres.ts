/**
 * A PostgreSQL server for the tests.
 *
 * - With `SLUICE_TEST_DATABASE_URL` (what `scripts/test.mjs` turns `DATABASE_URL` into)
 *   or `DATABASE_URL`: that server. Every ledger a test opens gets a schema of its own,
 *   named for this run and dropped at the end, so runs and tests never share tables.
 * - Otherwise a throw-away cluster from the installed binaries (Debian's
 *   `/usr/lib/postgresql/<major>/bin`, else `initdb` on PATH): made in a temporary folder,
 *   listening on 127.0.0.1 at a port the system picked (and on a unix socket in that
 *   folder only), reached by a `postgresql://…@127.0.0.1:PORT/…` URL as an app would
 *   reach its database, and stopped and removed at the end. initdb
 *   refuses to run as root, so as root the cluster belongs to the `postgres` user that
 *   Debian's package creates. Its database collates by ICU's en-US rules where the build
 *   has ICU, so SQL that leans on byte order without saying so is caught.
 * - No PostgreSQL at all: the suites using it are skipped with the reason, unless
 *   `CI=true`, where they fail saying what to install.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  appendFileSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

export interface TestPostgres {
  /** A database this run may create schemas in. */
  readonly url: string;
  /** A schema name no one has used, dropped by `close()`; the ledger creates it. */
  schemaName(): string;
  /** A fresh schema, created, and `url` with its `search_path` set to it. */
  schemaUrl(): Promise<string>;
  close(): Promise<void>;
}

export interface PostgresForTests {
  /** Why the suites using PostgreSQL are skipped; `undefined` when they run. */
  readonly skip: string | undefined;
  /** For `before`: connects, or starts the cluster. Never rejects: see `server()`. */
  start(): Promise<void>;
  /**
   * The server, in a test. Throws why there is none (in CI: PostgreSQL not installed),
   * so that each test using it fails with the reason rather than being left out.
   */
  server(): TestPostgres;
  /** For `after`. */
  close(): Promise<void>;
}

const INSTALL = "install PostgreSQL (Debian: apt-get install postgresql) or set DATABASE_URL";

export function postgresForTests(env: NodeJS.ProcessEnv = process.env): PostgresForTests {
  const given = env.SLUICE_TEST_DATABASE_URL || env.DATABASE_URL;
  const bin = given ? undefined : findBinaries();
  let skip: string | undefined;
  let connect: () => Promise<TestPostgres>;
  if (given) {
    connect = () => useServer(given);
  } else if (bin) {
    connect = () => startCluster(bin);
  } else {
    const missing = `PostgreSQL is not installed (no /usr/lib/postgresql/<major>/bin/initdb, no initdb on PATH): ${INSTALL}`;
    if (env.CI !== "true") skip = missing;
    connect = async () => assert.fail(`CI needs PostgreSQL: ${missing}`);
  }
  let started: TestPostgres | undefined;
  let failure: unknown = new Error("PostgreSQL is not started: call start() in before()");
  return {
    skip,
    async start() {
      try {
        started = await connect();
        failure = undefined;
      } catch (error) {
        failure = error;
      }
    },
    server() {
      if (!started) throw failure;
      return started;
    },
    async close() {
      await started?.close();
      started = undefined;
    },
  };
}

/** With the URL's own query kept, and `search_path` set through libpq's `options`. */
export function withSearchPath(url: string, schema: string): string {
  const options = encodeURIComponent(`-c search_path=${schema}`);
  return `${url}${url.includes("?") ? "&" : "?"}options=${options}`;
}

function schemaNames(): () => string {
  const run = `sluice_test_${process.pid}_${randomBytes(3).toString("hex")}`;
  let n = 0;
  return () => `${run}_${++n}`;
}

async function query(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function useServer(url: string): Promise<TestPostgres> {
  const nextName = schemaNames();
  const made: string[] = [];
  const schemaName = () => {
    const name = nextName();
    made.push(name);
    return name;
  };
  // Fail here, once, if the server cannot be reached.
  await query(url, "SELECT 1");
  return {
    url,
    schemaName,
    async schemaUrl() {
      const name = schemaName();
      await query(url, `CREATE SCHEMA ${name}`);
      return withSearchPath(url, name);
    },
    async close() {
      if (made.length > 0) {
        await query(url, made.map((name) => `DROP SCHEMA IF EXISTS ${name} CASCADE;`).join("\n"));
      }
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function findBinaries(): string | undefined {
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian)) {
    const majors = readdirSync(debian)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    for (const major of majors) {
      const bin = join(debian, major, "bin");
      if (existsSync(join(bin, "initdb")) && existsSync(join(bin, "pg_ctl"))) return bin;
    }
  }
  const found = spawnSync("sh", ["-c", "command -v initdb"], { encoding: "utf8" });
  const initdb = found.status === 0 ? found.stdout.trim() : "";
  return initdb ? join(initdb, "..") : undefined;
}

interface Owner {
  readonly uid: number;
  readonly gid: number;
}

/** As root, the `postgres` user; otherwise whoever runs the tests. */
function clusterOwner(): Owner | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync("id", [flag, "postgres"], { encoding: "utf8" });
  const uid = id("-u");
  const gid = id("-g");
  if (uid.status !== 0 || gid.status !== 0) {
    assert.fail(
      "the tests run as root, and initdb refuses root: they need the postgres user that Debian's postgresql package creates",
    );
  }
  return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
}

function runAs(owner: Owner | undefined, command: string, args: string[]) {
  const [file, argv] = owner
    ? ["runuser", ["-u", "postgres", "--", command, ...args]]
    : [command, args];
  return spawnSync(file, argv, { encoding: "utf8" });
}

async function startCluster(bin: string): Promise<TestPostgres> {
  const owner = clusterOwner();
  const dir = mkdtempSync(join(tmpdir(), "sluice-pg-"));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, "data");
  const log = join(dir, "server.log");
  const remove = () => rmSync(dir, { recursive: true, force: true });

  // ICU's en-US collation where the build has it (PostgreSQL 15+); plain C elsewhere.
  const locales = [
    ["--locale=C.UTF-8", "--locale-provider=icu", "--icu-locale=en-US"],
    ["--locale=C"],
  ];
  let initdb: ReturnType<typeof spawnSync> | undefined;
  for (const locale of locales) {
    initdb = runAs(owner, join(bin, "initdb"), [
      "-D",
      data,
      "-U",
      "sluice",
      "--auth=trust",
      "--no-sync",
      "-E",
      "UTF8",
      ...locale,
    ]);
    if (initdb.status === 0) break;
    rmSync(data, { recursive: true, force: true });
  }
  if (initdb?.status !== 0) {
    remove();
    assert.fail(`initdb failed: ${String(initdb?.stderr)}`);
  }

  // Durability is not wanted from a cluster that is deleted within the minute.
  appendFileSync(
    join(data, "postgresql.conf"),
    [
      "",
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${dir.replaceAll("'", "''")}'`,
      "fsync = off",
      "synchronous_commit = off",
      "full_page_writes = off",
      "",
    ].join("\n"),
  );
  const pgCtl = join(bin, "pg_ctl");
  // A port the system has just handed out; another suite's cluster may take it between
  // that and the start, so a refused start tries another.
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    const started = runAs(owner, pgCtl, [
      ...["-D", data, "-l", log, "-w", "-t", "60", "-o", `-p ${port}`, "start"],
    ]);
    if (started.status === 0) break;
    if (attempt < 3) continue;
    const serverLog = existsSync(log) ? readFileSync(log, "utf8") : "";
    remove();
    assert.fail(`pg_ctl start failed: ${started.stderr}\n${serverLog}`);
  }

  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    runAs(owner, pgCtl, ["-D", data, "-m", "immediate", "-w", "stop"]);
    remove();
  };
  // A run that ends without `close()` (a crash, ^C after a failure) still stops it.
  process.once("exit", stop);

  const url = `postgresql://sluice@127.0.0.1:${port}/postgres`;
  const nextName = schemaNames();
  return {
    url,
    schemaName: nextName,
    async schemaUrl() {
      const name = nextName();
      await query(url, `CREATE SCHEMA ${name}`);
      return withSearchPath(url, name);
    },
    async close() {
      process.off("exit", stop);
      stop();
    },
  };
}
