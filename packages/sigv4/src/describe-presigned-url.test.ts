import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describePresignedUrl, EMPTY_BODY_CRC32 } from "./describe-presigned-url.js";
import { presign } from "./presign.js";

const credentials = { accessKeyId: "AKID", secretAccessKey: "SECRET" };
const signingDate = new Date("2026-11-28T12:00:00Z");
const now = new Date("2026-11-28T12:01:00Z");
const lookupSecret = (id: string) => (id === "AKID" ? "SECRET" : undefined);

const url = (headers: Record<string, string | number>, query = "") =>
  presign({
    method: "PUT",
    url: `http://127.0.0.1:9000/b/avatars/42.jpg${query}`,
    headers,
    credentials,
    region: "auto",
    expiresIn: 300,
    signingDate,
  }).url;

const kinds = (description: ReturnType<typeof describePresignedUrl>) =>
  description.findings.map((f) => `${f.level} ${f.kind}`);

describe("describePresignedUrl", () => {
  it("finds nothing wrong in a URL that binds type and size", () => {
    const found = describePresignedUrl(
      url({ "content-type": "image/jpeg", "content-length": 10 }),
      { now },
    );
    assert.deepEqual(found.findings, []);
    assert.deepEqual(found.signedHeaders, ["content-length", "content-type", "host"]);
    assert.equal(found.expiresAt?.toISOString(), "2026-11-28T12:05:00.000Z");
  });

  it("names the AWS SDK's traps: the empty body's CRC32 and the unbound type and size", () => {
    const found = describePresignedUrl(url({}, `?x-amz-checksum-crc32=${EMPTY_BODY_CRC32}`), {
      now,
    });
    assert.deepEqual(kinds(found), [
      "problem empty-body-checksum",
      "warning content-type-unbound",
      "warning size-unbound",
    ]);
  });

  it("puts expiry first, and does not say it twice when the verifier says it too", () => {
    const late = new Date("2026-11-28T12:06:00Z");
    const found = describePresignedUrl(url({ "content-type": "image/jpeg", "content-length": 3 }), {
      now: late,
      request: { method: "PUT", headers: { "content-type": "image/jpeg", "content-length": "3" } },
      lookupSecret,
    });
    assert.deepEqual(kinds(found), ["problem expired"]);
  });

  it("names the header whose value breaks the signature", () => {
    const found = describePresignedUrl(url({ "content-type": "image/jpeg" }), {
      now,
      request: { method: "PUT", headers: { "content-type": "image/png" } },
      lookupSecret,
    });
    assert.equal(found.findings[0]?.kind, "signature-mismatch");
    assert.match(
      found.findings[0]?.message ?? "",
      /"image\/png" but the URL was signed for "image\/jpeg"/,
    );
  });

  it("says when no single difference explains a mismatch (another secret)", () => {
    const found = describePresignedUrl(url({ "content-type": "image/jpeg" }), {
      now,
      request: { method: "PUT", headers: { "content-type": "image/jpeg" } },
      lookupSecret: () => "ANOTHER SECRET",
    });
    assert.equal(found.findings[0]?.kind, "signature-unexplained");
    assert.equal(found.findings[0]?.level, "problem");
  });

  it("flags signed headers not sent and unsigned x-amz-* headers sent, once each", () => {
    const found = describePresignedUrl(url({ "content-type": "image/jpeg" }), {
      now,
      request: { method: "PUT", headers: { "x-amz-meta-owner": "42" } },
      lookupSecret,
    });
    // The verifier refuses the unsigned header before it checks the signature.
    assert.deepEqual(kinds(found), [
      "warning size-unbound",
      "problem signed-header-not-sent",
      "problem unsigned-amz-header",
    ]);
  });

  it("confirms a request the signature covers", () => {
    const found = describePresignedUrl(url({ "content-type": "image/jpeg", "content-length": 3 }), {
      now,
      request: { method: "PUT", headers: { "content-type": "image/jpeg", "content-length": "3" } },
      lookupSecret,
    });
    assert.deepEqual(kinds(found), ["ok signature-verified"]);
  });
});
