/**
 * The store as a child process, for the crash suites: `sluice store` run from source
 * (no stale build), killed with SIGKILL and started again on the same data folder.
 */
import { after } from "node:test";
import type { Credentials } from "@sluice/sigv4";
import { type ChildServer, startChildServer } from "../child-process.js";

const CLI_FROM_SOURCE = [
  "--conditions=source",
  "--import",
  "tsx",
  "--input-type=module",
  "-e",
  'import { main } from "@sluice/cli"; process.exitCode = await main(process.argv.slice(1));',
];

export interface RunningStore extends ChildServer<string> {
  readonly url: string;
}

const running = new Set<RunningStore>();
after(async () => {
  for (const store of running) await store.kill();
});

export async function startStoreProcess(
  dataDir: string,
  credentials: Credentials,
): Promise<RunningStore> {
  const server = await startChildServer(
    [...CLI_FROM_SOURCE, "store", "--port", "0", "--data", dataDir, "--quiet"],
    (output) => /listening on (http:\/\/\S+)/.exec(output)?.[1],
    {
      name: "the store",
      cwd: new URL("../..", import.meta.url),
      env: {
        SLUICE_ACCESS_KEY_ID: credentials.accessKeyId,
        SLUICE_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      },
    },
  );
  const store = { ...server, url: server.ready };
  running.add(store);
  return store;
}

export async function killStore(store: RunningStore): Promise<void> {
  await store.kill();
  running.delete(store);
}
