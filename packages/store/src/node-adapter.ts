/**
 * The store on Node's `http` server: an `IncomingMessage` becomes a Web `Request`
 * (keeping the raw target and raw headers, which SigV4 signs and `Request` normalises),
 * and the `Response` streams back with backpressure. Malformed HTTP that never reaches
 * the handler still gets an S3-shaped answer.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { Readable } from "node:stream";
import { type Handler, outcomeOf } from "./http/handler.js";
import { errorXml, S3Error } from "./http/s3-error.js";
import { rawHeaderMap } from "./http/s3-request.js";

export interface RequestLogEntry {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** Body bytes sent. */
  readonly bytes: number;
  readonly ms: number;
  readonly operation: string | undefined;
  readonly errorCode: string | undefined;
}

/**
 * The response each connection is still writing. A parse error can arrive while one is
 * pending (bytes after a complete request, a body cut short): the pending request gets
 * its own answer, which a 400 written at once would take the place of.
 */
const pending = new WeakMap<object, ServerResponse>();

export type NodeListener = ((req: IncomingMessage, res: ServerResponse) => void) & {
  /**
   * The same, for the server's `checkContinue` event: a request that sent
   * `Expect: 100-continue` hears `100 Continue` only when the store first reads its body,
   * which is after it was authenticated and every check that needs no body passed, as
   * S3 does; a request refused before that never gets it, and its body is never read.
   * (Without it Node answers `100 Continue` at once, before anything is checked.)
   */
  readonly checkContinue: (req: IncomingMessage, res: ServerResponse) => void;
};

/**
 * The `request` listener, with `checkContinue` for the event of that name. `onError`
 * hears what went wrong while answering (a response Node refused to write): that
 * request fails, never the process.
 */
export function nodeListener(
  handler: Handler,
  log?: (entry: RequestLogEntry) => void,
  onError: (error: unknown) => void = (error) =>
    console.error("sluice store: writing a response failed:", error),
): NodeListener {
  const listen =
    (deferContinue: boolean) =>
    (req: IncomingMessage, res: ServerResponse): void => {
      const socket = req.socket;
      pending.set(socket, res);
      res.once("close", () => {
        if (pending.get(socket) === res) pending.delete(socket);
      });
      serve(handler, req, res, log, onError, deferContinue).catch((error: unknown) => {
        onError(error);
        // An answer already out (a log callback that threw) is left to finish.
        if (!res.writableEnded) res.destroy();
      });
    };
  return Object.assign(listen(false), { checkContinue: listen(true) });
}

async function serve(
  handler: Handler,
  req: IncomingMessage,
  res: ServerResponse,
  log: ((entry: RequestLogEntry) => void) | undefined,
  onError: (error: unknown) => void,
  deferContinue: boolean,
): Promise<void> {
  const started = performance.now();
  const target = req.url ?? "/";
  let bytes = 0;
  let response: Response;
  try {
    const headers = new Headers();
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string);
    }
    const hasBody = carriesBody(req);
    const request = new Request(
      `http://${req.headers.host ?? "localhost"}${target.startsWith("/") ? target : "/"}`,
      {
        method: req.method ?? "GET",
        headers,
        body: hasBody ? bodyOf(req, res, deferContinue) : null,
        duplex: "half",
      } as RequestInit,
    );
    response = await handler(request, {
      rawTarget: target,
      rawHeaders: rawHeaderMap(req.rawHeaders),
    });
  } catch (error) {
    response = new Response(
      errorXml(
        new S3Error("BadRequest", `The request could not be read: ${(error as Error).message}`),
        "0",
      ),
      {
        status: 400,
        headers: { "content-type": "application/xml" },
      },
    );
  }

  // A refused upload whose body was not read: close the connection rather than read
  // (possibly gigabytes) just to keep it alive.
  const unread = carriesBody(req) && !req.complete;
  const headers: Record<string, string> = {};
  for (const [name, value] of response.headers) headers[name] = value;
  if (unread) headers.connection = "close";
  if (
    response.body === null &&
    headers["content-length"] === undefined &&
    response.status !== 304 &&
    response.status !== 204
  ) {
    headers["content-length"] = "0";
  }
  try {
    res.writeHead(response.status, headers);
  } catch (error) {
    // A header value Node will not send (a control character): the store checks values
    // where they enter, so this is a bug, reported as one; the client gets a 500.
    onError(error);
    await response.body?.cancel().catch(() => {});
    writeInternalError(res, unread);
    return;
  }
  if (response.body !== null && req.method !== "HEAD") {
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        bytes += chunk.length;
        if (!res.write(chunk)) await drained(res);
      }
    } catch {
      res.destroy();
      return;
    }
  }
  res.end();
  if (unread) res.once("finish", () => req.socket.destroySoon());
  const outcome = outcomeOf(response);
  log?.({
    method: req.method ?? "?",
    path: target.split("?")[0] ?? "/",
    status: response.status,
    bytes,
    ms: performance.now() - started,
    operation: outcome?.operation,
    errorCode: outcome?.errorCode,
  });
}

/**
 * The request body as a stream that is pulled only when the store reads it; the first
 * read of a request that expects `100 Continue` sends it.
 */
function bodyOf(
  req: IncomingMessage,
  res: ServerResponse,
  deferContinue: boolean,
): ReadableStream<Uint8Array> {
  if (!deferContinue) {
    return Readable.toWeb(req) as ReadableStream<Uint8Array>;
  }
  let source: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (source === undefined) {
          if (!res.headersSent) res.writeContinue();
          source = (Readable.toWeb(req) as ReadableStream<Uint8Array>).getReader();
        }
        const { value, done } = await source.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel(reason) {
        await source?.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** S3's 500, written when the response meant for the request could not be. */
function writeInternalError(res: ServerResponse, closeAfter: boolean): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = errorXml(
    new S3Error("InternalError", "We encountered an internal error. Please try again."),
    "0",
  );
  try {
    res.writeHead(500, {
      "content-type": "application/xml",
      "content-length": String(Buffer.byteLength(body)),
      ...(closeAfter ? { connection: "close" } : {}),
    });
    res.end(body);
  } catch {
    res.destroy();
  }
}

/** What the request's framing says: a bodiless OPTIONS or DELETE must not count as unread. */
function carriesBody(req: IncomingMessage): boolean {
  if (req.method === "GET" || req.method === "HEAD") return false;
  return (
    req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0
  );
}

function drained(res: ServerResponse): Promise<void> {
  // A client that went away between two writes has already closed the response: waiting
  // for its "close" would wait forever, and the body's reader would never let go.
  if (res.destroyed) return Promise.reject(new Error("client went away"));
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      res.off("close", onClose);
      resolve();
    };
    const onClose = () => {
      res.off("drain", onDrain);
      reject(new Error("client went away"));
    };
    res.once("drain", onDrain);
    res.once("close", onClose);
  });
}

/**
 * HTTP the parser refuses (oversized headers, garbage): answered in S3's shape, then
 * closed. A request on the connection still being answered keeps its own answer: bytes
 * after a request that said `Connection: close` are ignored, as RFC 9112 §9.6 has it (the
 * server "MUST NOT process any further requests received on that connection"), and a 400
 * for garbage after a keep-alive request waits until that request's answer is out. A
 * client that ends the connection inside a body is told `IncompleteBody` at once: Node
 * ends our side of the connection as soon as this returns.
 */
export function onClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  const inFlight = pending.get(socket);
  if (error.code === "HPE_CLOSED_CONNECTION") {
    if (!inFlight) socket.destroySoon();
    return;
  }
  const cutShort = error.code === "HPE_INVALID_EOF_STATE" && inFlight !== undefined;
  if (inFlight && !cutShort) {
    inFlight.once("close", () => answerClientError(error, socket, false));
    return;
  }
  answerClientError(error, socket, cutShort);
}

function answerClientError(error: NodeJS.ErrnoException, socket: Socket, cutShort: boolean): void {
  if (!socket.writable) return;
  const s3Error =
    error.code === "HPE_HEADER_OVERFLOW"
      ? new S3Error(
          "RequestHeaderSectionTooLarge",
          "Your request header section exceeds the maximum allowed size.",
        )
      : cutShort
        ? new S3Error(
            "IncompleteBody",
            "You did not provide the number of bytes specified by the Content-Length HTTP header.",
          )
        : new S3Error("BadRequest", "The request is not valid HTTP/1.1.");
  const body = errorXml(s3Error, "0");
  socket.end(
    `HTTP/1.1 400 Bad Request\r\nContent-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
