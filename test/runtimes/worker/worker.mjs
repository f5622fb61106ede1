// The upload API as a Cloudflare Worker: the ledger in D1, or in PostgreSQL when the
// DATABASE_URL var names one; the sweep on a Cron Trigger. One handler per isolate,
// made at the first request (where env is at hand); nothing in it holds one request's
// I/O objects, so every request may use it.
import { createUploadHandler, openD1Ledger } from "@sluice/server";
import { routes, storage, withSweep } from "../fixtures/app.mjs";

let handler;
const uploads = (env) =>
  (handler ??= createUploadHandler({
    routes: routes(),
    storage: storage(env),
    ...(env.DATABASE_URL
      ? { databaseUrl: env.DATABASE_URL }
      : { ledger: openD1Ledger({ database: env.DB }) }),
    sweepGraceMs: 0,
  }));

export default {
  fetch: (request, env) => withSweep(uploads(env))(request),
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(uploads(env).sweep());
  },
};
