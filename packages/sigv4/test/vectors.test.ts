/**
 * SigV4 against AWS's own numbers: the generic test suite (vendored in vectors/, see its
 * README for the source and the cases S3 does not share) and the S3 API reference's
 * worked examples. These pin the canonicalisation steps to AWS, independently of any SDK.
 */
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  AwsChunkedDecoder,
  canonicalHeaders,
  canonicalQueryString,
  canonicalRequest,
  canonicalUri,
  credentialScope,
  type HeaderMap,
  parseQuery,
  presign,
  sign,
  signingKey,
  stringToSign,
  verify,
} from "@sluice/sigv4";

const SUITE = join(import.meta.dirname, "vectors", "aws-sig-v4-test-suite");

function* cases(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* cases(path);
    else if (name.endsWith(".req")) yield path.slice(0, -".req".length);
  }
}

interface RawRequest {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string[]>;
  body: string;
}

/** Reads a `.req` file: request line, `Name:value` header lines, blank line, body. */
function parseReq(text: string): RawRequest {
  const [head = "", body = ""] = text.split(/\n\n/, 2);
  const [requestLine = "", ...headerLines] = head.split("\n");
  const match = /^(\S+) (.*) HTTP\/1\.1$/.exec(requestLine);
  assert.ok(match, `request line: ${requestLine}`);
  const target = match[2] as string;
  const q = target.indexOf("?");
  const headers: Record<string, string[]> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).toLowerCase();
    headers[name] = [...(headers[name] ?? []), line.slice(colon + 1)];
  }
  return {
    method: match[1] as string,
    path: q < 0 ? target : target.slice(0, q),
    query: q < 0 ? "" : target.slice(q + 1),
    headers,
    body,
  };
}

const SUITE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

describe("the AWS SigV4 test suite", () => {
  const all = [...cases(SUITE)];
  it("has the cases that apply to S3", () => {
    assert.equal(all.length, 23);
  });

  for (const base of all) {
    const name = base.slice(SUITE.length + 1);
    it(`reproduces the canonical request, string to sign and signature of ${name}`, () => {
      const file = (ext: string) => readFileSync(`${base}.${ext}`, "utf8");
      const request = parseReq(file("req"));
      const signed = Object.keys(request.headers).sort();
      const canonical = canonicalRequest({
        method: request.method,
        canonicalUri: canonicalUri(request.path),
        canonicalQuery: canonicalQueryString(parseQuery(request.query)),
        canonicalHeaders: canonicalHeaders(request.headers, signed),
        signedHeaders: signed.join(";"),
        payloadHash: createHash("sha256").update(request.body).digest("hex"),
      });
      assert.equal(canonical, file("creq"));

      const amzDate = request.headers["x-amz-date"]?.[0] as string;
      const scope = credentialScope(amzDate.slice(0, 8), "us-east-1", "service");
      const toSign = stringToSign(amzDate, scope, canonical);
      assert.equal(toSign, file("sts"));

      const key = signingKey(SUITE_SECRET, amzDate.slice(0, 8), "us-east-1", "service");
      const signature = createHmac("sha256", key).update(toSign).digest("hex");
      assert.equal(
        `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/${scope}, SignedHeaders=${signed.join(";")}, Signature=${signature}`,
        file("authz"),
      );
    });
  }
});

// The S3 API reference's examples all use these credentials, this bucket and this time.
const S3_ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE";
const S3_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const S3_TIME = new Date("2013-05-24T00:00:00Z");
const credentials = { accessKeyId: S3_ACCESS_KEY, secretAccessKey: S3_SECRET };
const lookupSecret = (id: string) => (id === S3_ACCESS_KEY ? S3_SECRET : undefined);
const host = "examplebucket.s3.amazonaws.com";

/** Splits a signed request's URL for `verify`, keeping path and query raw. */
function wire(url: string): { path: string; query: string } {
  const { pathname } = new URL(url);
  const q = url.indexOf("?");
  return { path: pathname, query: q < 0 ? "" : url.slice(q + 1) };
}

describe("the S3 API reference's signature examples", () => {
  // https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
  const examples: {
    name: string;
    method: string;
    url: string;
    headers: Record<string, string>;
    body?: string;
    signature: string;
  }[] = [
    {
      name: "GET Object with Range",
      method: "GET",
      url: `https://${host}/test.txt`,
      headers: { range: "bytes=0-9" },
      signature: "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
    },
    {
      name: "PUT Object with a $ in the key and a Date header",
      method: "PUT",
      url: `https://${host}/test$file.text`,
      headers: {
        date: "Fri, 24 May 2013 00:00:00 GMT",
        "x-amz-storage-class": "REDUCED_REDUNDANCY",
      },
      body: "Welcome to Amazon S3.",
      signature: "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
    },
    {
      name: "GET Bucket Lifecycle (a query parameter without a value)",
      method: "GET",
      url: `https://${host}/?lifecycle`,
      headers: {},
      signature: "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
    },
    {
      name: "GET Bucket (List Objects) with max-keys and prefix",
      method: "GET",
      url: `https://${host}/?max-keys=2&prefix=J`,
      headers: {},
      signature: "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
    },
  ];

  for (const example of examples) {
    it(`signs ${example.name} as AWS does`, () => {
      const signed = sign({
        method: example.method,
        url: example.url,
        headers: example.headers,
        credentials,
        region: "us-east-1",
        signingDate: S3_TIME,
        ...(example.body === undefined ? {} : { body: example.body }),
      });
      assert.equal(signed.signature, example.signature);
    });

    it(`verifies ${example.name} as signed by AWS`, () => {
      const signed = sign({
        method: example.method,
        url: example.url,
        headers: example.headers,
        credentials,
        region: "us-east-1",
        signingDate: S3_TIME,
        ...(example.body === undefined ? {} : { body: example.body }),
      });
      const result = verify(
        { method: example.method, ...wire(example.url), headers: signed.headers },
        { lookupSecret, now: () => S3_TIME },
      );
      assert.equal(result.ok, true, JSON.stringify(result));
    });
  }

  // https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
  it("presigns GET /test.txt for 86400 seconds as AWS does", () => {
    const presigned = presign({
      method: "GET",
      url: `https://${host}/test.txt`,
      credentials,
      region: "us-east-1",
      expiresIn: 86_400,
      signingDate: S3_TIME,
      // The documented example predates X-Amz-Content-Sha256 in the query: it signs the
      // payload as UNSIGNED-PAYLOAD without naming it. We always name it, so compare the
      // signature computed over the documented canonical request instead.
    });
    const documented = [
      "GET",
      "/test.txt",
      "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host",
      `host:${host}`,
      "",
      "host",
      "UNSIGNED-PAYLOAD",
    ].join("\n");
    const scope = credentialScope("20130524", "us-east-1", "s3");
    const key = signingKey(S3_SECRET, "20130524", "us-east-1", "s3");
    const signature = createHmac("sha256", key)
      .update(stringToSign("20130524T000000Z", scope, documented))
      .digest("hex");
    assert.equal(signature, "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");

    // And the verifier accepts the documented URL itself.
    const url = `https://${host}/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404`;
    const result = verify(
      { method: "GET", ...wire(url), headers: { host } },
      { lookupSecret, now: () => new Date(S3_TIME.getTime() + 3_600_000) },
    );
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.ok(
      presigned.url.startsWith(`https://${host}/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&`),
    );
  });
});

// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
describe("the S3 API reference's aws-chunked example", () => {
  const headers: HeaderMap = {
    host: "s3.amazonaws.com",
    "x-amz-date": "20130524T000000Z",
    "x-amz-storage-class": "REDUCED_REDUNDANCY",
    "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    "content-encoding": "aws-chunked",
    "x-amz-decoded-content-length": "66560",
    "content-length": "66824",
  };
  const SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
  const CHUNKS = [
    [65_536, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"],
    [1_024, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"],
    [0, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"],
  ] as const;

  function request(signature: string) {
    const signedHeaders =
      "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class";
    return {
      method: "PUT",
      path: "/examplebucket/chunkObject.txt",
      query: "",
      headers: {
        ...headers,
        authorization: `AWS4-HMAC-SHA256 Credential=${S3_ACCESS_KEY}/20130524/us-east-1/s3/aws4_request, SignedHeaders=${signedHeaders}, Signature=${signature}`,
      },
    };
  }

  function body(): Buffer {
    const parts: Buffer[] = [];
    for (const [size, signature] of CHUNKS) {
      parts.push(Buffer.from(`${size.toString(16)};chunk-signature=${signature}\r\n`));
      parts.push(Buffer.alloc(size, "a"), Buffer.from("\r\n"));
    }
    return Buffer.concat(parts);
  }

  it("verifies the seed signature and hands over the chunk signing context", () => {
    const result = verify(request(SEED), { lookupSecret, now: () => S3_TIME });
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.ok(result.ok && result.payload.kind === "streaming" && result.payload.signing);
    assert.equal(result.payload.signing.seedSignature, SEED);
  });

  it("decodes the body and verifies AWS's three chunk signatures, however the bytes are split", () => {
    const result = verify(request(SEED), { lookupSecret, now: () => S3_TIME });
    assert.ok(result.ok && result.payload.kind === "streaming");
    const encoded = body();
    assert.equal(encoded.length, 66_824); // the example's Content-Length
    for (const piece of [1, 7, 80, 4096, encoded.length]) {
      let decoded = 0;
      const decoder = new AwsChunkedDecoder({
        signing: result.payload.signing,
        decodedLength: 66_560,
        onData: (data) => {
          assert.ok(data.every((byte) => byte === 0x61));
          decoded += data.length;
        },
      });
      for (let i = 0; i < encoded.length; i += piece) decoder.write(encoded.subarray(i, i + piece));
      decoder.end();
      assert.equal(decoded, 66_560, `pieces of ${piece}`);
    }
  });

  it("refuses the body when one byte of the second chunk differs", () => {
    const result = verify(request(SEED), { lookupSecret, now: () => S3_TIME });
    assert.ok(result.ok && result.payload.kind === "streaming");
    const encoded = body();
    encoded[66_000] = 0x62;
    const decoder = new AwsChunkedDecoder({ signing: result.payload.signing, onData: () => {} });
    assert.throws(() => decoder.write(encoded), { code: "SignatureDoesNotMatch" });
  });
});
