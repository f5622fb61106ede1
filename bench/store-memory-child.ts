/**
 * The store in a process of its own, for `store-memory.ts`: listens on loopback, reports
 * its URL, and answers each "stats" message with its memory after a full GC.
 */
import { createStore } from "@sluice/store";

const [dataDir = ""] = process.argv.slice(2);
const store = createStore({
  dataDir,
  credentials: { accessKeyId: "MEMORYBENCH", secretAccessKey: "memory-bench-secret" },
});
const url = await store.listen(0);
const send = (message: unknown) => process.send?.(message);
send({ url });
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
process.on("message", (message) => {
  if (message !== "stats") return;
  // V8 frees ArrayBuffers' memory on a background task after a GC: collect twice, a
  // moment apart, so what is counted is what is still held.
  gc();
  setTimeout(() => {
    gc();
    send({ stats: process.memoryUsage() });
  }, 500);
});
process.on("disconnect", () => {
  void store.close(0).then(() => process.exit(0));
});
