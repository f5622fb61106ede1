/** sluice store's own options: refused at once, with exit 2, when they cannot be right. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sluice } from "./helpers.js";

describe("sluice store options", { concurrency: true }, () => {
  it("documents the region and the abort of incomplete uploads", async () => {
    const result = await sluice(["store", "--help"]);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /--region NAME/);
    assert.match(result.stdout, /--abort-incomplete-after DAYS/);
  });

  for (const [flag, value, message] of [
    ["--abort-incomplete-after", "soon", /positive number of days, not soon/],
    ["--abort-incomplete-after", "0", /positive number of days, not 0/],
    ["--port", "70000", /--port must be 0\.\.65535/],
    ["--flavor", "gcs", /--flavor must be r2 or s3/],
  ] as const) {
    it(`refuses ${flag} ${value} with exit 2`, async () => {
      const result = await sluice(["store", flag, value]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, message);
    });
  }
});
