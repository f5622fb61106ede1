import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createUploadHandler } from "../api/handler.js";
import { defineRoute } from "../api/route.js";
import { describeLedger, ledgerLocation, redactUrl } from "./database-url.js";
import { openLedger } from "./open-ledger.js";
import { LEDGER_FILE } from "./sqlite-ledger.js";

const dataDir = () => mkdtempSync(join(tmpdir(), "sluice-open-ledger-"));
/** A socket folder with no server in it: connecting fails at once. */
const nowhere = () =>
  `postgresql://sluice:hunter2@/postgres?host=${encodeURIComponent(dataDir())}&port=1`;

describe("choosing the ledger from a database URL", () => {
  const cases: [string, string | undefined, NodeJS.ProcessEnv, string][] = [
    ["no URL anywhere", undefined, {}, "sqlite"],
    ["an empty DATABASE_URL", undefined, { DATABASE_URL: "" }, "sqlite"],
    ["postgres:// in DATABASE_URL", undefined, { DATABASE_URL: "postgres://h/db" }, "postgres"],
    ["an empty databaseUrl over DATABASE_URL", "", { DATABASE_URL: "postgres://h/db" }, "sqlite"],
    ["blanks", "  ", {}, "sqlite"],
    ["postgres://", "postgres://user:pw@db.internal:5432/app?sslmode=require", {}, "postgres"],
    ["postgresql://", "postgresql://db.internal/app", {}, "postgres"],
    ["a scheme in capitals", "PostgreSQL://db.internal/app", {}, "postgres"],
    ["a unix socket", "postgresql://app@/app?host=/run/postgresql", {}, "postgres"],
    ["an encoded socket folder", "postgresql://%2Frun%2Fpostgresql/app", {}, "postgres"],
  ];
  for (const [what, databaseUrl, env, kind] of cases) {
    it(`takes ${what} as ${kind}`, () => {
      const location = ledgerLocation({ databaseUrl, dataDir: "/srv/data", env });
      assert.equal(location.kind, kind);
      if (location.kind === "sqlite") assert.equal(location.dataDir, "/srv/data");
      else assert.equal(location.url, (databaseUrl ?? env.DATABASE_URL)?.trim());
    });
  }

  it("refuses another database's URL, naming where it came from and how to keep SQLite", () => {
    assert.throws(
      () => ledgerLocation({ databaseUrl: "mysql://h/db", dataDir: "d", env: {} }),
      /^Error: databaseUrl is a mysql: URL, but the upload ledger runs on PostgreSQL \(postgres:\/\/ or postgresql:\/\/\) or SQLite; leave databaseUrl out/,
    );
    assert.throws(
      () => ledgerLocation({ dataDir: "d", env: { DATABASE_URL: "sqlite://ledger.db" } }),
      /^Error: DATABASE_URL is a sqlite: URL.*databaseUrl: "" to keep the embedded SQLite ledger/,
    );
  });

  it("refuses what is not a URL, or not a valid one, without showing its password", () => {
    assert.throws(
      () => ledgerLocation({ databaseUrl: "db.internal:5432/app", dataDir: "d" }),
      /databaseUrl is not a URL; give postgres:\/\/user:password@host:5432\/database/,
    );
    assert.throws(
      () => ledgerLocation({ databaseUrl: "postgres://app:hunter2@db:port/app", dataDir: "d" }),
      (error: Error) => {
        assert.match(error.message, /not a valid URL \(postgres:\/\/app:\*\*\*@db:port\/app\)/);
        assert.doesNotMatch(error.message, /hunter2/);
        return true;
      },
    );
  });

  it("masks passwords, in the authority or as a parameter", () => {
    assert.equal(
      redactUrl("postgres://app:s3cr%40t@db:5432/app"),
      "postgres://app:***@db:5432/app",
    );
    assert.equal(redactUrl("postgres://app:p@ss@db/app"), "postgres://app:***@db/app");
    assert.equal(redactUrl("postgres://app@db/app"), "postgres://app@db/app");
    assert.equal(
      redactUrl("postgresql://db/app?user=app&password=hunter2&sslmode=require"),
      "postgresql://db/app?user=app&password=***&sslmode=require",
    );
    assert.equal(
      describeLedger({ kind: "postgres", url: "postgres://app:hunter2@db/app" }),
      "PostgreSQL postgres://app:***@db/app",
    );
    assert.equal(
      describeLedger({ kind: "sqlite", dataDir: "/srv/data" }),
      `SQLite ${join("/srv/data", LEDGER_FILE)}`,
    );
  });
});

describe("opening the ledger", () => {
  it("opens SQLite in the data folder when there is no URL", async () => {
    const dir = dataDir();
    const ledger = await openLedger({ databaseUrl: "", dataDir: dir });
    assert.ok(existsSync(join(dir, LEDGER_FILE)));
    assert.equal(await ledger.countPending("alice", 0), 0);
    await ledger.close();
  });

  it("says which database it could not open, without its password", async () => {
    await assert.rejects(openLedger({ databaseUrl: nowhere() }), (error: Error) => {
      assert.match(
        error.message,
        /^cannot open the PostgreSQL ledger at postgresql:\/\/sluice:\*\*\*@\/postgres\?host=/,
      );
      assert.doesNotMatch(error.message, /hunter2/);
      return true;
    });
  });

  it("loads pg only when a PostgreSQL URL is used", () => {
    // In a process of its own: this one may have loaded pg for another test.
    const script = `
      import { createRequire } from "node:module";
      const require = createRequire(import.meta.url);
      const pgLoaded = () => Object.keys(require.cache).some((p) => /[\\\\/]node_modules[\\\\/]pg[\\\\/]/.test(p));
      const { openLedger, createUploadHandler } = await import("@sluice/server");
      const ledger = await openLedger({ databaseUrl: "", dataDir: ${JSON.stringify(dataDir())} });
      await ledger.close();
      const sqlite = pgLoaded();
      await openLedger({ databaseUrl: ${JSON.stringify(nowhere())} }).catch(() => {});
      console.log(JSON.stringify({ sqlite, postgres: pgLoaded() }));
    `;
    const child = spawnSync(
      process.execPath,
      ["--conditions=source", "--import", "tsx", "--input-type=module", "-e", script],
      { encoding: "utf8", env: { ...process.env, DATABASE_URL: "" } },
    );
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout), { sqlite: false, postgres: true });
  });

  it("names the pg package when a PostgreSQL URL is used without it installed", () => {
    // pg made unresolvable, as in an app that never installed it.
    const hooks = `export async function resolve(specifier, context, next) {
      if (specifier === "pg") {
        const error = new Error("Cannot find package 'pg'");
        error.code = "ERR_MODULE_NOT_FOUND";
        throw error;
      }
      return next(specifier, context);
    }`;
    const script = `
      import { register } from "node:module";
      register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});
      const { openLedger } = await import("@sluice/server");
      const sqlite = await openLedger({ databaseUrl: "", dataDir: ${JSON.stringify(dataDir())} });
      await sqlite.close();
      const error = await openLedger({ databaseUrl: ${JSON.stringify(nowhere())} }).catch((e) => e);
      console.log(JSON.stringify({ message: error.message }));
    `;
    const child = spawnSync(
      process.execPath,
      ["--conditions=source", "--import", "tsx", "--input-type=module", "-e", script],
      { encoding: "utf8", env: { ...process.env, DATABASE_URL: "" } },
    );
    assert.equal(child.status, 0, child.stderr);
    assert.match(JSON.parse(child.stdout).message, /needs the `pg` package.*npm install pg/);
  });
});

describe("createUploadHandler's ledger", () => {
  const options = {
    routes: {
      avatars: defineRoute({ types: ["image/png"], maxSize: 1024, authorize: () => ({ id: "a" }) }),
    },
    storage: {
      endpoint: "http://127.0.0.1:1",
      bucket: "b",
      credentials: { accessKeyId: "k", secretAccessKey: "s" },
    },
    sweepIntervalMs: 0,
  };

  it("refuses a bad URL when it is created, not at the first upload", () => {
    assert.throws(
      () => createUploadHandler({ ...options, databaseUrl: "mongodb://h/db" }),
      /databaseUrl is a mongodb: URL/,
    );
    assert.throws(
      () =>
        createUploadHandler({
          ...options,
          ledger: { close: async () => {} } as never,
          databaseUrl: "postgres://h/db",
        }),
      /a ledger or a databaseUrl, not both/,
    );
  });

  it("says through ready() that the database is out of reach, tries again per request, and closes cleanly", async () => {
    const errors: unknown[] = [];
    const handler = createUploadHandler({
      ...options,
      databaseUrl: nowhere(),
      onError: (error) => errors.push(error),
    });
    await assert.rejects(handler.ready(), /cannot open the PostgreSQL ledger/);
    assert.deepEqual(errors, [], "ready() reports the failed open; onError is for requests");
    const response = await handler.handle(
      new Request("http://app/api/uploads/AAAAAAAAAAAAAAAAAAAAAA", { method: "GET" }),
    );
    assert.equal(response.status, 500);
    assert.deepEqual(await response.json(), {
      error: { code: "internal", message: "internal error" },
    });
    assert.match(String(errors[0]), /cannot open the PostgreSQL ledger/, "tried again, logged");
    await handler.close();
    await assert.rejects(handler.ready(), /the upload ledger is closed/);
  });

  it("stays on SQLite in dataDir with no URL", async () => {
    const dir = dataDir();
    const handler = createUploadHandler({ ...options, databaseUrl: "", dataDir: dir });
    await handler.ready();
    assert.ok(existsSync(join(dir, LEDGER_FILE)));
    await handler.close();
  });
});
