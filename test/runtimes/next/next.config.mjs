import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../..", import.meta.url));

export default {
  // Loaded by Node as it is, not bundled: it picks its SQLite driver at run time.
  serverExternalPackages: ["@sluice/server"],
  turbopack: { root },
  outputFileTracingRoot: root,
};
