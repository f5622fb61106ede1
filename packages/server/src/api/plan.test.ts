import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GiB, MAX_OBJECT_SIZE, MAX_PARTS, MiB, partSizeOf, planParts } from "./plan.js";

describe("planParts", () => {
  const cases: [string, number, number, number, number][] = [
    // name, size, preferred, partSize, partCount
    ["one byte is one part", 1, 8 * MiB, 8 * MiB, 1],
    ["exactly one part", 8 * MiB, 8 * MiB, 8 * MiB, 1],
    ["one byte over is two parts", 8 * MiB + 1, 8 * MiB, 8 * MiB, 2],
    ["100 MiB in 8 MiB parts", 100 * MiB, 8 * MiB, 8 * MiB, 13],
    ["exactly 10,000 parts keeps the size", 10_000 * 8 * MiB, 8 * MiB, 8 * MiB, 10_000],
    ["one byte more grows the part by a MiB", 10_000 * 8 * MiB + 1, 8 * MiB, 9 * MiB, 8889],
    ["1 TiB", 1024 * GiB, 8 * MiB, 105 * MiB, 9987],
    ["the largest object", MAX_OBJECT_SIZE, 5 * MiB, 524 * MiB, 9996],
  ];
  for (const [name, size, preferred, partSize, partCount] of cases) {
    it(name, () => {
      const plan = planParts(size, preferred);
      assert.deepEqual(plan, { partSize, partCount });
      assert.ok(plan.partCount <= MAX_PARTS);
      const last = partSizeOf(plan, size, plan.partCount);
      assert.ok(last >= 1 && last <= plan.partSize, `last part ${last}`);
      assert.equal(plan.partSize * (plan.partCount - 1) + last, size);
      assert.equal(plan.partSize % MiB, 0);
    });
  }

  it("refuses part sizes outside S3's limits and sizes outside an object's", () => {
    assert.throws(() => planParts(100 * MiB, 4 * MiB), RangeError);
    assert.throws(() => planParts(100 * MiB, 6 * GiB), RangeError);
    assert.throws(() => planParts(0, 8 * MiB), RangeError);
    assert.throws(() => planParts(MAX_OBJECT_SIZE + 1, 8 * MiB), RangeError);
  });

  it("gives every part but the last the plan's size", () => {
    const plan = planParts(20 * MiB + 3, 8 * MiB);
    assert.deepEqual(
      [1, 2, 3].map((n) => partSizeOf(plan, 20 * MiB + 3, n)),
      [8 * MiB, 8 * MiB, 4 * MiB + 3],
    );
  });
});
