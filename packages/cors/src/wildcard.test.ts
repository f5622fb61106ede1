import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { countWildcards, WildcardPattern } from "./wildcard.js";

describe("WildcardPattern", () => {
  const cases: [pattern: string, value: string, matches: boolean][] = [
    ["https://app.example", "https://app.example", true],
    ["https://app.example", "https://app.example.evil", false],
    ["https://app.example", "xhttps://app.example", false],
    ["*", "", true],
    ["*", "anything at all", true],
    ["https://*.example.com", "https://a.example.com", true],
    ["https://*.example.com", "https://a.b.example.com", true],
    ["https://*.example.com", "https://example.com", false],
    ["https://*.example.com", "https://a.example.com.evil", false],
    ["start*end", "startend", true],
    ["abc*abc", "abc", false],
    ["abc*abc", "abcabc", true],
    ["a*b*c", "abc", true],
    ["a*b*c", "aXbYc", true],
    ["a*b*c", "acb", false],
    ["a*bc*bc", "abcbc", true],
    ["a*bc*bc", "abc", false],
  ];
  for (const [pattern, value, matches] of cases) {
    it(`${matches ? "matches" : "does not match"} ${JSON.stringify(value)} with ${JSON.stringify(pattern)}`, () => {
      assert.equal(
        new WildcardPattern(pattern, { caseInsensitive: false }).matches(value),
        matches,
      );
    });
  }

  it("compares case-sensitively unless asked not to", () => {
    assert.equal(
      new WildcardPattern("X-Amz-*", { caseInsensitive: false }).matches("x-amz-date"),
      false,
    );
    assert.equal(
      new WildcardPattern("X-Amz-*", { caseInsensitive: true }).matches("x-amz-date"),
      true,
    );
  });

  it("counts wildcards", () => {
    assert.deepEqual(["", "a", "*", "a*b*", "***"].map(countWildcards), [0, 0, 1, 2, 3]);
  });
});
