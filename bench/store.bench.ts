/**
 * The embedded store over real HTTP on loopback, against baselines measured in the same
 * run (issue 3, "What it must show"):
 *
 * - PUT and GET of one large object (1 GiB; `SLUICE_BENCH_LARGE_MIB` to change), in MiB/s,
 *   with each server's peak RSS;
 * - 4 KiB PUTs per second, 32 concurrent clients on a keep-alive agent, every one durable;
 * - CORS preflights per second, 32 concurrent, against a bucket with a strict rule.
 *
 * Every server runs in a child process of its own, so clients (this process) and server
 * get a core each on a 2-core machine, and a server's RSS is its own (read from
 * /proc/PID/status, VmHWM, reset through /proc/PID/clear_refs before each section). The
 * store is `sluice store --quiet` from the built CLI (`npm run build`; the source would
 * run through tsx, whose loader would inflate the RSS). The baseline is a bare Node
 * server doing the least a durable store can: stream the body to a file while computing
 * its MD5, fsync, rename, answer 200 (GET streams the file back; OPTIONS answers 204).
 * The peer is `s3rver`, where it is installed; it checks no signature, so it does less.
 *
 * Clients sign with our `sign()` (`UNSIGNED-PAYLOAD`, so signing costs the same whatever
 * the body) and send from a repeated buffer, so the client's cost stays small and equal.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { Agent, request as httpRequest } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Credentials, sign } from "@sluice/sigv4";
import { type ChildServer, startChildServer } from "../test/child-process.js";
import { type Measured, measureConcurrent, measureRounds } from "./measure.js";

const MiB = 1024 * 1024;
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BUCKET = "bench";
const ORIGIN = "https://app.mycompany.com";
/** The strict rule of the scenario. */
const CORS_XML =
  "<CORSConfiguration><CORSRule>" +
  `<AllowedOrigin>${ORIGIN}</AllowedOrigin>` +
  "<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>" +
  "<AllowedHeader>Content-Type</AllowedHeader><AllowedHeader>Content-Length</AllowedHeader>" +
  "<ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>86400</MaxAgeSeconds>" +
  "</CORSRule></CORSConfiguration>";
const STORE_CREDENTIALS = { accessKeyId: "BENCHKEY", secretAccessKey: "bench-secret" };
/** s3rver's built-in account. */
const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

const LARGE_ROUNDS = 3;
const CONCURRENCY = 32;
const CONCURRENT = { rounds: 5, roundMs: 2000, warmupMs: 500, concurrency: CONCURRENCY };
const SMALL_BYTES = 4096;

/**
 * The baseline: a bare Node server, one file per key, durable (`flush: true` fsyncs
 * before close). Run as `node --input-type=module -e <this> <dir>`.
 */
const BARE_SERVER = `
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, mkdirSync } from "node:fs";
import { rename, stat } from "node:fs/promises";
import { createServer } from "node:http";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";

const dir = process.argv[1];
mkdirSync(join(dir, "tmp"), { recursive: true });
mkdirSync(join(dir, "objects"), { recursive: true });
let next = 0;
const server = createServer({ requestTimeout: 0 }, async (req, res) => {
  try {
    if (req.method === "OPTIONS") {
      res.writeHead(204).end();
      return;
    }
    const path = join(dir, "objects", encodeURIComponent(req.url));
    if (req.method === "PUT") {
      const temporary = join(dir, "tmp", String(next++));
      const md5 = createHash("md5");
      req.on("data", (chunk) => md5.update(chunk));
      await pipeline(req, createWriteStream(temporary, { flush: true }));
      await rename(temporary, path);
      res.writeHead(200, { etag: '"' + md5.digest("hex") + '"', "content-length": "0" }).end();
    } else {
      const { size } = await stat(path);
      res.writeHead(200, { "content-length": String(size) });
      await pipeline(createReadStream(path), res);
    }
  } catch {
    res.destroy();
  }
});
server.listen(0, "127.0.0.1", () => {
  console.log("listening on http://127.0.0.1:" + server.address().port);
});
`;

// ---------------------------------------------------------------------------------------
// Servers, each in a child process

interface Server extends ChildServer<string> {
  readonly name: string;
  readonly url: string;
  /** Requests are signed when set. */
  readonly credentials: Credentials | undefined;
}

async function launch(
  name: string,
  args: string[],
  listening: RegExp,
  credentials: Credentials | undefined,
  env: NodeJS.ProcessEnv = {},
): Promise<Server> {
  const server = await startChildServer(args, (output) => listening.exec(output)?.[1], {
    name,
    cwd: ROOT,
    env,
  });
  return { ...server, name, url: `http://127.0.0.1:${server.ready}`, credentials };
}

/** Warns when the CLI's build is older than a package's source. */
function staleBuild(): string | undefined {
  for (const name of ["sigv4", "cors", "store", "cli"]) {
    const dir = join(ROOT, "packages", name);
    const info = join(dir, "tsconfig.tsbuildinfo");
    if (!existsSync(info)) return `packages/${name} is not built: run npm run build`;
    const built = statSync(info).mtimeMs;
    const newest = newestMtime(join(dir, "src"));
    if (newest > built) return `packages/${name}/src is newer than its build: run npm run build`;
  }
  return undefined;
}

/** The newest source the build compiles (tests beside the code are not built). */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (!entry.name.endsWith(".test.ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function s3rverVersion(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const manifest = require.resolve("s3rver/package.json");
    return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// Memory: VmHWM, the peak resident set, reset per section

function kibField(pid: number, field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  return match ? Number(match[1]) : Number.NaN;
}

/** Peak RSS of each server over a section, in MiB. */
class PeakRss {
  readonly #polled = new Map<Server, number>();
  readonly #timer: NodeJS.Timeout;

  constructor(private readonly servers: readonly Server[]) {
    for (const server of servers) {
      const pid = server.child.pid as number;
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, "5");
      } catch {
        // Without clear_refs the peak since start-up stands; polling still bounds it.
      }
      this.#polled.set(server, kibField(pid, "VmRSS"));
    }
    // A backstop in case VmHWM could not be reset: sample VmRSS too.
    this.#timer = setInterval(() => {
      for (const server of servers) {
        const rss = kibField(server.child.pid as number, "VmRSS");
        this.#polled.set(server, Math.max(this.#polled.get(server) ?? 0, rss));
      }
    }, 100);
  }

  finish(): Map<string, number> {
    clearInterval(this.#timer);
    const peaks = new Map<string, number>();
    for (const server of this.servers) {
      const hwm = kibField(server.child.pid as number, "VmHWM");
      peaks.set(server.name, Math.max(hwm, this.#polled.get(server) ?? 0) / 1024);
    }
    return peaks;
  }
}

// ---------------------------------------------------------------------------------------
// A small client: node:http, signed with our sign()

interface Sent {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly bytes: number;
  readonly text: string;
}

interface Send {
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  /** A body to send whole, or `repeat` to send `chunk` until `size` bytes have gone. */
  readonly body?: Buffer | { readonly chunk: Buffer; readonly size: number };
  /** Sign the body's SHA-256 (small bodies) rather than UNSIGNED-PAYLOAD. */
  readonly signBody?: boolean;
  readonly agent?: Agent | false;
}

function send(server: Server, options: Send): Promise<Sent> {
  const url = `${server.url}${options.path}`;
  const body = options.body;
  const length = body === undefined ? 0 : Buffer.isBuffer(body) ? body.length : body.size;
  let headers: Record<string, string> = { ...options.headers };
  if (body !== undefined) headers["content-length"] = String(length);
  if (server.credentials !== undefined) {
    headers = {
      ...sign({
        method: options.method,
        url,
        headers,
        credentials: server.credentials,
        region: "us-east-1",
        ...(options.signBody && Buffer.isBuffer(body)
          ? { body }
          : { payloadHash: body === undefined ? undefined : "UNSIGNED-PAYLOAD" }),
      }).headers,
    };
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method, headers, agent: options.agent });
    req.once("error", reject);
    req.once("response", (response) => {
      let bytes = 0;
      const kept: Buffer[] = [];
      response.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes <= 4096) kept.push(chunk);
      });
      response.once("error", reject);
      response.once("end", () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          bytes,
          text: Buffer.concat(kept).toString("utf8"),
        }),
      );
    });
    if (body === undefined) {
      req.end();
    } else if (Buffer.isBuffer(body)) {
      req.end(body);
    } else {
      void (async () => {
        for (let sent = 0; sent < body.size; sent += body.chunk.length) {
          const chunk =
            body.size - sent >= body.chunk.length
              ? body.chunk
              : body.chunk.subarray(0, body.size - sent);
          if (!req.write(chunk)) {
            await new Promise<void>((resume) => {
              const resumed = () => {
                req.off("drain", resumed);
                req.off("close", resumed);
                resume();
              };
              req.on("drain", resumed);
              req.on("close", resumed);
            });
            if (req.destroyed) return;
          }
        }
        req.end();
      })();
    }
  });
}

function expect(sent: Sent, status: number, what: string): Sent {
  if (sent.status !== status) {
    throw new Error(`${what}: expected ${status}, got ${sent.status}: ${sent.text.slice(0, 500)}`);
  }
  return sent;
}

// ---------------------------------------------------------------------------------------

export interface StoreBench {
  readonly largeMiB: number;
  readonly largePut: Measured[];
  readonly largeGet: Measured[];
  /** The store alone: the large object as a multipart upload. */
  readonly multipartPut: Measured[];
  readonly multipartPeakRss: number;
  readonly smallPut: Measured[];
  readonly preflight: Measured[];
  /** Peak RSS in MiB by server: idle after start-up, over the large section, over the rest. */
  readonly rss: { name: string; idle: number; large: number; small: number }[];
  readonly notes: string[];
}

export const STORE = "sluice store";
export const BARE = "bare node (file + MD5 + fsync)";

export async function benchStore(): Promise<StoreBench> {
  const notes: string[] = [];
  const stale = staleBuild();
  if (stale) notes.push(`warning: ${stale}; the figures are the built store's`);
  const largeMiB = Number(process.env.SLUICE_BENCH_LARGE_MIB ?? 1024);
  const dirs: string[] = [];
  const folder = async (name: string) => {
    const dir = await mkdtemp(join(tmpdir(), `sluice-bench-${name}-`));
    dirs.push(dir);
    return dir;
  };
  const servers: Server[] = [];
  try {
    servers.push(
      await launch(
        STORE,
        [
          "packages/cli/bin/sluice.js",
          "store",
          "--port",
          "0",
          "--quiet",
          "--data",
          await folder("store"),
        ],
        /listening on http:\/\/127\.0\.0\.1:(\d+)/,
        STORE_CREDENTIALS,
        {
          SLUICE_ACCESS_KEY_ID: STORE_CREDENTIALS.accessKeyId,
          SLUICE_SECRET_ACCESS_KEY: STORE_CREDENTIALS.secretAccessKey,
        },
      ),
    );
    servers.push(
      await launch(
        BARE,
        ["--input-type=module", "-e", BARE_SERVER, await folder("bare")],
        /listening on http:\/\/127\.0\.0\.1:(\d+)/,
        undefined,
      ),
    );
    const peerVersion = s3rverVersion();
    if (peerVersion === undefined) {
      notes.push("s3rver is not installed (npm install -D s3rver), so it is left out");
    } else {
      const corsFile = join(await folder("s3rver-config"), "cors.xml");
      writeFileSync(corsFile, CORS_XML);
      const args = [
        "node_modules/s3rver/bin/s3rver.js",
        ...["-d", await folder("s3rver"), "-a", "127.0.0.1", "-p", "0", "--silent"],
        ...["--configure-bucket", BUCKET, corsFile],
      ];
      servers.push(
        await launch(
          `s3rver ${peerVersion}`,
          args,
          /S3rver listening on [^:]+:(\d+)/,
          S3RVER_CREDENTIALS,
        ),
      );
    }
    const [store, bare] = servers as [Server, Server];

    // The store's bucket, with the strict rule; checked to refuse a stranger.
    expect(await send(store, { method: "PUT", path: `/${BUCKET}` }), 200, "CreateBucket");
    expect(
      await send(store, {
        method: "PUT",
        path: `/${BUCKET}?cors`,
        body: Buffer.from(CORS_XML),
        signBody: true,
      }),
      200,
      "PutBucketCors",
    );
    for (const server of servers) {
      if (server === bare) continue;
      const refused = await preflight(server, "https://evil.example.com");
      expect(refused, 403, `${server.name}: a preflight from another origin`);
      const allowed = expect(await preflight(server, ORIGIN), 200, `${server.name}: preflight`);
      notes.push(
        `${server.name} answers the allowed preflight with Access-Control-Allow-Origin: ${allowed.headers["access-control-allow-origin"]}`,
      );
    }

    const idle = new Map(
      servers.map((s) => [s.name, kibField(s.child.pid as number, "VmRSS") / 1024]),
    );

    // 1. A large object: PUT and GET, MiB/s.
    const large = { chunk: randomBytes(MiB), size: largeMiB * MiB };
    const etags = new Map<string, string>();
    let peaks = new PeakRss(servers);
    const mibPerSecond = (started: number) => largeMiB / ((performance.now() - started) / 1000);
    const largePut = await measureRounds(
      servers.map((server) => ({
        name: `${server.name} PUT`,
        run: async () => {
          const started = performance.now();
          const sent = expect(
            await send(server, {
              method: "PUT",
              path: `/${BUCKET}/large.bin`,
              body: large,
              agent: false,
            }),
            200,
            `${server.name}: PUT ${largeMiB} MiB`,
          );
          const figure = mibPerSecond(started);
          etags.set(server.name, String(sent.headers.etag));
          return figure;
        },
      })),
      LARGE_ROUNDS,
    );
    if (new Set(etags.values()).size !== 1) {
      throw new Error(`the servers disagree on the large object's MD5: ${[...etags].join(", ")}`);
    }
    const largeGet = await measureRounds(
      servers.map((server) => ({
        name: `${server.name} GET`,
        run: async () => {
          const started = performance.now();
          const got = expect(
            await send(server, { method: "GET", path: `/${BUCKET}/large.bin`, agent: false }),
            200,
            `${server.name}: GET ${largeMiB} MiB`,
          );
          if (got.bytes !== large.size) {
            throw new Error(`${server.name}: GET returned ${got.bytes} of ${large.size} bytes`);
          }
          return mibPerSecond(started);
        },
      })),
      LARGE_ROUNDS,
    );
    const largePeaks = peaks.finish();

    // 1b. The same object as a multipart upload into the store: 16 MiB parts, 8 at a time.
    peaks = new PeakRss([store]);
    const multipartPut = await measureRounds(
      [
        {
          name: `${STORE} multipart PUT (${PART_MIB} MiB parts, ${PARALLEL_PARTS} in parallel)`,
          run: async () => {
            const started = performance.now();
            await multipartUpload(store, "multipart.bin", large.size);
            return mibPerSecond(started);
          },
        },
      ],
      LARGE_ROUNDS,
    );
    const multipartPeak = peaks.finish().get(STORE) ?? Number.NaN;

    // 2. 4 KiB PUTs, 32 concurrent, keep-alive; each one a new key, as uploads are.
    peaks = new PeakRss(servers);
    const small = randomBytes(SMALL_BYTES);
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    let counter = 0;
    const smallPut = await measureConcurrent(
      servers.map((server) => ({
        name: `${server.name} PUT 4 KiB`,
        run: async () => {
          const path = `/${BUCKET}/small/${(counter++).toString(36)}`;
          expect(await send(server, { method: "PUT", path, body: small, agent }), 200, server.name);
        },
      })),
      CONCURRENT,
    );

    // 3. Preflights, 32 concurrent, keep-alive.
    const preflights = await measureConcurrent(
      servers.map((server) => ({
        name: `${server.name} preflight`,
        run: async () => {
          const answer = await preflight(server, ORIGIN, agent);
          if (answer.status !== 200 && answer.status !== 204) expect(answer, 200, server.name);
        },
      })),
      CONCURRENT,
    );
    const smallPeaks = peaks.finish();
    agent.destroy();

    return {
      largeMiB,
      largePut,
      largeGet,
      multipartPut,
      multipartPeakRss: multipartPeak,
      smallPut,
      preflight: preflights,
      rss: servers.map((s) => ({
        name: s.name,
        idle: idle.get(s.name) ?? Number.NaN,
        large: largePeaks.get(s.name) ?? Number.NaN,
        small: smallPeaks.get(s.name) ?? Number.NaN,
      })),
      notes,
    };
  } finally {
    await Promise.all(servers.map((server) => server.stop(3000)));
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

const PART_MIB = 16;
const PARALLEL_PARTS = 8;

/** CreateMultipartUpload, the parts `PARALLEL_PARTS` at a time, CompleteMultipartUpload. */
async function multipartUpload(server: Server, key: string, size: number): Promise<void> {
  const created = expect(
    await send(server, { method: "POST", path: `/${BUCKET}/${key}?uploads` }),
    200,
    "CreateMultipartUpload",
  );
  const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created.text)?.[1] as string;
  const partBytes = PART_MIB * MiB;
  const count = Math.ceil(size / partBytes);
  const chunk = randomBytes(MiB);
  const etags: string[] = [];
  let next = 1;
  const agent = new Agent({ keepAlive: true, maxSockets: PARALLEL_PARTS });
  await Promise.all(
    Array.from({ length: PARALLEL_PARTS }, async () => {
      while (next <= count) {
        const part = next++;
        const bytes = Math.min(partBytes, size - (part - 1) * partBytes);
        const sent = expect(
          await send(server, {
            method: "PUT",
            path: `/${BUCKET}/${key}?partNumber=${part}&uploadId=${encodeURIComponent(uploadId)}`,
            body: { chunk, size: bytes },
            agent,
          }),
          200,
          `UploadPart ${part}`,
        );
        etags[part - 1] = String(sent.headers.etag);
      }
    }),
  );
  agent.destroy();
  const list = etags
    .map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${etag}</ETag></Part>`)
    .join("");
  expect(
    await send(server, {
      method: "POST",
      path: `/${BUCKET}/${key}?uploadId=${encodeURIComponent(uploadId)}`,
      body: Buffer.from(`<CompleteMultipartUpload>${list}</CompleteMultipartUpload>`),
      signBody: true,
    }),
    200,
    "CompleteMultipartUpload",
  );
}

function preflight(server: Server, origin: string, agent?: Agent): Promise<Sent> {
  return send(
    { ...server, credentials: undefined },
    {
      method: "OPTIONS",
      path: `/${BUCKET}/avatars/42.jpg`,
      headers: {
        origin,
        "access-control-request-method": "PUT",
        "access-control-request-headers": "content-type",
      },
      ...(agent ? { agent } : {}),
    },
  );
}
