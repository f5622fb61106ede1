/**
 * The hosts of the upload API that `runtimes.test.ts` runs the flow against, each a
 * small app in `fixtures/` (or `next/`, `worker/`) started with its real runtime from
 * npm: Node (20, this one; 22 and 24 from the `node` package), Bun, Deno, Next.js's
 * production server and workerd through wrangler. A host runs in a process group of its
 * own, so that stopping it stops what it started (wrangler's workerd).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const HERE = fileURLToPath(new URL(".", import.meta.url));
const BIN = join(ROOT, "node_modules", ".bin");

/**
 * The Node lines run besides this one, from the `node` package (which installs the
 * official binary from the npm registry), kept under node_modules/.cache between runs.
 * Pinned: the newest of each line when this suite was written.
 */
export const NODE_LINES = { "22": "22.23.3", "24": "24.9.0" } as const;

export function nodeBinary(line: keyof typeof NODE_LINES): string {
  const version = NODE_LINES[line];
  const prefix = join(ROOT, "node_modules", ".cache", "sluice-node", version);
  const binary = join(prefix, "node_modules", "node", "bin", "node");
  if (!existsSync(binary)) {
    mkdirSync(prefix, { recursive: true });
    execFileSync(
      "npm",
      ["install", "--prefix", prefix, "--no-save", "--no-audit", "--no-fund", `node@${version}`],
      { stdio: "ignore" },
    );
  }
  return binary;
}

export const bin = (name: string) => join(BIN, name);

export interface Host {
  readonly url: string;
  readonly output: () => string;
  stop(): Promise<void>;
}

/** Starts `command`, resolves with the URL it announces (or `url`, once it answers). */
export async function startHost(
  name: string,
  command: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; url?: string; timeoutMs?: number },
): Promise<Host> {
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.stdout?.on("data", (data: Buffer) => {
    output += data.toString();
  });
  child.stderr?.on("data", (data: Buffer) => {
    output += data.toString();
  });
  const stop = async () => {
    signal(child, "SIGTERM");
    const killed = setTimeout(() => signal(child, "SIGKILL"), 5_000);
    await exited;
    clearTimeout(killed);
  };
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let gone = false;
  child.once("exit", () => {
    gone = true;
  });
  for (;;) {
    const url = options.url ?? /listening on (http:\/\/\S+)/.exec(output)?.[1];
    if (url !== undefined && (await answers(url))) return { url, output: () => output, stop };
    if (gone || Date.now() > deadline) {
      await stop();
      throw new Error(`${name} did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function signal(child: ChildProcess, name: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, name);
  } catch {}
}

async function answers(url: string): Promise<boolean> {
  try {
    await (await fetch(`${url}/api/uploads/AAAAAAAAAAAAAAAAAAAAAA`)).arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

/** A port free now on loopback, for hosts that take one rather than choose. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
