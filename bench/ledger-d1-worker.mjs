// The ledger bench's loop inside workerd, on its D1 binding: bundled by ledger-driver.mjs
// with esbuild, run by Miniflare. GET /?uploads=N answers the round's timings.
import { openD1Ledger } from "../packages/server/dist/ledger/d1-ledger.js";
import { uploadsLoop } from "./ledger-loop.mjs";

export default {
  async fetch(request, env) {
    const uploads = Number(new URL(request.url).searchParams.get("uploads"));
    const ledger = openD1Ledger({ database: env.DB });
    return Response.json(await uploadsLoop(ledger, uploads, crypto.randomUUID()));
  },
};
