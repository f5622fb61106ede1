/**
 * The packages as a user gets them. Every public workspace package is packed with
 * `npm pack`; the tarballs are installed together into an app in a temporary folder
 * outside the repository (a real `npm install`: our packages from the tarballs, theirs
 * — file-type, better-sqlite3, esbuild… — from the registry); then the app uses them as
 * a user would: a browser file type-checked with the DOM and no Node types, a Node file
 * that mounts the upload API and presigns (type-checked under `nodenext` and `bundler`,
 * then run), and the installed `sluice` command.
 *
 * Nothing here reads the workspace's sources: whatever a tarball lacks (a file its
 * `exports` names, a dependency its code imports, the types its declarations reach)
 * fails here as it would for the user.
 *
 * Each tarball ships `src/` beside `dist/`: the `source` export condition, which the
 * workspace's tests and the demo's page bundler use, then resolves in an install too,
 * and the declaration and source maps point at files that exist.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { builtinModules, createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import { startChildServer } from "../child-process.js";
import {
  filesUnder,
  importedSpecifiers,
  type Manifest,
  packageNameOf,
  publicPackages,
  ROOT,
  readManifest,
  type WorkspacePackage,
} from "./workspace.js";

const LICENSE_LINE = "Copyright (c) 2026 The Sluice authors";
const rootRequire = createRequire(join(ROOT, "package.json"));
const TSC = rootRequire.resolve("typescript/bin/tsc");
const NODE_TYPES = readManifest(ROOT).devDependencies?.["@types/node"] ?? "^20";
const BUILTINS = new Set(builtinModules);

/** npm as a user runs it: none of the variables an enclosing `npm test` sets. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(name) && name !== "DATABASE_URL") env[name] = value;
  }
  return env;
}

function run(command: string, args: readonly string[], cwd: string, what: string): string {
  const result = spawnSync(command, args, {
    cwd,
    env: cleanEnv(),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    assert.fail(
      `${what} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}

/** The same, without blocking this process (which may be serving the child meanwhile). */
async function runAsync(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
  what: string,
): Promise<void> {
  const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (data: Buffer) => {
    output += data.toString();
  });
  child.stderr.on("data", (data: Buffer) => {
    output += data.toString();
  });
  const [code, signal] = (await once(child, "exit")) as [number | null, string | null];
  if (code !== 0) assert.fail(`${what} failed (${code ?? signal}):\n${output}`);
}

function tsc(cwd: string, project: string): void {
  run(process.execPath, [TSC, "-p", project], cwd, `tsc -p ${project}`);
}

const packages: WorkspacePackage[] = publicPackages();
let work: string;
let app: string;

/** The installed package, as its tarball unpacked it. */
function installedDir(name: string): string {
  return join(app, "node_modules", ...name.split("/"));
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), "sluice-packaging-"));
  assert.ok(relative(ROOT, work).startsWith(".."), `${work} must lie outside the workspace`);
  // The tarballs carry dist/: build it first (incremental, so quick when it is current).
  run(process.execPath, [TSC, "-b"], ROOT, "tsc -b");

  const tarballs = join(work, "tarballs");
  mkdirSync(tarballs);
  const packed = JSON.parse(
    run(
      "npm",
      [
        "pack",
        "--json",
        "--ignore-scripts",
        "--pack-destination",
        tarballs,
        ...packages.flatMap((p) => ["--workspace", p.dir]),
      ],
      ROOT,
      "npm pack",
    ),
  ) as { name: string; filename: string }[];
  assert.deepEqual(packed.map((p) => p.name).sort(), packages.map((p) => p.manifest.name).sort());

  app = join(work, "app");
  mkdirSync(app);
  const dependencies = Object.fromEntries(
    packed.map((p) => [p.name, `file:${join(tarballs, p.filename)}`]),
  );
  writeFileSync(
    join(app, "package.json"),
    `${JSON.stringify(
      {
        name: "scratch-app",
        private: true,
        type: "module",
        dependencies,
        devDependencies: { "@types/node": NODE_TYPES },
      },
      null,
      2,
    )}\n`,
  );
  const prebuilds = await serveWorkspacePrebuild(work);
  try {
    await runAsync(
      "npm",
      ["install", "--no-audit", "--no-fund", "--prefer-offline"],
      { cwd: app, env: { ...cleanEnv(), npm_config_better_sqlite3_binary_host: prebuilds.host } },
      "npm install",
    );
  } finally {
    prebuilds.server.close();
  }
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the published packages, installed from their tarballs", () => {
  it("installs every @sluice package from its tarball, one copy each, none from a registry", () => {
    const lock = JSON.parse(readFileSync(join(app, "package-lock.json"), "utf8")) as {
      packages: Record<string, { resolved?: string }>;
    };
    const ours = Object.entries(lock.packages).filter(([path]) =>
      /(^|\/)node_modules\/@sluice\//.test(path),
    );
    assert.deepEqual(
      ours.map(([path]) => path).sort(),
      packages.map((p) => `node_modules/${p.manifest.name}`).sort(),
    );
    for (const [path, entry] of ours) {
      assert.match(entry.resolved ?? "", /^file:/, `${path} resolved to ${entry.resolved}`);
    }
  });

  for (const { manifest } of packages) {
    describe(manifest.name, () => {
      it("carries its README, the MIT license, and no tests or build state", () => {
        const dir = installedDir(manifest.name);
        assert.ok(existsSync(join(dir, "README.md")), "README.md");
        assert.ok(readFileSync(join(dir, "LICENSE"), "utf8").includes(LICENSE_LINE), "LICENSE");
        const stray = filesUnder(dir, new Set(["node_modules"])).filter((f) =>
          /\.test\.|\.tsbuildinfo$|(^|\/)tsconfig\.json$/.test(f),
        );
        assert.deepEqual(stray, []);
      });

      it("ships every file its exports (every condition) and bin name", () => {
        const dir = installedDir(manifest.name);
        const targets = [...exportTargets(manifest.exports), ...binTargets(manifest.bin)];
        assert.ok(targets.length > 0, "names no entry point");
        const missing = targets.filter((target) => !existsSync(join(dir, target)));
        assert.deepEqual(missing, []);
      });

      it("depends on every package its published code and types import", () => {
        const dir = installedDir(manifest.name);
        const declared = new Set([
          ...Object.keys(manifest.dependencies ?? {}),
          ...Object.keys(manifest.peerDependencies ?? {}),
          ...Object.keys(manifest.optionalDependencies ?? {}),
        ]);
        const published = new Set(packages.map((p) => p.manifest.name));
        const problems: string[] = [];
        for (const name of declared) {
          if (name.startsWith("@sluice/") && !published.has(name)) {
            problems.push(`depends on ${name}, which is not published`);
          }
        }
        const code = filesUnder(join(dir, "dist")).filter((f) => /\.(js|d\.ts)$/.test(f));
        for (const file of code) {
          const source = readFileSync(join(dir, "dist", file), "utf8");
          for (const specifier of importedSpecifiers(source)) {
            const name = packageNameOf(specifier);
            if (name === undefined || name === manifest.name) continue;
            if (specifier.startsWith("node:") || BUILTINS.has(name)) continue;
            if (!declared.has(name)) {
              problems.push(`dist/${file} imports ${specifier}, not a dependency`);
            } else if (file.endsWith(".d.ts") && !hasOwnTypes(name)) {
              // Its declarations reach this package's types: they must be installed too.
              const types = `@types/${name.replace(/^@/, "").replace("/", "__")}`;
              if (!declared.has(types)) {
                problems.push(`dist/${file} imports ${name}'s types; ${types} is not a dependency`);
              }
            }
          }
        }
        assert.deepEqual([...new Set(problems)], []);
      });
    });
  }

  it("type-checks a browser file that uploads with @sluice/client: DOM, no Node types, every declaration checked", () => {
    writeFileSync(
      join(app, "browser.ts"),
      `import { createUploader, UploadError, type UploadHandle } from "@sluice/client";
import { useUpload } from "@sluice/client/react";
import type { FileRecord } from "@sluice/protocol";

const uploader = createUploader({ endpoint: "/api/uploads", partConcurrency: 4 });
const input = document.querySelector<HTMLInputElement>("input[type=file]");
input?.addEventListener("change", async () => {
  const file = input.files?.[0];
  if (!file) return;
  const upload: UploadHandle = uploader.upload(file, {
    route: "avatar",
    onProgress: ({ fraction }) => {
      document.title = \`\${Math.floor(fraction * 100)}%\`;
    },
  });
  try {
    const record: FileRecord = await upload.result;
    console.log(record.key, record.etag, upload.status);
  } catch (error) {
    if (error instanceof UploadError) console.log(error.kind, error.message);
  }
});
// The DOM's setTimeout returns a number; Node's types, if anything pulled them in, would not.
const timer: number = setTimeout(() => {}, 1);
clearTimeout(timer);
export const hook: typeof useUpload = useUpload;
`,
    );
    writeFileSync(
      join(app, "tsconfig.browser.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          lib: ["DOM", "ES2022"],
          types: [],
          module: "ESNext",
          moduleResolution: "Bundler",
          strict: true,
          skipLibCheck: false,
          noEmit: true,
        },
        files: ["browser.ts"],
      }),
    );
    tsc(app, "tsconfig.browser.json");

    const nodeTerms: string[] = [];
    for (const name of ["@sluice/client", "@sluice/protocol"]) {
      const dist = join(installedDir(name), "dist");
      for (const file of filesUnder(dist).filter((f) => f.endsWith(".d.ts"))) {
        const text = readFileSync(join(dist, file), "utf8");
        for (const term of text.match(/node:\w+|\bBuffer\b|\bNodeJS\b/g) ?? []) {
          nodeTerms.push(`${name}/dist/${file}: ${term}`);
        }
      }
    }
    assert.deepEqual(nodeTerms, [], "the browser packages' declarations mention Node");
  });

  for (const resolution of ["NodeNext", "Bundler"] as const) {
    it(`type-checks (moduleResolution ${resolution}) and runs a Node app that mounts @sluice/server and presigns with @sluice/sigv4`, () => {
      writeFileSync(join(app, "node-app.ts"), NODE_APP);
      const outDir = `out-${resolution.toLowerCase()}`;
      const project = `tsconfig.${resolution.toLowerCase()}.json`;
      writeFileSync(
        join(app, project),
        JSON.stringify({
          compilerOptions: {
            target: "ES2022",
            lib: ["ES2023"],
            types: ["node"],
            module: resolution === "NodeNext" ? "NodeNext" : "ESNext",
            moduleResolution: resolution,
            strict: true,
            skipLibCheck: false,
            outDir,
          },
          files: ["node-app.ts"],
        }),
      );
      tsc(app, project);
      const dataDir = mkdtempSync(join(work, "ledger-"));
      const output = run(
        process.execPath,
        [join(outDir, "node-app.js"), dataDir],
        app,
        `node ${outDir}/node-app.js`,
      );
      const result = JSON.parse(output) as {
        status: number;
        url?: string;
        headers?: Record<string, string>;
        presigned: string;
        verified: boolean;
      };
      assert.equal(result.status, 201);
      assert.match(
        result.url ?? "",
        /^http:\/\/127\.0\.0\.1:9\/uploads\/.+X-Amz-Signature=[0-9a-f]{64}/,
      );
      assert.equal(result.headers?.["content-type"], "image/png");
      assert.match(result.presigned, /X-Amz-Credential=SCRATCHAPP%2F/);
      assert.equal(result.verified, true);
      assert.ok(existsSync(join(dataDir, "ledger.sqlite3")), "the SQLite ledger was made");
    });
  }

  describe("the installed sluice command", () => {
    const sluice = () => join(app, "node_modules", ".bin", "sluice");

    it("prints its usage for --help", () => {
      const usage = run(sluice(), ["--help"], app, "sluice --help");
      assert.match(usage, /Usage: sluice/);
      for (const command of ["dev", "store", "cors", "presign", "explain", "doctor", "sweep"]) {
        assert.match(usage, new RegExp(`\\b${command}\\b`), command);
      }
    });

    it("runs the store, which answers S3 requests with S3's errors", async () => {
      const store = await startChildServer(
        [sluice(), "store", "--port", "0", "--data", mkdtempSync(join(work, "store-"))],
        (output) => /listening on (http:\/\/\S+)/.exec(output)?.[1],
        { name: "sluice store", cwd: app, env: cleanEnv() },
      );
      try {
        // No signature at all: R2's answer, as the default flavor gives it.
        const answer = await fetch(`${store.ready}/uploads`);
        assert.equal(answer.status, 401);
        assert.match(await answer.text(), /<Error><Code>Unauthorized<\/Code>/);
      } finally {
        await store.stop();
      }
    });

    it("runs sluice dev: the store, the upload API and the demo page bundled from the installed client", async () => {
      const dev = await startChildServer(
        [sluice(), "dev", "--port", "0", "--store-port", "0", "--quiet"],
        (output) => /open (http:\/\/\S+)/.exec(output)?.[1],
        { name: "sluice dev", cwd: mkdtempSync(join(work, "dev-")), env: cleanEnv() },
      );
      try {
        const page = await fetch(dev.ready);
        assert.equal(page.status, 200);
        assert.match(await page.text(), /<script type="module" src="\/app\.js">/);
        const script = await fetch(new URL("/app.js", dev.ready));
        assert.equal(script.status, 200);
        assert.match(await script.text(), /XMLHttpRequest/);
      } finally {
        await dev.stop();
      }
    });
  });
});

/**
 * better-sqlite3 installs a prebuilt binary when `prebuild-install` finds one for this
 * Node, and otherwise compiles SQLite, which takes a minute and more (as it does wherever
 * GitHub's release downloads are out of reach). The workspace's own install already holds
 * that very binary: served here as the prebuilt tarball `prebuild-install` asks its
 * `binary_host` mirror for, the scratch install takes it as it would take GitHub's, and
 * checks that it loads. Another version than the workspace's gets a 404 and compiles.
 */
async function serveWorkspacePrebuild(
  work: string,
): Promise<{ host: string; server: ReturnType<typeof createServer> }> {
  const dir = join(ROOT, "node_modules", "better-sqlite3");
  const { version } = readManifest(dir);
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const tarball = join(work, name);
  const binary = "build/Release/better_sqlite3.node";
  const haveBinary = existsSync(join(dir, binary));
  if (haveBinary) run("tar", ["-czf", tarball, binary], dir, "tar of the prebuilt binary");
  const server = createServer((request, response) => {
    if (haveBinary && request.url === `/v${version}/${name}`) {
      response.writeHead(200, { "content-type": "application/gzip" });
      response.end(readFileSync(tarball));
    } else {
      response.writeHead(404).end();
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { host: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Every path an `exports` map names, under any condition. */
function exportTargets(exports: unknown): string[] {
  if (typeof exports === "string") return [exports];
  if (exports === null || typeof exports !== "object") return [];
  return Object.values(exports).flatMap(exportTargets);
}

function binTargets(bin: Manifest["bin"]): string[] {
  if (bin === undefined) return [];
  return typeof bin === "string" ? [bin] : Object.values(bin);
}

/** Whether the installed package carries its own declarations. */
function hasOwnTypes(name: string): boolean {
  const dir = installedDir(name);
  if (!existsSync(join(dir, "package.json"))) return false;
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
    types?: string;
    typings?: string;
    exports?: unknown;
  };
  if (manifest.types || manifest.typings) return true;
  if (existsSync(join(dir, "index.d.ts"))) return true;
  return JSON.stringify(manifest.exports ?? {}).includes('"types"');
}

/** A Node app a user writes: mounts the upload API on a port, asks it once, presigns. */
const NODE_APP = `import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type CreateUploadResponse,
  createUploadHandler,
  defineRoute,
  toNodeListener,
} from "@sluice/server";
import { type Credentials, objectUrl, presign, verify } from "@sluice/sigv4";

const credentials: Credentials = { accessKeyId: "SCRATCHAPP", secretAccessKey: "scratch-app-secret" };
const endpoint = "http://127.0.0.1:9";
const uploads = createUploadHandler({
  storage: { endpoint, bucket: "uploads", credentials },
  dataDir: process.argv[2] ?? ".sluice",
  sweepIntervalMs: 0,
  routes: {
    avatar: defineRoute({
      types: ["image/png"],
      maxSize: 1024 * 1024,
      authorize: () => ({ id: "user-1" }),
    }),
  },
});
const server = createServer(toNodeListener(uploads)).listen(0, "127.0.0.1");
await once(server, "listening");
const { port } = server.address() as AddressInfo;
const answer = await fetch(\`http://127.0.0.1:\${port}/api/uploads\`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ route: "avatar", name: "a.png", type: "image/png", size: 2048 }),
});
const created = (await answer.json()) as CreateUploadResponse;
server.close();
await uploads.close();

const signed = presign({
  method: "PUT",
  url: objectUrl(endpoint, "uploads", "avatars/a.png"),
  headers: { "content-type": "image/png", "content-length": 2048 },
  credentials,
  region: "auto",
  expiresIn: 300,
});
const url = new URL(signed.url);
const checked = verify(
  {
    method: "PUT",
    path: url.pathname,
    query: url.search.slice(1),
    headers: { ...signed.headers, host: url.host },
  },
  { lookupSecret: (id) => (id === credentials.accessKeyId ? credentials.secretAccessKey : undefined), regions: ["auto"] },
);
console.log(
  JSON.stringify({
    status: answer.status,
    url: "url" in created ? created.url : undefined,
    headers: "headers" in created ? created.headers : undefined,
    presigned: signed.url,
    verified: checked.ok,
  }),
);
`;
