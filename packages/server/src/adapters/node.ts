/**
 * The upload API on Node's `http` server, or mounted in Express, Koa, NestJS (on Express)
 * or a Fastify route: a `(req, res, next?)` listener around the Web-standard handler.
 * Request bodies are small JSON, so they are buffered (and capped). A framework may have
 * read the body already: its `req.body` is then used as it is (an object as JSON, a
 * string or bytes as they came), and a stream that has ended is never waited on.
 * Outside the base path, Express's `next()` is called; plain `http` gets the handler's 404.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { MAX_BODY_BYTES } from "../api/parse-request.js";

export interface WebHandler {
  handle(request: Request): Promise<Response>;
  readonly basePath: string;
}

export type NodeListener = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

export function toNodeListener(handler: WebHandler): NodeListener {
  return (req, res, next) => {
    // Express keeps the full path in originalUrl when mounted with app.use("/prefix", …).
    const path = (req as { originalUrl?: string }).originalUrl ?? req.url ?? "/";
    if (next && !isUnder(path, handler.basePath)) {
      next();
      return;
    }
    serve(handler, req, res, path).catch((error: unknown) => {
      if (next) next(error);
      else {
        res.destroy(error instanceof Error ? error : undefined);
      }
    });
  };
}

function isUnder(path: string, basePath: string): boolean {
  const pathname = path.split("?")[0] ?? "";
  return pathname === basePath || pathname.startsWith(`${basePath}/`);
}

async function serve(
  handler: WebHandler,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  const method = req.method ?? "GET";
  let body: Uint8Array | undefined;
  // A body the API will refuse is not read: the answer says why, and the socket closes.
  let closeAfter = Number(req.headers["content-length"] ?? 0) > MAX_BODY_BYTES;
  if (method !== "GET" && method !== "HEAD" && !closeAfter) {
    const parsed = (req as { body?: unknown }).body;
    if (req.readableEnded || (parsed !== undefined && typeof parsed !== "object")) {
      // Read by a body parser already (Express's json(), Koa's, NestJS): what it kept.
      body = bodyBytes(parsed);
      if (typeof parsed === "object" && parsed !== null && !(parsed instanceof Uint8Array)) {
        headers.set("content-type", "application/json");
      }
      headers.set("content-length", String(body.length));
      closeAfter = body.length > MAX_BODY_BYTES;
    } else {
      const read = await readBody(req);
      body = read.body;
      closeAfter = read.overflow;
    }
  }
  // Only the path matters to the handler; a Host no URL can hold is not worth a 500.
  const host = /^[A-Za-z0-9.:[\]-]+$/.test(req.headers.host ?? "") ? req.headers.host : "localhost";
  const request = new Request(`http://${host}${path}`, {
    method,
    headers,
    ...(body !== undefined && body.length > 0 ? { body } : {}),
  });
  const response = await handler.handle(request);
  const out: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    out[name] = value;
  });
  const payload = Buffer.from(await response.arrayBuffer());
  if (payload.length > 0 || response.status !== 204) out["content-length"] = String(payload.length);
  if (closeAfter) out.connection = "close";
  res.writeHead(response.status, out);
  res.end(payload);
}

/**
 * A body a framework parsed: bytes and strings as they came, anything else as JSON. None
 * at all from a stream that was read (Express 4's json() leaves `{}` for a body it did
 * not read, but then the stream has not ended).
 */
function bodyBytes(parsed: unknown): Uint8Array {
  if (parsed === undefined) return new Uint8Array();
  if (parsed instanceof Uint8Array) return parsed;
  if (typeof parsed === "string") return Buffer.from(parsed);
  return Buffer.from(JSON.stringify(parsed));
}

/** The body, or its first bytes past the API's limit (so the handler refuses it). */
function readBody(req: IncomingMessage): Promise<{ body: Buffer; overflow: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        done();
        req.pause();
        resolve({ body: Buffer.concat(chunks), overflow: true });
      }
    };
    const onEnd = () => {
      done();
      resolve({ body: Buffer.concat(chunks), overflow: false });
    };
    const onError = (error: Error) => {
      done();
      reject(error);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}
