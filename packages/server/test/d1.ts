/**
 * D1 for the ledger suite: local D1 databases in workerd, run by Miniflare (what
 * `wrangler dev` runs), reached from the test through Miniflare's binding proxy, so the
 * D1 ledger talks to the real D1 implementation. Miniflare needs Node 22+: on an older
 * Node the D1 suite is skipped, saying so (`test/runtimes/` runs it on Node 22).
 */
import type { D1Binding } from "../src/ledger/d1-ledger.js";

/** How many empty databases one run may use: one per place a test opens. */
const DATABASES = 48;

interface MiniflareLike {
  getD1Database(binding: string): Promise<D1Binding>;
  dispose(): Promise<void>;
}

export interface D1ForTests {
  readonly skip: string | undefined;
  start(): Promise<void>;
  close(): Promise<void>;
  /** A database no test has used yet. */
  database(): Promise<D1Binding>;
}

export function d1ForTests(): D1ForTests {
  const major = Number(process.versions.node?.split(".")[0] ?? 0);
  const skip =
    "Bun" in globalThis || major < 22
      ? `Miniflare (local D1) needs Node 22 or later; this is ${"Bun" in globalThis ? "Bun" : `Node ${process.version}`}`
      : undefined;
  let miniflare: MiniflareLike | undefined;
  let used = 0;
  return {
    skip,
    async start() {
      const name = "miniflare";
      const { Miniflare } = (await import(name)) as {
        Miniflare: new (options: Record<string, unknown>) => MiniflareLike;
      };
      // Nothing persisted: the databases live in workerd's memory for this run.
      miniflare = new Miniflare({
        modules: true,
        script: "export default { fetch: () => new Response('') }",
        d1Databases: Object.fromEntries(
          Array.from({ length: DATABASES }, (_, n) => [`DB${n}`, `sluice-test-${n}`]),
        ),
      });
    },
    async close() {
      await miniflare?.dispose();
    },
    async database() {
      if (!miniflare) throw new Error("D1 is not started");
      if (used >= DATABASES) throw new Error(`more than ${DATABASES} D1 databases in one run`);
      return miniflare.getD1Database(`DB${used++}`);
    },
  };
}
