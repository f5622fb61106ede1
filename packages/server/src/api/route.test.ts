import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MiB } from "./plan.js";
import { defineRoute, type RouteOptions } from "./route.js";

const authorize = () => ({ id: "u" });
const base: RouteOptions<{ id: string }> = { types: ["image/*"], maxSize: MiB, authorize };

describe("defineRoute", () => {
  it("fills in the defaults and expands families", () => {
    const route = defineRoute(base);
    assert.equal(route.expiresIn, 300);
    assert.equal(route.multipartThreshold, 64 * MiB);
    assert.equal(route.partSize, 8 * MiB);
    assert.equal(route.maxPendingPerUser, 20);
    assert.equal(route.minSize, 0);
    assert.ok(route.types.includes("image/png"));
  });

  const refused: [string, Partial<RouteOptions<{ id: string }>>, RegExp][] = [
    ["no types", { types: [] }, /at least one/],
    ["an unknown family", { types: ["chemical/*"] }, /no known members/],
    ["a zero maxSize", { maxSize: 0 }, /maxSize/],
    ["a fractional maxSize", { maxSize: 1.5 }, /maxSize/],
    ["minSize above maxSize", { minSize: 2 * MiB }, /minSize/],
    ["a URL lifetime over 7 days", { expiresIn: 604_801 }, /expiresIn/],
    ["a zero URL lifetime", { expiresIn: 0 }, /expiresIn/],
    ["parts under 5 MiB", { partSize: 4 * MiB }, /partSize/],
    [
      "a threshold above R2's largest PUT",
      { multipartThreshold: 5 * 1024 * MiB },
      /multipartThreshold/,
    ],
    ["no pending uploads allowed", { maxPendingPerUser: 0 }, /maxPendingPerUser/],
    ["a metadata name with capitals", { metadata: { Owner: () => "x" } }, /metadata name/],
  ];
  for (const [what, change, pattern] of refused) {
    it(`refuses ${what} at definition time`, () => {
      assert.throws(() => defineRoute({ ...base, ...change }), pattern);
    });
  }
});
