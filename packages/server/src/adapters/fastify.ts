/**
 * The upload API as a Fastify plugin: `app.register(fastifyUploads(handler))`. Fastify
 * reads request bodies itself, so the plugin takes each body as the bytes that came
 * (a parser for every content type, in the plugin's own encapsulated context: the app's
 * parsers elsewhere are untouched) and hands the Web handler a `Request` made of them.
 * Typed structurally: the server does not depend on Fastify.
 * https://fastify.dev/docs/latest/Reference/ContentTypeParser/
 */
import type { IncomingHttpHeaders } from "node:http";
import { MAX_BODY_BYTES } from "../api/parse-request.js";
import type { WebHandler } from "./node.js";

interface FastifyRequestLike {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body?: unknown;
}
interface FastifyReplyLike {
  code(status: number): FastifyReplyLike;
  headers(values: Record<string, string>): FastifyReplyLike;
  send(payload?: Uint8Array): unknown;
}
interface FastifyLike {
  removeAllContentTypeParsers(): void;
  addContentTypeParser(
    type: string,
    options: { parseAs: "buffer"; bodyLimit: number },
    parse: (request: unknown, body: Buffer, done: (error: null, body: Buffer) => void) => void,
  ): void;
  route(options: {
    method: string[];
    url: string;
    handler: (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<unknown>;
  }): unknown;
}

const METHODS = ["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"];

export function fastifyUploads(handler: WebHandler): (app: FastifyLike) => Promise<void> {
  return async (app) => {
    app.removeAllContentTypeParsers();
    // A little past the API's own limit, so that the handler refuses an oversized body
    // with its own error, not Fastify's.
    const bodyLimit = MAX_BODY_BYTES + 1;
    app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit }, (_request, body, done) =>
      done(null, body),
    );
    const route = async (request: FastifyRequestLike, reply: FastifyReplyLike) => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(request.headers)) {
        if (value === undefined) continue;
        for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
      }
      const body = request.body instanceof Uint8Array ? request.body : undefined;
      const response = await handler.handle(
        new Request(`http://localhost${request.url}`, {
          method: request.method,
          headers,
          ...(body && body.length > 0 ? { body } : {}),
        }),
      );
      const out: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        out[name] = value;
      });
      return reply
        .code(response.status)
        .headers(out)
        .send(new Uint8Array(await response.arrayBuffer()));
    };
    app.route({ method: METHODS, url: handler.basePath, handler: route });
    app.route({ method: METHODS, url: `${handler.basePath}/*`, handler: route });
  };
}
