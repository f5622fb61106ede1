/**
 * The upload API's two numbers:
 *
 * 1. `POST /api/uploads` per second, with the ledger on disk (SQLite, WAL), against a bare
 *    Node JSON endpoint measured in the same run: both behind node:http on loopback, 32
 *    concurrent keep-alive clients, rounds interleaved as in `measure.ts`. The clients run
 *    in this process too, so both figures include the same client cost.
 * 2. The bytes the API server receives and sends for a whole upload — create, the PUT
 *    straight to the store, complete — counted at the API server's sockets, for 1 KiB and
 *    for 1 GiB. Direct uploads mean the two are the same within a few hundred bytes (the
 *    digits of the size and the key differ). A 1 GiB multipart upload is shown too: it
 *    costs the API one presigned URL per part, a few hundred bytes each.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, createServer, request, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  type CreateUploadResponse,
  createUploadHandler,
  defineRoute,
  type FileRecord,
  MAX_SINGLE_PUT_SIZE,
  type PartUrlsResponse,
  toNodeListener,
} from "@sluice/server";
import { sign } from "@sluice/sigv4";
import { createStore } from "@sluice/store";
import { type Measured, quantile } from "./measure.js";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const credentials = { accessKeyId: "SLUICEBENCH", secretAccessKey: "bench-secret" };
const bucket = "bench";
/** The first bytes of a PNG: what the API's magic-byte check reads. */
const PNG_SIGNATURE = Buffer.from(
  "89504e470d0a1a0a0000000d4948445200000001000000010800000000",
  "hex",
);

export interface UploadBytes {
  readonly name: string;
  readonly fileBytes: number;
  /** HTTP requests the API served for this upload. */
  readonly requests: number;
  /** Bytes the API server read from its sockets (request lines, headers, bodies). */
  readonly received: number;
  /** Bytes the API server wrote to its sockets. */
  readonly sent: number;
}

export interface ServerBench {
  readonly requests: Measured[];
  readonly bytes: UploadBytes[];
}

export interface ServerBenchOptions {
  readonly rounds?: number;
  readonly roundMs?: number;
  readonly concurrency?: number;
  /** The large upload's size; default 1 GiB. */
  readonly largeBytes?: number;
}

export async function benchServer(options: ServerBenchOptions = {}): Promise<ServerBench> {
  const rounds = options.rounds ?? 5;
  const roundMs = options.roundMs ?? 1_000;
  const concurrency = options.concurrency ?? 32;
  const largeBytes = options.largeBytes ?? GiB;
  const dirs = [
    mkdtempSync(join(tmpdir(), "sluice-bench-store-")),
    mkdtempSync(join(tmpdir(), "sluice-bench-api-")),
  ];
  const [storeDir, apiDir] = dirs as [string, string];

  const store = createStore({ dataDir: storeDir, credentials, flavor: "r2" });
  const storeUrl = await store.listen(0);
  const signed = sign({ method: "PUT", url: `${storeUrl}/${bucket}`, credentials, region: "auto" });
  const { host: _host, ...createHeaders } = signed.headers;
  const created = await fetch(signed.url, { method: "PUT", headers: createHeaders });
  if (!created.ok) throw new Error(`CreateBucket: ${created.status}`);

  const authorize = (req: Request) => ({ id: req.headers.get("x-user") ?? "anonymous" });
  const handler = createUploadHandler({
    routes: {
      // Up to R2's largest single PUT in one request: the 1 KiB and 1 GiB flows are alike.
      files: defineRoute({
        types: ["image/png"],
        maxSize: 2 * GiB,
        multipartThreshold: MAX_SINGLE_PUT_SIZE,
        authorize,
      }),
      // The defaults: parts of 8 MiB above 64 MiB.
      parts: defineRoute({ types: ["image/png"], maxSize: 2 * GiB, authorize }),
    },
    storage: { endpoint: storeUrl, bucket, credentials },
    dataDir: apiDir,
    sweepIntervalMs: 0,
  });
  const api = await listen(createServer(toNodeListener(handler)));
  const bare = await listen(createServer(bareJsonEndpoint));

  try {
    let user = 0;
    const createBody = JSON.stringify({
      route: "files",
      name: "photo.png",
      type: "image/png",
      size: 1024,
    });
    const requests = await interleave(
      [
        {
          name: "POST /api/uploads (SQLite ledger on disk)",
          url: `${api.url}/api/uploads`,
          body: createBody,
          // A fresh user each time, as many users each with a few uploads look to the ledger.
          headers: () => ({ "x-user": `user-${user++}` }),
        },
        {
          name: "bare node:http JSON endpoint",
          url: `${bare.url}/json`,
          body: createBody,
          headers: () => ({}),
        },
      ],
      { rounds, roundMs, concurrency },
    );

    const bytes: UploadBytes[] = [];
    for (const [name, size, route] of [
      ["1 KiB, one PUT", 1024, "files"],
      [`${formatSize(largeBytes)}, one PUT`, largeBytes, "files"],
      [`${formatSize(largeBytes)}, multipart (8 MiB parts)`, largeBytes, "parts"],
    ] as const) {
      bytes.push({ name, fileBytes: size, ...(await uploadFlow(api, route, size)) });
    }
    return { requests, bytes };
  } finally {
    await api.close();
    await bare.close();
    await handler.close();
    await store.close(1_000);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

/** Markdown for bench/results/latest.md. */
export function serverBytesTable(bytes: readonly UploadBytes[]): string {
  const lines = [
    "### Bytes at the upload API's sockets for one whole upload (create → PUT to the store → complete)",
    "",
    "| upload | file bytes | API requests | API received | API sent |",
    "| --- | ---: | ---: | ---: | ---: |",
  ];
  for (const b of bytes) {
    lines.push(
      `| ${b.name} | ${b.fileBytes.toLocaleString("en-US")} | ${b.requests} | ${b.received.toLocaleString("en-US")} | ${b.sent.toLocaleString("en-US")} |`,
    );
  }
  return `${lines.join("\n")}\n`;
}

function formatSize(bytes: number): string {
  return bytes >= GiB ? `${bytes / GiB} GiB` : `${bytes / MiB} MiB`;
}

function bareJsonEndpoint(
  req: import("node:http").IncomingMessage,
  res: import("node:http").ServerResponse,
) {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
    const payload = JSON.stringify({ id: randomBytes(16).toString("base64url"), ...body });
    res.writeHead(201, {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(payload),
    });
    res.end(payload);
  });
}

interface Listening {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** Sockets accepted since the last `count()`. */
  readonly sockets: Set<Socket>;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<Listening> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket) => sockets.add(socket));
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    sockets,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

interface Target {
  readonly name: string;
  readonly url: string;
  readonly body: string;
  readonly headers: () => Record<string, string>;
}

/** Subjects in turn, round after round; each round, `concurrency` clients loop for `roundMs`. */
async function interleave(
  targets: readonly Target[],
  options: { rounds: number; roundMs: number; concurrency: number },
): Promise<Measured[]> {
  const agents = new Map(
    targets.map((t) => [t.name, new Agent({ keepAlive: true, maxSockets: options.concurrency })]),
  );
  const perRound = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  const latencies = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  const round = async (target: Target, ms: number, record: boolean) => {
    const agent = agents.get(target.name) as Agent;
    const until = performance.now() + ms;
    let done = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (performance.now() < until) {
          const t0 = performance.now();
          const status = await post(agent, target.url, target.body, target.headers());
          if (status !== 201) throw new Error(`${target.name}: HTTP ${status}`);
          if (record) latencies.get(target.name)?.push((performance.now() - t0) * 1000);
          done++;
        }
      }),
    );
    const opsPerSecond = done / ((performance.now() - start) / 1000);
    if (record) perRound.get(target.name)?.push(opsPerSecond);
  };
  for (const target of targets) await round(target, 300, false); // warm up
  for (let r = 0; r < options.rounds; r++) {
    for (const target of targets) await round(target, options.roundMs, true);
  }
  for (const agent of agents.values()) agent.destroy();
  return targets.map((target) => {
    const samples = perRound.get(target.name) ?? [];
    const sorted = [...samples].sort((a, b) => a - b);
    const lat = [...(latencies.get(target.name) ?? [])].sort((a, b) => a - b);
    return {
      name: target.name,
      rounds: samples,
      median: quantile(sorted, 0.5),
      p25: quantile(sorted, 0.25),
      p75: quantile(sorted, 0.75),
      latencyUs: { p50: quantile(lat, 0.5), p99: quantile(lat, 0.99) },
    };
  });
}

function post(
  agent: Agent,
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      agent,
      headers: {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
        ...headers,
      },
    });
    req.on("response", (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** One JSON request to the API on `agent`, answered as JSON. */
function apiCall<T>(
  agent: Agent,
  url: string,
  body: unknown,
): Promise<{ status: number; body: T }> {
  const text = body === undefined ? "" : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      agent,
      headers: {
        "x-user": "bench",
        ...(text === "" ? {} : { "content-type": "application/json" }),
        "content-length": Buffer.byteLength(text),
      },
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as T,
        }),
      );
    });
    req.on("error", reject);
    req.end(text);
  });
}

/** PUTs `size` bytes (a PNG signature, then zeros) to a presigned URL, streaming. */
async function putBytes(
  url: string,
  headers: Readonly<Record<string, string>>,
  size: number,
  offset = 0,
): Promise<void> {
  const req = request(url, { method: "PUT", headers: { ...headers, "content-length": size } });
  const answered = new Promise<number>((resolve, reject) => {
    req.on("response", (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
  });
  const zeros = Buffer.alloc(MiB);
  async function* body() {
    let sent = 0;
    if (offset === 0) {
      const head = PNG_SIGNATURE.subarray(0, Math.min(size, PNG_SIGNATURE.length));
      yield head;
      sent += head.length;
    }
    while (sent < size) {
      const chunk = zeros.subarray(0, Math.min(zeros.length, size - sent));
      yield chunk;
      sent += chunk.length;
    }
  }
  await pipeline(Readable.from(body()), req);
  const status = await answered;
  if (status !== 200) throw new Error(`PUT to the store: HTTP ${status}`);
}

/** One whole upload; what the API's sockets carried meanwhile. */
async function uploadFlow(
  api: Listening,
  route: string,
  size: number,
): Promise<{ requests: number; received: number; sent: number }> {
  api.server.closeAllConnections();
  api.sockets.clear();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let requests = 0;
  const created = await apiCall<CreateUploadResponse>(agent, `${api.url}/api/uploads`, {
    route,
    name: "photo.png",
    type: "image/png",
    size,
  });
  requests++;
  if (created.status !== 201) throw new Error(`create: HTTP ${created.status}`);
  const upload = created.body;
  if ("url" in upload) {
    await putBytes(upload.url, upload.headers, size);
  } else {
    const { partCount, partSize } = upload.multipart;
    for (let first = 1; first <= partCount; first += 100) {
      const partNumbers = Array.from(
        { length: Math.min(100, partCount - first + 1) },
        (_, i) => first + i,
      );
      const urls = await apiCall<PartUrlsResponse>(
        agent,
        `${api.url}/api/uploads/${upload.id}/parts`,
        {
          partNumbers,
        },
      );
      requests++;
      for (const part of urls.body.parts) {
        await putBytes(part.url, part.headers, part.size, (part.partNumber - 1) * partSize);
      }
    }
  }
  const completed = await apiCall<FileRecord>(
    agent,
    `${api.url}/api/uploads/${upload.id}/complete`,
    undefined,
  );
  requests++;
  if (completed.status !== 200)
    throw new Error(`complete: HTTP ${completed.status} ${JSON.stringify(completed.body)}`);
  agent.destroy();
  let received = 0;
  let sent = 0;
  for (const socket of api.sockets) {
    received += socket.bytesRead;
    sent += socket.bytesWritten;
  }
  return { requests, received, sent };
}
