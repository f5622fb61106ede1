/**
 * The ledger suite (`packages/server/src/ledger/ledger.test.ts`) on the drivers this Node
 * does not have: node:sqlite and D1 (local, in workerd through Miniflare) on Node 22,
 * node:sqlite on Node 24, and bun:sqlite under `bun test`, which runs node:test suites.
 * PostgreSQL is left to the run on this Node.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { bin, nodeBinary, ROOT } from "./hosts.js";

const SUITE = join("packages", "server", "src", "ledger", "ledger.test.ts");

function run(command: string, args: readonly string[], ledgers: string): string {
  // Without NODE_TEST_CONTEXT, which would make the child report to this runner, not print.
  const { NODE_TEST_CONTEXT, ...env } = process.env;
  const result = spawnSync(command, args, {
    cwd: ROOT,
    env: { ...env, SLUICE_TEST_LEDGERS: ledgers },
    encoding: "utf8",
    timeout: 300_000,
  });
  const output = `${result.stdout}${result.stderr}`;
  assert.equal(result.status, 0, output);
  return output;
}

const onNode = (line: "22" | "24", ledgers: string) =>
  run(
    nodeBinary(line),
    ["--conditions=source", "--import", "tsx", "--test", "--test-reporter=spec", SUITE],
    ledgers,
  );

describe("the ledger suite on other runtimes' SQLite and on D1", { timeout: 600_000 }, () => {
  it("node:sqlite and D1 on Node 22", () => {
    const output = onNode("22", "SQLite,D1");
    assert.match(output, /✔ SQLite \(node:sqlite\) ledger/);
    assert.match(output, /✔ D1 ledger/);
    assert.match(output, /ℹ fail 0/);
  });

  it("node:sqlite on Node 24", () => {
    const output = onNode("24", "SQLite");
    assert.match(output, /✔ SQLite \(node:sqlite\) ledger/);
  });

  it("bun:sqlite under bun test", () => {
    const output = run(bin("bun"), ["test", `./${SUITE}`], "SQLite");
    assert.match(output, /\(pass\) SQLite \(bun:sqlite\) ledger/);
    assert.match(output, / 0 fail/);
  });
});
