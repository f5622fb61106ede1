/**
 * What the store's real-client suites share: a store on loopback with an adjustable
 * clock, SDK clients pointed at it, signed raw requests for what the SDK will not send,
 * and a reader for S3's `<Error>` documents.
 */
import { mkdtempSync } from "node:fs";
import { Agent } from "node:http";
import type { LookupFunction } from "node:net";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { type Credentials, type HeaderInput, sign } from "@sluice/sigv4";
import { createStore, type FlavorName, type Store } from "@sluice/store";
import Database from "better-sqlite3";
import { type RunResult, runAwsCli } from "../aws-cli.js";

// The SDK warns once per process that it will soon need Node 22; the suites run on 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

export const CREDENTIALS: Credentials = {
  accessKeyId: "SLUICETESTKEY",
  secretAccessKey: "sluice-test-secret/with+odd=chars",
};

/** The store's clock: real time plus an offset a test can move, so nothing sleeps. */
export class Clock {
  offsetMs = 0;
  now = (): Date => new Date(Date.now() + this.offsetMs);
  advance(ms: number): void {
    this.offsetMs += ms;
  }
  reset(): void {
    this.offsetMs = 0;
  }
}

export interface TestStore {
  readonly store: Store;
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly clock: Clock;
  /** Errors the store answered with 500 InternalError: a bug, whatever the test. */
  readonly internalErrors: unknown[];
  /** Closes the store; throws if it met an internal error while it ran. */
  close(): Promise<void>;
}

export async function startStore(
  options: { flavor?: FlavorName; dataDir?: string } = {},
): Promise<TestStore> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "sluice-store-test-"));
  const clock = new Clock();
  const internalErrors: unknown[] = [];
  const store = createStore({
    dataDir,
    credentials: CREDENTIALS,
    ...(options.flavor ? { flavor: options.flavor } : {}),
    now: clock.now,
    onInternalError: (error) => internalErrors.push(error),
  });
  const url = await store.listen(0);
  return {
    store,
    url,
    port: Number(new URL(url).port),
    dataDir,
    clock,
    internalErrors,
    async close() {
      await store.close(1_000);
      if (internalErrors.length > 0) {
        throw new AggregateError(internalErrors, "the store answered 500 InternalError");
      }
    },
  };
}

/**
 * How many small objects' bodies the store keeps in its metadata database (those of up
 * to SMALL_BODY_MAX_BYTES; larger ones are files under `blobs/`). Read as a second,
 * read-only connection, as another process would.
 */
export function smallBodyCount(dataDir: string): number {
  const db = new Database(join(dataDir, "metadata.sqlite3"), {
    readonly: true,
    fileMustExist: true,
  });
  try {
    return (db.prepare("SELECT count(*) AS count FROM small_bodies").get() as { count: number })
      .count;
  } finally {
    db.close();
  }
}

export type ChecksumMode = "WHEN_REQUIRED" | "SDK default";

/** Both ways the issue asks for: the SDK's checksums off unless required, and its defaults. */
export const CHECKSUM_MODES: readonly ChecksumMode[] = ["WHEN_REQUIRED", "SDK default"];

export function sdkClient(
  url: string,
  mode: ChecksumMode = "WHEN_REQUIRED",
  config: Partial<S3ClientConfig> = {},
): S3Client {
  return new S3Client({
    endpoint: url,
    region: "auto",
    credentials: CREDENTIALS,
    forcePathStyle: true,
    maxAttempts: 1,
    ...(mode === "WHEN_REQUIRED" ? { requestChecksumCalculation: "WHEN_REQUIRED" } : {}),
    ...config,
  });
}

/**
 * An agent that sends every `*.localhost` name to loopback. glibc's resolver (no
 * nss-myhostname here) does not resolve `bucket.localhost`, so virtual-hosted requests
 * need it; the Host header stays `bucket.localhost:port`, which is what is tested.
 */
export function loopbackAgent(): Agent {
  const lookup = ((
    _hostname: string,
    options: { all?: boolean },
    callback: (...args: unknown[]) => void,
  ) => {
    if (options.all) callback(null, [{ address: "127.0.0.1", family: 4 }]);
    else callback(null, "127.0.0.1", 4);
  }) as unknown as LookupFunction;
  return new Agent({ lookup } as ConstructorParameters<typeof Agent>[0]);
}

/** The request headers the SDK really sent, as the last middleware sees them. */
export function recordRequests(client: S3Client): Array<Record<string, string>> {
  const sent: Array<Record<string, string>> = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) {
        const lower: Record<string, string> = {};
        for (const [name, value] of Object.entries(request.headers))
          lower[name.toLowerCase()] = value;
        sent.push(lower);
      }
      return next(args);
    },
    { step: "deserialize", name: "recordSentHeaders" },
  );
  return sent;
}

export interface S3ErrorBody {
  readonly code: string;
  readonly message: string;
  /** Every child of `<Error>`, text unescaped. */
  readonly fields: Readonly<Record<string, string>>;
}

const ENTITIES: Readonly<Record<string, string>> = {
  "&amp;": "&",
  "&lt;": "<",
  "&gt;": ">",
  "&quot;": '"',
  "&apos;": "'",
  "&#13;": "\r",
};

export function unescapeXml(text: string): string {
  return text.replace(/&(?:amp|lt|gt|quot|apos|#13);/g, (entity) => ENTITIES[entity] as string);
}

/** Reads S3's `<Error>` document; fails the test when the body is not one. */
export function parseError(xml: string): S3ErrorBody {
  const inner = /<Error>([\s\S]*)<\/Error>/.exec(xml)?.[1];
  if (inner === undefined) throw new Error(`not an S3 <Error> document: ${xml}`);
  const fields: Record<string, string> = {};
  for (const match of inner.matchAll(/<([A-Za-z][\w-]*)>([\s\S]*?)<\/\1>/g)) {
    fields[match[1] as string] = unescapeXml(match[2] as string);
  }
  return { code: fields.Code ?? "", message: fields.Message ?? "", fields };
}

export async function errorOf(response: Response): Promise<S3ErrorBody> {
  return parseError(await response.text());
}

/** A header-signed request through `fetch`; `headers` are all signed. */
export function signedFetch(
  method: string,
  url: string,
  options: {
    headers?: HeaderInput;
    body?: string | Uint8Array;
    payloadHash?: string;
    signingDate?: Date;
    region?: string;
    credentials?: Credentials;
  } = {},
): Promise<Response> {
  const signed = sign({
    method,
    url,
    credentials: options.credentials ?? CREDENTIALS,
    region: options.region ?? "auto",
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.body !== undefined ? { body: options.body } : {}),
    ...(options.payloadHash ? { payloadHash: options.payloadHash } : {}),
    ...(options.signingDate ? { signingDate: options.signingDate } : {}),
  });
  // fetch sets Host and Content-Length itself, to the same values.
  const { host: _host, "content-length": _length, ...headers } = signed.headers;
  return fetch(signed.url, {
    method,
    headers,
    ...(options.body !== undefined ? { body: options.body } : {}),
  });
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Everything the server sent, in case it sent more than one response. */
  readonly raw: string;
}

/**
 * Sends bytes as they are on a fresh connection and reads until the server closes it
 * (or `timeoutMs` passes), for requests `fetch` cannot express: a path with `..`, a
 * Content-Length that lies, oversized headers. With `endAfterWrite`, the client half-closes
 * once the bytes are written, as a client that gave up would.
 */
export function rawExchange(
  port: number,
  request: string | Buffer,
  options: { endAfterWrite?: boolean; timeoutMs?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const received: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), options.timeoutMs ?? 5_000);
    socket.on("connect", () => {
      socket.write(request);
      if (options.endAfterWrite) socket.end();
    });
    socket.on("data", (data) => received.push(data));
    socket.on("error", (error: NodeJS.ErrnoException) => {
      // A reset after the server answered is how some refusals end.
      if (error.code !== "ECONNRESET") reject(error);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(received).toString("latin1"));
    });
  });
}

/** The first HTTP response in what a raw exchange received. */
export function parseRaw(raw: string): RawResponse {
  const headerEnd = raw.indexOf("\r\n\r\n");
  if (headerEnd < 0) throw new Error(`no HTTP response in ${JSON.stringify(raw)}`);
  const lines = raw.slice(0, headerEnd).split("\r\n");
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? "")?.[1]);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = raw.slice(headerEnd + 4);
  const length = headers["content-length"];
  const body =
    headers["transfer-encoding"] === "chunked"
      ? dechunk(rest)
      : length === undefined
        ? rest
        : rest.slice(0, Number(length));
  return { status, headers, body, raw };
}

/** The body of a `Transfer-Encoding: chunked` message. */
function dechunk(text: string): string {
  let body = "";
  let at = 0;
  for (;;) {
    const lineEnd = text.indexOf("\r\n", at);
    if (lineEnd < 0) return body;
    const size = Number.parseInt(text.slice(at, lineEnd), 16);
    if (!(size > 0)) return body;
    body += text.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}

/** A request signed with header auth, written out as HTTP/1.1 bytes (Connection: close). */
export function signedRawRequest(
  method: string,
  url: string,
  options: {
    headers?: HeaderInput;
    body?: string | Buffer;
    payloadHash?: string;
    /** Headers added after signing, unsigned. */
    extraHeaders?: readonly [string, string][];
    /** What to send as the body, when it differs from what was signed. */
    sendBody?: string | Buffer;
  } = {},
): Buffer {
  const signed = sign({
    method,
    url,
    credentials: CREDENTIALS,
    region: "auto",
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.body !== undefined ? { body: options.body } : {}),
    ...(options.payloadHash ? { payloadHash: options.payloadHash } : {}),
  });
  const target = signed.url.replace(/^https?:\/\/[^/]+/, "");
  const lines = [`${method} ${target} HTTP/1.1`];
  for (const [name, value] of Object.entries(signed.headers)) lines.push(`${name}: ${value}`);
  for (const [name, value] of options.extraHeaders ?? []) lines.push(`${name}: ${value}`);
  const body = options.sendBody ?? options.body ?? "";
  const names = new Set(Object.keys(signed.headers));
  for (const [name] of options.extraHeaders ?? []) names.add(name.toLowerCase());
  if (!names.has("content-length") && !names.has("transfer-encoding")) {
    lines.push(`content-length: ${Buffer.byteLength(body)}`);
  }
  lines.push("connection: close");
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), Buffer.from(body)]);
}

export type { RunResult as CliResult } from "../aws-cli.js";
export { awsCliInstalled } from "../aws-cli.js";

/** `aws <args> --endpoint-url <url>` as a user types it, with the suites' credentials. */
export function awsCli(url: string, args: readonly string[], cwd: string): Promise<RunResult> {
  return runAwsCli(url, args, cwd, CREDENTIALS);
}
