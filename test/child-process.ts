/**
 * A server run as a child process (the store for crash tests and benchmarks, the demo
 * for the browser benchmark): started, waited for until what it prints says it is
 * ready, drained so a full pipe never stalls it, and stopped.
 */
import { type ChildProcess, spawn } from "node:child_process";

export interface ChildServer<T> {
  readonly child: ChildProcess;
  /** What `ready` read from the output. */
  readonly ready: T;
  readonly exited: Promise<void>;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  kill(): Promise<void>;
}

/**
 * Runs `node <args>` and resolves once `ready` finds what it waits for in the child's
 * output so far (stdout and stderr together); rejects, with that output, if the child
 * exits first.
 */
export async function startChildServer<T>(
  args: readonly string[],
  ready: (output: string) => T | undefined,
  options: { name: string; cwd?: string | URL; env?: NodeJS.ProcessEnv },
): Promise<ChildServer<T>> {
  const child = spawn(process.execPath, args, {
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let output = "";
  let isReady = false;
  const value = await new Promise<T>((resolve, reject) => {
    // The output is kept until the child is ready (for the error below), then only drained.
    const onData = (data: Buffer) => {
      if (isReady) return;
      output += data.toString();
      const found = ready(output);
      if (found === undefined) return;
      isReady = true;
      output = "";
      resolve(found);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code, signal) =>
      reject(
        new Error(`${options.name} exited (${code ?? signal}) before it was ready:\n${output}`),
      ),
    );
  });
  return {
    child,
    ready: value,
    exited,
    async stop(graceMs = 5_000) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      child.kill("SIGKILL");
      await exited;
    },
  };
}
