import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { presign } from "./presign.js";

const base = {
  method: "PUT",
  url: "http://127.0.0.1:9000/b/k",
  credentials: { accessKeyId: "AKID", secretAccessKey: "SECRET" },
  region: "auto",
  signingDate: new Date("2026-11-28T12:00:00.750Z"),
};

describe("presign", () => {
  it("binds every header it is given and returns exactly those to send", () => {
    const result = presign({
      ...base,
      expiresIn: 300,
      headers: { "Content-Type": "image/png", "Content-Length": 1234, "If-None-Match": "*" },
    });
    assert.deepEqual(result.signedHeaders, [
      "content-length",
      "content-type",
      "host",
      "if-none-match",
    ]);
    assert.deepEqual(result.headers, {
      "content-length": "1234",
      "content-type": "image/png",
      "if-none-match": "*",
    });
    assert.match(
      result.url,
      /X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost%3Bif-none-match/,
    );
  });

  it("reports when the URL stops working, from the whole second it was signed in", () => {
    const result = presign({ ...base, expiresIn: 300 });
    assert.equal(result.expiresAt.toISOString(), "2026-11-28T12:05:00.000Z");
  });

  it("accepts 1 and 604800 seconds and refuses anything outside", () => {
    assert.doesNotThrow(() => presign({ ...base, expiresIn: 1 }));
    assert.doesNotThrow(() => presign({ ...base, expiresIn: 604_800 }));
    for (const expiresIn of [0, -1, 604_801, 1.5, Number.NaN]) {
      assert.throws(() => presign({ ...base, expiresIn }), RangeError, String(expiresIn));
    }
  });

  it("refuses a header no client could send as signed", () => {
    assert.throws(
      () => presign({ ...base, expiresIn: 60, headers: { "x-a": "a\r\nb" } }),
      TypeError,
    );
    assert.throws(
      () => presign({ ...base, expiresIn: 60, headers: { "bad name": "v" } }),
      TypeError,
    );
    assert.throws(
      () => presign({ ...base, expiresIn: 60, headers: { "X-A": "1", "x-a": "2" } }),
      /given twice/,
    );
  });

  it("carries a session token and keeps the URL's own query", () => {
    const result = presign({
      ...base,
      url: "http://127.0.0.1:9000/b/k?partNumber=2&uploadId=a%2Fb",
      credentials: { ...base.credentials, sessionToken: "tok/en+=" },
      expiresIn: 60,
    });
    assert.match(result.url, /[?&]X-Amz-Security-Token=tok%2Fen%2B%3D(&|$)/);
    assert.match(result.url, /[?&]partNumber=2&/);
    assert.match(result.url, /[?&]uploadId=a%2Fb(&|$)/);
  });

  it("binds the body when given its SHA-256", () => {
    const hash = "a".repeat(64);
    const result = presign({ ...base, expiresIn: 60, payloadHash: hash });
    assert.match(result.url, new RegExp(`X-Amz-Content-Sha256=${hash}`));
  });
});
