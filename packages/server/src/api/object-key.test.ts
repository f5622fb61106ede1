import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkKey, defaultKey, keySegment } from "./object-key.js";

describe("keySegment", () => {
  const cases: [string, string][] = [
    ["alice", "alice"],
    ["user@example.com", "user%40example.com"],
    ["a/b", "a%2Fb"],
    ["../..", "..%2F.."],
    ["..", "%2E%2E"],
    [".", "%2E"],
    ["50%", "50%25"],
    ["ü", "%C3%BC"],
  ];
  for (const [value, segment] of cases) {
    it(`${JSON.stringify(value)} → ${segment}`, () => {
      assert.equal(keySegment(value), segment);
      assert.ok(!segment.includes("/"));
    });
  }
  it("refuses an empty value", () => assert.throws(() => keySegment(""), RangeError));
});

describe("defaultKey", () => {
  it("is route/user/id+extension, with nothing of the file's name", () => {
    const key = defaultKey({
      route: "avatars",
      user: { id: "u/1" },
      id: "abc",
      extension: ".jpg",
      type: "image/jpeg",
    });
    assert.equal(key, "avatars/u%2F1/abc.jpg");
  });
});

describe("checkKey", () => {
  for (const key of ["", "/abs", "a/../b", "a/./b", "..", "a\nb", "x".repeat(1025)]) {
    it(`refuses ${JSON.stringify(key.slice(0, 20))}`, () => assert.throws(() => checkKey(key)));
  }
  it("keeps a plain key", () => assert.equal(checkKey("a/b.c/d..e"), "a/b.c/d..e"));
});
