import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { presign } from "./presign.js";
import { parseCanonicalRequest, parseStringToSign, signatureOf } from "./read-canonical-request.js";
import { verify } from "./verify.js";

const credentials = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};

describe("reading what a server signed", () => {
  it("reads method, path, query, each signed header with its value, and the payload", () => {
    const view = parseCanonicalRequest(
      [
        "PUT",
        "/uploads/caf%C3%A9.png",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-SignedHeaders=content-type%3Bhost",
        "content-type:image/png",
        "host:127.0.0.1:9000",
        "",
        "content-type;host",
        "UNSIGNED-PAYLOAD",
      ].join("\n"),
    );
    assert.ok(view);
    assert.equal(view.method, "PUT");
    assert.equal(view.canonicalUri, "/uploads/caf%C3%A9.png");
    assert.equal(view.path, "/uploads/café.png");
    assert.deepEqual(
      view.query.map((p) => [p.name, p.value]),
      [
        ["X-Amz-Algorithm", "AWS4-HMAC-SHA256"],
        ["X-Amz-SignedHeaders", "content-type;host"],
      ],
    );
    assert.deepEqual(view.headers, [
      ["content-type", "image/png"],
      ["host", "127.0.0.1:9000"],
    ]);
    assert.deepEqual(view.signedHeaders, ["content-type", "host"]);
    assert.equal(view.payloadHash, "UNSIGNED-PAYLOAD");
  });

  it("is undefined for text that is not a canonical request or a string to sign", () => {
    assert.equal(parseCanonicalRequest("PUT\n/"), undefined);
    assert.equal(parseCanonicalRequest("PUT\n/\n\nnot a header\n\nhost\nX"), undefined);
    assert.equal(
      parseStringToSign("AWS4-HMAC-SHA1\n20260101T000000Z\nx/y/z/aws4_request"),
      undefined,
    );
    assert.equal(parseStringToSign("AWS4-HMAC-SHA256\n20260101T000000Z\nonly/two"), undefined);
  });

  it("a secret gives the signature a request carried exactly when it signed that request", () => {
    const signingDate = new Date("2026-03-01T12:00:00Z");
    const { url } = presign({
      method: "GET",
      url: "https://example.r2.cloudflarestorage.com/uploads/a.txt",
      credentials,
      region: "auto",
      expiresIn: 300,
      signingDate,
    });
    const parsed = new URL(url);
    // The verifier's own refusal carries the canonical request and string to sign it computed.
    const result = verify(
      {
        method: "GET",
        path: parsed.pathname,
        query: parsed.search.slice(1),
        headers: { host: parsed.host },
      },
      { lookupSecret: () => "another secret", now: () => signingDate },
    );
    if (result.ok || result.failure.kind !== "signature-mismatch") {
      assert.fail("another secret must not verify");
    }
    const toSign = result.failure.stringToSign;
    const scope = parseStringToSign(toSign);
    assert.deepEqual(scope, {
      amzDate: "20260301T120000Z",
      date: "20260301",
      region: "auto",
      service: "s3",
    });
    assert.ok(scope);
    const carried = parsed.searchParams.get("X-Amz-Signature");
    assert.equal(signatureOf(credentials.secretAccessKey, scope, toSign), carried);
    assert.notEqual(signatureOf("another secret", scope, toSign), carried);
  });
});
