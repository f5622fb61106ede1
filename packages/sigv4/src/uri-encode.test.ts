import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { objectUrl, splitUrl } from "./object-url.js";
import { canonicalUri, uriEncode, uriEncodePath } from "./uri-encode.js";

describe("uriEncode", () => {
  const cases: [string, string][] = [
    ["AZaz09-_.~", "AZaz09-_.~"],
    ["a b", "a%20b"],
    ["a+b", "a%2Bb"],
    ["a/b", "a%2Fb"],
    ["100%", "100%25"],
    ["!'()*", "%21%27%28%29%2A"],
    ["$&,:;=?@#[]", "%24%26%2C%3A%3B%3D%3F%40%23%5B%5D"],
    ["ü", "%C3%BC"],
    ["日本", "%E6%97%A5%E6%9C%AC"],
    ["😀", "%F0%9F%98%80"],
    ["", ""],
  ];
  for (const [input, expected] of cases) {
    it(`encodes ${JSON.stringify(input)} as ${expected}`, () => {
      assert.equal(uriEncode(input), expected);
    });
  }

  it("refuses a lone surrogate, which has no UTF-8 form", () => {
    assert.throws(() => uriEncode("a\ud800b"), URIError);
  });
});

describe("uriEncodePath", () => {
  it("keeps slashes, doubled ones and dot segments verbatim", () => {
    assert.equal(uriEncodePath("a//b/./c/../d e"), "a//b/./c/../d%20e");
  });
});

describe("canonicalUri", () => {
  const cases: [string, string, string][] = [
    ["an already canonical path", "/b/a%20b%2Bc/%C3%BC~.txt", "/b/a%20b%2Bc/%C3%BC~.txt"],
    ["an escaped unreserved character", "/b/%7Efile", "/b/~file"],
    ["lower-case hex", "/b/%c3%bc", "/b/%C3%BC"],
    ["a raw character that must be escaped", "/b/a*b", "/b/a%2Ab"],
    ["a raw non-ASCII character", "/ሴ", "/%E1%88%B4"],
    ["an escaped slash, which stays a slash", "/b/a%2Fb", "/b/a/b"],
    ["a lone percent sign", "/b/100%", "/b/100%25"],
    ["a percent sign before non-hex", "/b/%zz", "/b/%25zz"],
    ["bytes that are not UTF-8", "/b/%FF%FE", "/b/%FF%FE"],
    ["dot segments and doubled slashes, never normalised", "/b//./../k", "/b//./../k"],
  ];
  for (const [what, raw, expected] of cases) {
    it(`canonicalises ${what}: ${raw} → ${expected}`, () => {
      assert.equal(canonicalUri(raw), expected);
    });
  }
});

describe("objectUrl and splitUrl", () => {
  it("builds path-style and virtual-hosted URLs with the key encoded once", () => {
    assert.equal(
      objectUrl("http://127.0.0.1:9000", "b", "dir/a b+c.txt"),
      "http://127.0.0.1:9000/b/dir/a%20b%2Bc.txt",
    );
    assert.equal(
      objectUrl("https://acct.r2.cloudflarestorage.com/", "b", "k"),
      "https://acct.r2.cloudflarestorage.com/b/k",
    );
    assert.equal(
      objectUrl("http://localhost:9000", "b", "k", { virtualHosted: true }),
      "http://b.localhost:9000/k",
    );
  });

  it("keeps dot segments that new URL() would remove", () => {
    const url = objectUrl("http://h", "b", "a/../c");
    assert.equal(url, "http://h/b/a/../c");
    assert.equal(splitUrl(url).path, "/b/a/../c");
    assert.equal(new URL(url).pathname, "/b/c");
  });

  it("splits host, path and raw query", () => {
    assert.deepEqual(splitUrl("HTTP://h:1/p?uploads&x=1#frag"), {
      protocol: "http:",
      host: "h:1",
      path: "/p",
      query: "uploads&x=1",
    });
    assert.equal(splitUrl("https://h").path, "/");
    assert.throws(() => splitUrl("ftp://h/x"), TypeError);
  });
});
