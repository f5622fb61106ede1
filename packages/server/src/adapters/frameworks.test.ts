/**
 * The adapters in the frameworks themselves, each as its users mount it, with the body
 * read or parsed by the framework before the upload API sees it.
 */
import assert from "node:assert/strict";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import express from "express";
import Fastify from "fastify";
import Koa from "koa";
import { fastifyUploads } from "./fastify.js";
import { toNodeListener, type WebHandler } from "./node.js";

const echo: WebHandler = {
  basePath: "/api/uploads",
  async handle(request) {
    const body = await request.text();
    return Response.json(
      { method: request.method, path: new URL(request.url).pathname, body },
      { status: 201, headers: { "x-echo": "yes" } },
    );
  },
};

async function listening(server: Server): Promise<string> {
  if (!server.listening) await new Promise((resolve) => server.once("listening", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

const post = (url: string, body: string, type = "application/json") =>
  fetch(url, { method: "POST", headers: { "content-type": type }, body });

describe("the upload API in frameworks", () => {
  it("Express 5 after express.json() and express.text(), mounted under a path", async () => {
    const app = express();
    app.use(express.json(), express.text());
    app.use("/api/uploads", toNodeListener(echo));
    const server = app.listen(0, "127.0.0.1");
    const url = await listening(server);
    try {
      const json = await post(`${url}/api/uploads/abc`, '{"a":1}');
      assert.equal(json.status, 201);
      assert.deepEqual(await json.json(), {
        method: "POST",
        path: "/api/uploads/abc",
        body: '{"a":1}',
      });
      const text = await post(`${url}/api/uploads`, "plain words", "text/plain");
      assert.equal(((await text.json()) as { body: string }).body, "plain words");
    } finally {
      await close(server);
    }
  });

  it("Koa, with the stream read by a middleware before it", async () => {
    const app = new Koa();
    const listener = toNodeListener(echo);
    app.use(async (ctx, next) => {
      // What a body parser does: read the stream to its end, keep the bytes.
      const chunks: Buffer[] = [];
      for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
      (ctx.req as { body?: unknown }).body = Buffer.concat(chunks);
      await next();
    });
    // As the README mounts it: the upload API's paths, and the app's own after it.
    app.use((ctx, next) => {
      if (!ctx.path.startsWith(echo.basePath)) return next();
      ctx.respond = false;
      listener(ctx.req, ctx.res);
    });
    app.use((ctx) => {
      ctx.body = "app's own";
    });
    const server = app.listen(0, "127.0.0.1");
    const url = await listening(server);
    try {
      const response = await post(`${url}/api/uploads`, '{"b":2}');
      assert.equal(response.status, 201);
      assert.equal(((await response.json()) as { body: string }).body, '{"b":2}');
      assert.equal(await (await fetch(`${url}/other`)).text(), "app's own");
    } finally {
      await close(server);
    }
  });

  it("Fastify 5 through the plugin: the bytes that came, any content type, the answer's headers", async () => {
    const app = Fastify();
    await app.register(fastifyUploads(echo));
    app.get("/other", async () => "app's own");
    await app.listen({ port: 0, host: "127.0.0.1" });
    const url = await listening(app.server);
    try {
      const json = await post(`${url}/api/uploads/abc/complete`, '{ "c" : 3 }');
      assert.equal(json.status, 201);
      assert.equal(json.headers.get("x-echo"), "yes");
      assert.deepEqual(await json.json(), {
        method: "POST",
        path: "/api/uploads/abc/complete",
        body: '{ "c" : 3 }',
      });
      const text = await post(`${url}/api/uploads`, "{}", "text/plain");
      assert.equal(((await text.json()) as { body: string }).body, "{}");
      const get = await fetch(`${url}/api/uploads/abc`);
      assert.equal(((await get.json()) as { method: string }).method, "GET");
      assert.equal(await (await fetch(`${url}/other`)).text(), "app's own");
    } finally {
      await app.close();
    }
  });

  it("Fastify 5 with reply.hijack() and the Node listener: answers, never waits for an ended stream", async () => {
    const app = Fastify();
    const listener = toNodeListener(echo);
    app.post("/api/uploads", (request, reply) => {
      reply.hijack();
      listener(request.raw, reply.raw);
    });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const url = await listening(app.server);
    try {
      const response = await post(`${url}/api/uploads`, '{"d":4}');
      assert.equal(response.status, 201);
      // Fastify parsed the body into request.body, not onto the raw request: none left.
      assert.equal(((await response.json()) as { body: string }).body, "");
    } finally {
      await app.close();
    }
  });
});
