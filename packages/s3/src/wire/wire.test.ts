import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checksumAlgorithmOf, checksumHeader, checksumValue } from "./checksum-headers.js";
import { isS3ErrorCode, S3_ERROR_CODES, S3_ERROR_STATUS } from "./error-codes.js";
import { parseS3Error, summarizeS3Error } from "./error-document.js";
import { helpForS3Error, S3_ERROR_HELP } from "./error-help.js";
import { quoteEtag, unquoteEtag } from "./etag.js";

describe("S3's error document", () => {
  it("reads code, message and every field, entities decoded and the canonical request as it was", () => {
    const body = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code> SignatureDoesNotMatch </Code><Message>content-type was &quot;image/png&quot; &amp; not &lt;image/jpeg&gt;</Message><CanonicalRequest>PUT
/b/k

host:127.0.0.1

host
UNSIGNED-PAYLOAD</CanonicalRequest><RequestId>1</RequestId></Error>`;
    const error = parseS3Error(body);
    assert.equal(error?.code, "SignatureDoesNotMatch");
    assert.equal(error?.message, 'content-type was "image/png" & not <image/jpeg>');
    assert.equal(
      error?.fields.CanonicalRequest,
      "PUT\n/b/k\n\nhost:127.0.0.1\n\nhost\nUNSIGNED-PAYLOAD",
    );
    assert.equal(error?.fields.RequestId, "1");
  });

  it("is undefined for anything else: empty, HTML, XML of another root, an <Error> without a code", () => {
    for (const text of [
      "",
      "<html>502 Bad Gateway</html>",
      "<ListBucketResult/>",
      "<Error><Message>no code</Message></Error>",
      "<Error><Code></Code></Error>",
      "<Error><Code>x</Code>",
      `<!DOCTYPE Error [<!ENTITY x "y">]><Error><Code>&x;</Code></Error>`,
    ]) {
      assert.equal(parseS3Error(text), undefined, text);
    }
  });

  it("an error without a message (Ceph RGW's <Message/>) has an empty one", () => {
    assert.deepEqual(parseS3Error("<Error><Code>NoSuchKey</Code><Message/></Error>")?.message, "");
    assert.equal(
      summarizeS3Error(404, "<Error><Code>NoSuchKey</Code><Message/></Error>"),
      "404 NoSuchKey",
    );
    assert.equal(summarizeS3Error(502, "Bad Gateway"), "502");
  });
});

describe("S3 error codes and their help", () => {
  it("every code in the help table is a known code, with a cause and a fix in words", () => {
    for (const [code, help] of Object.entries(S3_ERROR_HELP)) {
      assert.ok(isS3ErrorCode(code), code);
      assert.match(help.cause, /^[a-z].*[^.]$/, code);
      assert.match(help.fix, /^[a-z].*[^.]$/, code);
    }
  });

  it("statuses are S3's, and codes read off the wire are looked up safely", () => {
    assert.equal(S3_ERROR_STATUS.SignatureDoesNotMatch, 403);
    assert.equal(S3_ERROR_STATUS.Unauthorized, 401);
    assert.equal(S3_ERROR_STATUS.NoSuchUpload, 404);
    assert.ok(S3_ERROR_CODES.includes("ExpiredRequest"));
    assert.equal(isS3ErrorCode("toString"), false);
    assert.equal(helpForS3Error("toString"), undefined);
    assert.equal(helpForS3Error("SomethingNew"), undefined);
    assert.match(helpForS3Error("ExpiredRequest")?.fix ?? "", /ask for a new URL/);
  });
});

describe("ETags", () => {
  it("unquotes strong and weak ETags, and leaves other text alone", () => {
    assert.equal(
      unquoteEtag('"9b2cf535f27731c974343645a3985328"'),
      "9b2cf535f27731c974343645a3985328",
    );
    assert.equal(unquoteEtag('"abc-3"'), "abc-3");
    assert.equal(unquoteEtag('W/"abc"'), "abc");
    assert.equal(unquoteEtag("abc"), "abc");
    assert.equal(unquoteEtag('"abc'), '"abc');
    assert.equal(unquoteEtag('""'), "");
  });

  it("quotes once", () => {
    assert.equal(quoteEtag("abc"), '"abc"');
    assert.equal(quoteEtag('"abc"'), '"abc"');
    assert.equal(unquoteEtag(quoteEtag("abc-2")), "abc-2");
  });
});

describe("checksum headers", () => {
  it("names the header of an algorithm and the algorithm of a header", () => {
    assert.equal(checksumHeader("sha256"), "x-amz-checksum-sha256");
    assert.equal(checksumAlgorithmOf("X-Amz-Checksum-CRC32C"), "crc32c");
    assert.equal(checksumAlgorithmOf("x-amz-checksum-mode"), undefined);
    assert.equal(checksumAlgorithmOf("x-amz-checksum-md5"), undefined);
    assert.equal(checksumAlgorithmOf("content-md5"), undefined);
  });

  it("encodes a digest as base64, without Node's Buffer", () => {
    const digest = Uint8Array.from([0, 1, 2, 250, 251, 252, 253, 254, 255]);
    assert.equal(checksumValue(digest), Buffer.from(digest).toString("base64"));
    assert.equal(checksumValue(new Uint8Array(0)), "");
  });
});
