/**
 * What the CLI suites share: the embedded store on loopback, the `sluice` command run as
 * a user runs it (a child process, credentials in its environment, in a working folder
 * of its own) from the sources, and the `aws` CLI as the independent judge.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createS3Api, type S3Api } from "@sluice/s3/client";
import type { Credentials } from "@sluice/sigv4";
import { createStore, type Store } from "@sluice/store";
import { type RunResult, runAwsCli, runProcess } from "../aws-cli.js";

// The SDK warns once per process that it will soon need Node 22; the suites run on 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

export const CREDENTIALS: Credentials = {
  accessKeyId: "SLUICECLITEST",
  secretAccessKey: "cli-test-secret/with+odd=chars",
};

const MAIN = fileURLToPath(new URL("../../packages/cli/src/main.ts", import.meta.url));
const TSX = import.meta.resolve("tsx");

export interface TestStore {
  readonly store: Store;
  readonly url: string;
  readonly internalErrors: unknown[];
  /** A bucket of its own for one test, created now. */
  bucket(name: string): Promise<S3Api>;
  close(): Promise<void>;
}

export async function startStore(
  credentials: Credentials | readonly Credentials[] = CREDENTIALS,
  options: { now?: () => Date } = {},
): Promise<TestStore> {
  const internalErrors: unknown[] = [];
  const store = createStore({
    dataDir: mkdtempSync(join(tmpdir(), "sluice-cli-store-")),
    credentials,
    ...(options.now ? { now: options.now } : {}),
    onInternalError: (error) => internalErrors.push(error),
  });
  const url = await store.listen(0);
  return {
    store,
    url,
    internalErrors,
    async bucket(name) {
      const s3 = createS3Api(
        { endpoint: url, bucket: name, credentials: CREDENTIALS },
        () => new Date(),
      );
      await s3.createBucket();
      return s3;
    },
    async close() {
      await store.close(1_000);
      if (internalErrors.length > 0) {
        throw new AggregateError(internalErrors, "the store answered 500 InternalError");
      }
    },
  };
}

export type { RunResult } from "../aws-cli.js";
export { awsCliInstalled, requireAwsCli } from "../aws-cli.js";

/** The environment a user's shell would give: credentials, and nothing of this machine's AWS setup. */
export function userEnv(
  extra: Readonly<Record<string, string | undefined>> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith("AWS_") && !name.startsWith("SLUICE_")) env[name] = value;
  }
  Object.assign(env, {
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  });
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** `sluice <args>`, from the sources, in `cwd` (a fresh folder unless given). */
export function sluice(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; stdin?: string } = {},
): Promise<RunResult> {
  const script = `const { main } = await import(${JSON.stringify(MAIN)}); process.exitCode = await main(process.argv.slice(1));`;
  return runProcess(
    process.execPath,
    ["--conditions=source", "--import", TSX, "-e", script, "--", ...args],
    {
      cwd: options.cwd ?? workdir(),
      env: options.env ?? userEnv(),
      ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
    },
  );
}

/** A fresh working folder, as a user's current directory. */
export function workdir(): string {
  return mkdtempSync(join(tmpdir(), "sluice-cli-"));
}

/** `aws <args> --endpoint-url <url>` with the test credentials and no local AWS config. */
export function aws(url: string, args: readonly string[], cwd: string): Promise<RunResult> {
  return runAwsCli(url, args, cwd, CREDENTIALS);
}
