import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { presign } from "@sluice/sigv4";
import { parseS3Error } from "../wire/error-document.js";
import { explainPresignedUrl } from "./explain-presigned-url.js";
import { explainS3Error } from "./explain-s3-error.js";

const credentials = { accessKeyId: "AKIDDIAGNOSE", secretAccessKey: "diagnose-secret" };
const signingDate = new Date("2026-03-01T12:00:00Z");
const now = new Date("2026-03-01T12:01:00Z");

function url(headers: Record<string, string | number> = { "content-type": "image/png" }): string {
  return presign({
    method: "PUT",
    url: "https://0123abcd.r2.cloudflarestorage.com/uploads/a.png",
    headers,
    credentials,
    region: "auto",
    expiresIn: 300,
    signingDate,
  }).url;
}

const problems = (findings: readonly { level: string; message: string }[]) =>
  findings.filter((f) => f.level === "problem").map((f) => f.message);

describe("explaining a presigned URL", () => {
  it("says what it binds and until when, and flags the unbound size", () => {
    const explained = explainPresignedUrl(url(), { now });
    const summary = explained.summary.join("\n");
    assert.match(summary, /^The URL: 0123abcd\.r2\.cloudflarestorage\.com, path \/uploads\/a\.png/);
    assert.match(summary, /valid 300 s, until 2026-03-01T12:05:00\.000Z \(240 s left\)/);
    assert.match(summary, /binds the headers: content-type, host/);
    assert.deepEqual(problems(explained.findings), []);
    assert.ok(
      explained.findings.some((f) => f.level === "warning" && /size is not bound/.test(f.message)),
    );
  });

  it("with the secret, names the header that breaks the signature", () => {
    const explained = explainPresignedUrl(url(), {
      now,
      request: { method: "PUT", headers: { "content-type": "image/jpeg" } },
      credentials: { credentials, source: "the test's key" },
    });
    assert.match(problems(explained.findings).join("\n"), /content-type/i);
  });

  it("a region the host does not expect is a problem before the signature", () => {
    const eu = presign({
      method: "GET",
      url: "https://0123abcd.r2.cloudflarestorage.com/uploads/a.png",
      credentials,
      region: "eu-west-1",
      expiresIn: 60,
      signingDate,
    }).url;
    assert.match(
      problems(explainPresignedUrl(eu, { now }).findings).join("\n"),
      /signed for region eu-west-1, but 0123abcd\.r2\.cloudflarestorage\.com expects auto/,
    );
  });
});

describe("explaining S3's error answer", () => {
  it("an expired URL: when, and the fix from the table", () => {
    const document = parseS3Error(
      "<Error><Code>ExpiredRequest</Code><Message>Request has expired</Message><Expires>2026-03-01T12:05:00Z</Expires><ServerTime>2026-03-01T13:00:00Z</ServerTime></Error>",
    );
    assert.ok(document);
    const explained = explainS3Error(document);
    assert.deepEqual(explained.summary, ["The answer: ExpiredRequest: Request has expired"]);
    assert.deepEqual(problems(explained.findings), [
      "the URL expired at 2026-03-01T12:05:00Z; the server's time was 2026-03-01T13:00:00Z: ask for a new URL, and check the clocks of the signing machine and the client",
    ]);
    assert.equal(explained.serverSaw, undefined);
  });

  it("a code without special reading gets its cause and fix from the table, or is said as it is", () => {
    const known = parseS3Error("<Error><Code>NoSuchUpload</Code><Message/></Error>");
    assert.ok(known);
    assert.deepEqual(problems(explainS3Error(known).findings), [
      "NoSuchUpload; the multipart upload is gone: completed, aborted, or expired: start the upload again",
    ]);
    const unknown = parseS3Error("<Error><Code>SomethingNew</Code><Message>why</Message></Error>");
    assert.ok(unknown);
    assert.deepEqual(problems(explainS3Error(unknown).findings), ["SomethingNew: why"]);
  });

  it("SignatureDoesNotMatch: what the server signed, and whether the secret is the cause", () => {
    const document = parseS3Error(`<Error><Code>SignatureDoesNotMatch</Code><Message>m</Message>
<AWSAccessKeyId>AKIDDIAGNOSE</AWSAccessKeyId>
<StringToSign>AWS4-HMAC-SHA256
20260301T120000Z
20260301/auto/s3/aws4_request
0000000000000000000000000000000000000000000000000000000000000000</StringToSign>
<SignatureProvided>abc</SignatureProvided>
<CanonicalRequest>PUT
/uploads/a.png
X-Amz-Date=20260301T120000Z
content-type:image/jpeg
host:0123abcd.r2.cloudflarestorage.com

content-type;host
UNSIGNED-PAYLOAD</CanonicalRequest></Error>`);
    assert.ok(document);
    const explained = explainS3Error(document, {
      credentials: { credentials, source: "the test's key" },
    });
    assert.equal(explained.serverSaw?.method, "PUT");
    const summary = explained.summary.join("\n");
    assert.match(summary, / {4}content-type: image\/jpeg/);
    assert.match(summary, /signed at 20260301T120000Z, for region auto, service s3/);
    assert.match(
      problems(explained.findings).join("\n"),
      /the client signed something other than what the server received/,
    );
  });
});
