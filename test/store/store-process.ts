/**
 * The store as a child process, for the crash suites: `sluice store` run from source
 * (no stale build), killed with SIGKILL and started again on the same data folder.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { after } from "node:test";
import type { Credentials } from "@sluice/sigv4";

const CLI_FROM_SOURCE = [
  "--conditions=source",
  "--import",
  "tsx",
  "--input-type=module",
  "-e",
  'import { main } from "@sluice/cli"; process.exitCode = await main(process.argv.slice(1));',
];

export interface RunningStore {
  readonly url: string;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

const running = new Set<RunningStore>();
after(async () => {
  for (const store of running) await killStore(store);
});

export async function startStoreProcess(
  dataDir: string,
  credentials: Credentials,
): Promise<RunningStore> {
  const child = spawn(
    process.execPath,
    [...CLI_FROM_SOURCE, "store", "--port", "0", "--data", dataDir, "--quiet"],
    {
      cwd: new URL("../..", import.meta.url),
      env: {
        ...process.env,
        SLUICE_ACCESS_KEY_ID: credentials.accessKeyId,
        SLUICE_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1] as string);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code, signal) =>
      reject(new Error(`the store exited (${code ?? signal}) before listening:\n${output}`)),
    );
  });
  const store = { url, child, exited };
  running.add(store);
  return store;
}

export async function killStore(store: RunningStore): Promise<void> {
  store.child.kill("SIGKILL");
  await store.exited;
  running.delete(store);
}
