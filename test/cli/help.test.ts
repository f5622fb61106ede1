/** Every command says how to use it, and exit codes mean one thing each. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sluice } from "./helpers.js";

const COMMANDS: readonly (readonly string[])[] = [
  ["cors"],
  ["cors", "put"],
  ["cors", "get"],
  ["cors", "delete"],
  ["cors", "generate"],
  ["cors", "check"],
  ["presign"],
  ["explain"],
  ["doctor"],
  ["sweep"],
];

describe("sluice --help", { concurrency: true }, () => {
  it("lists the operator's commands", async () => {
    const result = await sluice(["--help"]);
    assert.equal(result.code, 0);
    for (const command of ["cors", "presign", "explain", "doctor", "sweep"]) {
      assert.match(result.stdout, new RegExp(`^ {2}${command} +\\S`, "m"));
    }
  });

  for (const command of COMMANDS) {
    it(`sluice ${command.join(" ")} --help prints its usage and exits 0`, async () => {
      const result = await sluice([...command, "--help"]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`^Usage: sluice ${command.join(" ")}`));
      assert.equal(result.stderr, "");
    });
  }

  it("storage commands document the shared options and where credentials come from", async () => {
    for (const command of [["cors", "put"], ["cors", "check"], ["presign"], ["doctor"]]) {
      const result = await sluice([...command, "-h"]);
      assert.match(result.stdout, /--endpoint-url URL/);
      assert.match(result.stdout, /--region REGION +the signing region \(default auto/);
      assert.match(result.stdout, /SLUICE_ACCESS_KEY_ID and SLUICE_SECRET_ACCESS_KEY/);
    }
  });

  it("sweep documents the module contract", async () => {
    const result = await sluice(["sweep", "--help"]);
    assert.match(
      result.stdout,
      /default export, or whose export named "uploads", is the value\s+createUploadHandler\(\) returned/,
    );
  });

  it("a command without its subcommand prints the usage and exits 2", async () => {
    const result = await sluice(["cors"]);
    assert.equal(result.code, 2);
    assert.match(result.stdout, /^Usage: sluice cors <put\|get\|delete\|generate\|check>/);
  });
});
