/**
 * The verifier against signers that share no code with it (`@aws-sdk/s3-request-presigner`,
 * `@smithy/signature-v4`, a hand-written SigV4), against our own `sign()` and `presign()`,
 * and against every single-field tampering of a valid request.
 */
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { describe, it } from "node:test";
import { Sha256 } from "@aws-crypto/sha256-js";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import {
  type Credentials,
  objectUrl,
  presign,
  type SignedRequest,
  STREAMING_SIGNED,
  STREAMING_SIGNED_TRAILER,
  STREAMING_UNSIGNED_TRAILER,
  sign,
  signingKey,
  type Verified,
  type VerifyFailure,
  type VerifyOptions,
  type VerifyRequest,
  type VerifyResult,
  verify,
} from "@sluice/sigv4";
import { SignatureV4 } from "@smithy/signature-v4";

const ACCESS_KEY_ID = "AKIDEXAMPLE";
const SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const OTHER_ACCESS_KEY_ID = "AKIDOTHER";
const OTHER_SECRET = "another-secret";
const CREDENTIALS: Credentials = { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET };
const SECRETS = new Map([
  [ACCESS_KEY_ID, SECRET],
  [OTHER_ACCESS_KEY_ID, OTHER_SECRET],
]);
const SIGNING_DATE = new Date("2026-11-28T12:00:00Z");
const LOCAL = "http://127.0.0.1:9000";
const LOCALHOST = "http://localhost:9000";
const BUCKET = "bkt";
const SECOND = 1000;
const MINUTE = 60 * SECOND;

function sha256Hex(data: string): string {
  return createHash("sha256").update(data, "utf8").digest("hex");
}

function at(ms: number): Date {
  return new Date(SIGNING_DATE.getTime() + ms);
}

function options(now: Date = at(10 * SECOND), extra: Partial<VerifyOptions> = {}): VerifyOptions {
  return { lookupSecret: (id) => SECRETS.get(id), now: () => now, ...extra };
}

/** The request a server sees for `url`: path and query raw, as they arrived. */
function requestFromUrl(
  method: string,
  url: string,
  headers: Readonly<Record<string, string | readonly string[]>> = {},
): VerifyRequest {
  const match = /^https?:\/\/([^/?#]+)([^?#]*)(?:\?([^#]*))?$/.exec(url);
  if (!match) throw new TypeError(`not a URL: ${url}`);
  const lower: Record<string, string | readonly string[]> = {};
  for (const [name, value] of Object.entries(headers)) lower[name.toLowerCase()] = value;
  return {
    method,
    path: match[2] === "" || match[2] === undefined ? "/" : match[2],
    query: match[3] ?? "",
    headers: { host: match[1] as string, ...lower },
  };
}

function requestFromSigned(signed: SignedRequest): VerifyRequest {
  return requestFromUrl(signed.method, signed.url, signed.headers);
}

function verified(result: VerifyResult): Verified {
  if (!result.ok) assert.fail(`expected the request to verify, got ${JSON.stringify(result)}`);
  return result;
}

function failure<K extends VerifyFailure["kind"]>(
  result: VerifyResult,
  kind: K,
): Extract<VerifyFailure, { kind: K }> {
  if (result.ok) assert.fail(`expected a ${kind} failure, but the request verified`);
  assert.equal(result.failure.kind, kind, JSON.stringify(result.failure));
  return result.failure as Extract<VerifyFailure, { kind: K }>;
}

/** Replaces (or with `undefined` removes) a raw query parameter, keeping the others' bytes. */
function withParam(url: string, name: string, rawValue: string | undefined): string {
  const q = url.indexOf("?");
  const parts = url.slice(q + 1).split("&");
  const index = parts.findIndex((part) => part.split("=")[0] === name);
  assert.ok(index >= 0, `${name} is not in ${url}`);
  if (rawValue === undefined) parts.splice(index, 1);
  else parts[index] = `${name}=${rawValue}`;
  return `${url.slice(0, q)}?${parts.join("&")}`;
}

function rawParam(url: string, name: string): string {
  const part = url
    .slice(url.indexOf("?") + 1)
    .split("&")
    .find((p) => p.split("=")[0] === name);
  assert.ok(part !== undefined, `${name} is not in ${url}`);
  return part.slice(name.length + 1);
}

function sdkClient(
  region: string,
  endpoint: string,
  forcePathStyle: boolean,
  checksums: "WHEN_REQUIRED" | "default" = "WHEN_REQUIRED",
): S3Client {
  return new S3Client({
    region,
    endpoint,
    forcePathStyle,
    credentials: CREDENTIALS,
    ...(checksums === "WHEN_REQUIRED" ? { requestChecksumCalculation: "WHEN_REQUIRED" } : {}),
  });
}

function smithySigner(region: string, credentials: Credentials = CREDENTIALS): SignatureV4 {
  return new SignatureV4({
    service: "s3",
    region,
    credentials,
    sha256: Sha256,
    // The path below is given decoded, so one escaping pass is S3's single encoding.
    uriEscapePath: true,
    applyChecksum: true,
  });
}

/** S3's query encoding, written independently of ours. */
function s3Escape(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

describe("verify accepts what @aws-sdk/s3-request-presigner produces", () => {
  const cases: readonly {
    readonly name: string;
    readonly url: () => Promise<string>;
    readonly method: string;
    readonly headers: Readonly<Record<string, string>>;
    readonly signedHeaders: readonly string[];
    readonly region: string;
  }[] = [
    {
      name: "a PUT with content-type signed",
      url: () =>
        getSignedUrl(
          sdkClient("auto", LOCAL, true),
          new PutObjectCommand({ Bucket: BUCKET, Key: "a b+c/ü~.png", ContentType: "image/png" }),
          {
            expiresIn: 300,
            signingDate: SIGNING_DATE,
            signableHeaders: new Set(["content-type"]),
          },
        ),
      method: "PUT",
      headers: { "content-type": "image/png" },
      signedHeaders: ["content-type", "host"],
      region: "auto",
    },
    {
      name: "a GET",
      url: () =>
        getSignedUrl(
          sdkClient("auto", LOCAL, true),
          new GetObjectCommand({ Bucket: BUCKET, Key: "😀/漢字.txt" }),
          { expiresIn: 300, signingDate: SIGNING_DATE },
        ),
      method: "GET",
      headers: {},
      signedHeaders: ["host"],
      region: "auto",
    },
    {
      name: "a PUT carrying the default x-amz-checksum-crc32 parameter",
      url: () =>
        getSignedUrl(
          sdkClient("auto", LOCAL, true, "default"),
          new PutObjectCommand({ Bucket: BUCKET, Key: "crc.bin" }),
          { expiresIn: 300, signingDate: SIGNING_DATE },
        ),
      method: "PUT",
      headers: {},
      signedHeaders: ["host"],
      region: "auto",
    },
    {
      name: "a PUT in us-east-1",
      url: () =>
        getSignedUrl(
          sdkClient("us-east-1", LOCAL, true),
          new PutObjectCommand({ Bucket: BUCKET, Key: "east.txt", ContentType: "text/plain" }),
          {
            expiresIn: 3600,
            signingDate: SIGNING_DATE,
            signableHeaders: new Set(["content-type"]),
          },
        ),
      method: "PUT",
      headers: { "content-type": "text/plain" },
      signedHeaders: ["content-type", "host"],
      region: "us-east-1",
    },
    {
      name: "a virtual-hosted GET",
      url: () =>
        getSignedUrl(
          sdkClient("auto", LOCALHOST, false),
          new GetObjectCommand({ Bucket: BUCKET, Key: "v/a b.txt" }),
          { expiresIn: 300, signingDate: SIGNING_DATE },
        ),
      method: "GET",
      headers: {},
      signedHeaders: ["host"],
      region: "auto",
    },
    {
      name: "a PUT whose metadata the SDK hoisted into the query",
      url: () =>
        getSignedUrl(
          sdkClient("auto", LOCAL, true),
          new PutObjectCommand({ Bucket: BUCKET, Key: "m.bin", Metadata: { owner: "alice" } }),
          { expiresIn: 300, signingDate: SIGNING_DATE },
        ),
      method: "PUT",
      headers: {},
      signedHeaders: ["host"],
      region: "auto",
    },
    {
      name: "a PUT binding content-length, if-none-match and unhoisted metadata",
      url: () =>
        getSignedUrl(
          sdkClient("auto", LOCAL, true),
          new PutObjectCommand({
            Bucket: BUCKET,
            Key: "bound.bin",
            ContentLength: 5,
            IfNoneMatch: "*",
            Metadata: { owner: "alice" },
          }),
          {
            expiresIn: 300,
            signingDate: SIGNING_DATE,
            signableHeaders: new Set(["x-amz-meta-owner"]),
            unhoistableHeaders: new Set(["x-amz-meta-owner"]),
          },
        ),
      method: "PUT",
      headers: { "content-length": "5", "if-none-match": "*", "x-amz-meta-owner": "alice" },
      signedHeaders: ["content-length", "host", "if-none-match", "x-amz-meta-owner"],
      region: "auto",
    },
    {
      name: "a GET of a key with . and .. segments and a literal %2F",
      url: () =>
        getSignedUrl(
          sdkClient("auto", LOCAL, true),
          new GetObjectCommand({ Bucket: BUCKET, Key: "a/./b/../c%2Fd" }),
          { expiresIn: 300, signingDate: SIGNING_DATE },
        ),
      method: "GET",
      headers: {},
      signedHeaders: ["host"],
      region: "auto",
    },
    {
      name: "a PUT with a session token",
      url: () =>
        getSignedUrl(
          new S3Client({
            region: "auto",
            endpoint: LOCAL,
            forcePathStyle: true,
            credentials: { ...CREDENTIALS, sessionToken: "FwoGZXIvYXdzE/+token==" },
            requestChecksumCalculation: "WHEN_REQUIRED",
          }),
          new PutObjectCommand({ Bucket: BUCKET, Key: "sts.txt" }),
          { expiresIn: 300, signingDate: SIGNING_DATE },
        ),
      method: "PUT",
      headers: {},
      signedHeaders: ["host"],
      region: "auto",
    },
  ];

  for (const c of cases) {
    it(`accepts ${c.name}`, async () => {
      const url = await c.url();
      const result = verified(verify(requestFromUrl(c.method, url, c.headers), options()));
      assert.equal(result.auth, "query");
      assert.equal(result.accessKeyId, ACCESS_KEY_ID);
      assert.equal(result.region, c.region);
      assert.deepEqual(result.signedHeaders, c.signedHeaders);
      assert.deepEqual(result.signedAt, SIGNING_DATE);
      assert.deepEqual(result.payload, { kind: "unsigned" });
    });
  }

  it("rejects the SDK's content-type-bound PUT when the browser sends another content type", async () => {
    const url = await cases[0]?.url();
    assert.ok(url !== undefined);
    const result = verify(
      requestFromUrl("PUT", url, { "content-type": "application/json" }),
      options(),
    );
    failure(result, "signature-mismatch");
  });
});

describe("verify accepts what @smithy/signature-v4 produces", () => {
  const key = "smithy/a b+c/ü~*'()!.txt";
  const wirePath = `/${BUCKET}/${s3Escape(key).replaceAll("%2F", "/")}`;

  async function smithySign(
    headers: Record<string, string>,
    query: Record<string, string> = {},
    method = "PUT",
    credentials: Credentials = CREDENTIALS,
  ) {
    const signed = await smithySigner("auto", credentials).sign(
      {
        method,
        protocol: "http:",
        hostname: "127.0.0.1",
        port: 9000,
        path: `/${BUCKET}/${key}`,
        query,
        headers: { host: "127.0.0.1:9000", ...headers },
      },
      { signingDate: SIGNING_DATE },
    );
    const rawQuery = Object.entries(query)
      .map(([name, value]) => `${s3Escape(name)}=${s3Escape(value)}`)
      .join("&");
    const sent: Record<string, string> = {};
    for (const [name, value] of Object.entries(signed.headers)) sent[name.toLowerCase()] = value;
    return {
      request: { method, path: wirePath, query: rawQuery, headers: sent } as VerifyRequest,
      signature: /Signature=([0-9a-f]{64})$/.exec(sent.authorization ?? "")?.[1],
    };
  }

  it("accepts header auth with x-amz-content-sha256 set to the body's SHA-256", async () => {
    const hash = sha256Hex("hello");
    const { request } = await smithySign({
      "x-amz-content-sha256": hash,
      "content-type": "text/plain",
      "x-amz-meta-owner": "alice",
    });
    const result = verified(verify(request, options()));
    assert.equal(result.auth, "header");
    assert.deepEqual(result.signedHeaders, [
      "content-type",
      "host",
      "x-amz-content-sha256",
      "x-amz-date",
      "x-amz-meta-owner",
    ]);
    assert.deepEqual(result.payload, { kind: "sha256", sha256: hash });
    assert.equal(result.expiresAt, undefined);
  });

  it("accepts header auth with UNSIGNED-PAYLOAD", async () => {
    const { request } = await smithySign({ "x-amz-content-sha256": "UNSIGNED-PAYLOAD" });
    assert.deepEqual(verified(verify(request, options())).payload, { kind: "unsigned" });
  });

  it("accepts header auth with STREAMING-UNSIGNED-PAYLOAD-TRAILER, with no chunk signing", async () => {
    const { request } = await smithySign({
      "x-amz-content-sha256": STREAMING_UNSIGNED_TRAILER,
      "content-encoding": "aws-chunked",
      "x-amz-decoded-content-length": "5",
      "x-amz-trailer": "x-amz-checksum-crc32",
    });
    assert.deepEqual(verified(verify(request, options())).payload, {
      kind: "streaming",
      trailer: true,
      signing: undefined,
    });
  });

  it("accepts header auth with STREAMING-AWS4-HMAC-SHA256-PAYLOAD, seeding chunk signing with its signature", async () => {
    const { request, signature } = await smithySign({
      "x-amz-content-sha256": STREAMING_SIGNED,
      "content-encoding": "aws-chunked",
      "x-amz-decoded-content-length": "5",
    });
    const result = verified(verify(request, options()));
    assert.ok(result.payload.kind === "streaming");
    assert.equal(result.payload.trailer, false);
    assert.equal(result.payload.signing?.seedSignature, signature);
    assert.equal(result.payload.signing?.amzDate, "20261128T120000Z");
    assert.equal(result.payload.signing?.scope, "20261128/auto/s3/aws4_request");
  });

  it("accepts header auth with a session token and a sub-resource query", async () => {
    const { request } = await smithySign(
      { "x-amz-content-sha256": sha256Hex("") },
      { partNumber: "3", uploadId: "up/id+=~" },
      "PUT",
      { ...CREDENTIALS, sessionToken: "FwoGZXIvYXdzE/+token==" },
    );
    assert.equal(request.headers["x-amz-security-token"], "FwoGZXIvYXdzE/+token==");
    const result = verified(verify(request, options()));
    assert.ok(result.signedHeaders.includes("x-amz-security-token"));
  });

  it("rejects smithy's header auth when the body hash header is changed", async () => {
    const { request } = await smithySign({ "x-amz-content-sha256": sha256Hex("hello") });
    const tampered = {
      ...request,
      headers: { ...request.headers, "x-amz-content-sha256": sha256Hex("HELLO") },
    };
    failure(verify(tampered, options()), "signature-mismatch");
  });

  async function smithyPresign(headers: Record<string, string>, expiresIn = 300) {
    const presigned = await smithySigner("auto").presign(
      {
        method: "PUT",
        protocol: "http:",
        hostname: "127.0.0.1",
        port: 9000,
        path: `/${BUCKET}/${key}`,
        query: { "x-id": "PutObject" },
        headers: { host: "127.0.0.1:9000", ...headers },
      },
      { expiresIn, signingDate: SIGNING_DATE },
    );
    const rawQuery = Object.entries(presigned.query ?? {})
      .flatMap(([name, value]) =>
        (Array.isArray(value) ? value : [value]).map(
          (v) => `${s3Escape(name)}=${s3Escape(String(v))}`,
        ),
      )
      .join("&");
    const sent: Record<string, string> = {};
    for (const [name, value] of Object.entries(presigned.headers)) {
      sent[name.toLowerCase()] = value;
    }
    return { method: "PUT", path: wirePath, query: rawQuery, headers: sent } as VerifyRequest;
  }

  it("accepts a smithy presigned URL binding content-type", async () => {
    // As the S3 presigner does: X-Amz-Content-Sha256 is hoisted into the query.
    const request = await smithyPresign({
      "X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD",
      "content-type": "image/png",
    });
    assert.match(request.query, /X-Amz-Content-Sha256=UNSIGNED-PAYLOAD/);
    const result = verified(verify(request, options()));
    assert.equal(result.auth, "query");
    assert.deepEqual(result.signedHeaders, ["content-type", "host"]);
    assert.deepEqual(result.expiresAt, at(300 * SECOND));
    assert.deepEqual(result.payload, { kind: "unsigned" });
  });

  it("accepts a smithy presigned URL that binds the body's SHA-256", async () => {
    const hash = sha256Hex("hello");
    const request = await smithyPresign({ "X-Amz-Content-Sha256": hash });
    assert.deepEqual(verified(verify(request, options())).payload, {
      kind: "sha256",
      sha256: hash,
    });
  });

  it("rejects a smithy presigned URL after its expiry", async () => {
    const request = await smithyPresign({ "X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD" }, 60);
    failure(verify(request, options(at(61 * SECOND))), "expired");
  });
});

describe("verify accepts our own sign() and presign()", () => {
  const url = `${objectUrl(LOCAL, BUCKET, "round/trip ü.txt")}?x-id=PutObject`;

  it("accepts a presigned PUT with every kind of bound header, reporting what was bound", () => {
    const headers = {
      "Content-Type": "text/plain; charset=utf-8",
      "content-length": 5,
      "x-amz-meta-owner": "alice",
      "if-none-match": "*",
      "x-amz-checksum-sha256": "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=",
    };
    const presigned = presign({
      method: "PUT",
      url,
      headers,
      credentials: CREDENTIALS,
      region: "auto",
      expiresIn: 900,
      signingDate: SIGNING_DATE,
    });
    const result = verified(
      verify(requestFromUrl("PUT", presigned.url, presigned.headers), options()),
    );
    assert.deepEqual(result.signedHeaders, [
      "content-length",
      "content-type",
      "host",
      "if-none-match",
      "x-amz-checksum-sha256",
      "x-amz-meta-owner",
    ]);
    assert.deepEqual(result.expiresAt, presigned.expiresAt);
    assert.deepEqual(result.expiresAt, at(900 * SECOND));
    assert.deepEqual(result.payload, { kind: "unsigned" });
  });

  it("accepts a presigned URL whose payload hash binds the body, reporting it", () => {
    const hash = sha256Hex("hello");
    const presigned = presign({
      method: "PUT",
      url,
      credentials: CREDENTIALS,
      region: "auto",
      expiresIn: 60,
      signingDate: SIGNING_DATE,
      payloadHash: hash,
    });
    assert.deepEqual(verified(verify(requestFromUrl("PUT", presigned.url), options())).payload, {
      kind: "sha256",
      sha256: hash,
    });
  });

  it("accepts a presigned URL with a session token", () => {
    const presigned = presign({
      method: "GET",
      url: objectUrl(LOCALHOST, BUCKET, "sts.txt", { virtualHosted: true }),
      credentials: { ...CREDENTIALS, sessionToken: "tok/en+==" },
      region: "us-east-1",
      expiresIn: 60,
      signingDate: SIGNING_DATE,
    });
    assert.equal(rawParam(presigned.url, "X-Amz-Security-Token"), "tok%2Fen%2B%3D%3D");
    assert.equal(
      verified(verify(requestFromUrl("GET", presigned.url), options())).region,
      "us-east-1",
    );
  });

  it("accepts a presigned URL with a week's expiry six days after signing", () => {
    const presigned = presign({
      method: "GET",
      url,
      credentials: CREDENTIALS,
      region: "auto",
      expiresIn: 604_800,
      signingDate: SIGNING_DATE,
    });
    verified(verify(requestFromUrl("GET", presigned.url), options(at(6 * 24 * 60 * MINUTE))));
  });

  it("accepts a signed request with a body, reporting its SHA-256", () => {
    const signed = sign({
      method: "PUT",
      url,
      headers: { "content-type": "text/plain" },
      credentials: CREDENTIALS,
      region: "auto",
      signingDate: SIGNING_DATE,
      body: "hello",
    });
    const result = verified(verify(requestFromSigned(signed), options()));
    assert.equal(result.auth, "header");
    assert.deepEqual(result.signedAt, SIGNING_DATE);
    assert.deepEqual(result.payload, { kind: "sha256", sha256: sha256Hex("hello") });
  });

  it("accepts a signed request with no body as the SHA-256 of nothing", () => {
    const signed = sign({
      method: "GET",
      url: `${LOCAL}/${BUCKET}?list-type=2&prefix=a%20b%2F&max-keys=10`,
      credentials: CREDENTIALS,
      region: "auto",
      signingDate: SIGNING_DATE,
    });
    assert.deepEqual(verified(verify(requestFromSigned(signed), options())).payload, {
      kind: "sha256",
      sha256: sha256Hex(""),
    });
  });

  it("accepts a signed request with UNSIGNED-PAYLOAD as unsigned", () => {
    const signed = sign({
      method: "PUT",
      url,
      credentials: CREDENTIALS,
      region: "auto",
      signingDate: SIGNING_DATE,
      payloadHash: "UNSIGNED-PAYLOAD",
    });
    assert.deepEqual(verified(verify(requestFromSigned(signed), options())).payload, {
      kind: "unsigned",
    });
  });

  it("accepts a STREAMING-AWS4-HMAC-SHA256-PAYLOAD request with the chunk-signing context", () => {
    const signed = sign({
      method: "PUT",
      url,
      headers: { "content-encoding": "aws-chunked", "x-amz-decoded-content-length": 66560 },
      credentials: CREDENTIALS,
      region: "auto",
      signingDate: SIGNING_DATE,
      payloadHash: STREAMING_SIGNED,
    });
    const result = verified(verify(requestFromSigned(signed), options()));
    assert.ok(result.payload.kind === "streaming");
    assert.equal(result.payload.trailer, false);
    const signing = result.payload.signing;
    assert.ok(signing !== undefined);
    assert.equal(signing.seedSignature, signed.signature);
    assert.equal(signing.amzDate, "20261128T120000Z");
    assert.equal(signing.scope, "20261128/auto/s3/aws4_request");
    assert.deepEqual(
      Buffer.from(signing.signingKey),
      Buffer.from(signingKey(SECRET, "20261128", "auto", "s3")),
    );
  });

  it("accepts a STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER request with chunk signing and a trailer", () => {
    const signed = sign({
      method: "PUT",
      url,
      headers: { "x-amz-trailer": "x-amz-checksum-crc32" },
      credentials: CREDENTIALS,
      region: "auto",
      signingDate: SIGNING_DATE,
      payloadHash: STREAMING_SIGNED_TRAILER,
    });
    const result = verified(verify(requestFromSigned(signed), options()));
    assert.ok(result.payload.kind === "streaming");
    assert.equal(result.payload.trailer, true);
    assert.equal(result.payload.signing?.seedSignature, signed.signature);
  });

  it("accepts a STREAMING-UNSIGNED-PAYLOAD-TRAILER request without chunk signing", () => {
    const signed = sign({
      method: "PUT",
      url,
      credentials: CREDENTIALS,
      region: "auto",
      signingDate: SIGNING_DATE,
      payloadHash: STREAMING_UNSIGNED_TRAILER,
    });
    assert.deepEqual(verified(verify(requestFromSigned(signed), options())).payload, {
      kind: "streaming",
      trailer: true,
      signing: undefined,
    });
  });

  it("accepts a signed request with a session token", () => {
    const signed = sign({
      method: "GET",
      url,
      credentials: { ...CREDENTIALS, sessionToken: "tok" },
      region: "auto",
      signingDate: SIGNING_DATE,
    });
    assert.equal(signed.headers["x-amz-security-token"], "tok");
    assert.ok(
      verified(verify(requestFromSigned(signed), options())).signedHeaders.includes(
        "x-amz-security-token",
      ),
    );
  });

  it("accepts a repeated header delivered as an array when its values were signed joined by commas", () => {
    const signed = sign({
      method: "PUT",
      url,
      headers: { "x-amz-meta-tags": "a,b" },
      credentials: CREDENTIALS,
      region: "auto",
      signingDate: SIGNING_DATE,
    });
    const request = requestFromSigned(signed);
    verified(
      verify(
        { ...request, headers: { ...request.headers, "x-amz-meta-tags": ["a", "b"] } },
        options(),
      ),
    );
  });
});

describe("verify rejects each single-field tampering of a presigned URL", () => {
  const KEY = "dir/fïle~1.txt";
  const HEADERS = {
    "content-type": "image/png",
    "content-length": "5",
    "x-amz-meta-owner": "alice",
    "if-none-match": "*",
  } as const;
  const EXPIRES = 900;
  const presigned = presign({
    method: "PUT",
    url: `${objectUrl(LOCAL, BUCKET, KEY)}?x-id=PutObject`,
    headers: HEADERS,
    credentials: CREDENTIALS,
    region: "auto",
    expiresIn: EXPIRES,
    signingDate: SIGNING_DATE,
  });
  const URL_ = presigned.url;
  const PATH = `/${BUCKET}/dir/f%C3%AFle~1.txt`;
  const check = (
    url: string,
    headers: Readonly<Record<string, string>> = HEADERS,
    method = "PUT",
    opts: VerifyOptions = options(),
  ) => verify(requestFromUrl(method, url, headers), opts);
  const MISSING_PARAMS =
    "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.";

  it("accepts the untampered URL", () => {
    assert.ok(URL_.startsWith(`${LOCAL}${PATH}?`), URL_);
    verified(check(URL_));
  });

  it("rejects a changed method with signature-mismatch", () => {
    const f = failure(check(URL_, HEADERS, "POST"), "signature-mismatch");
    assert.equal(f.canonicalRequest.split("\n")[0], "POST");
  });

  it("rejects a changed character of the key with signature-mismatch", () => {
    const url = URL_.replace("f%C3%AFle~1", "f%C3%AFle~2");
    assert.notEqual(url, URL_);
    const f = failure(check(url), "signature-mismatch");
    assert.equal(f.canonicalRequest.split("\n")[1], `/${BUCKET}/dir/f%C3%AFle~2.txt`);
  });

  it("accepts another encoding of the same key (%7E for ~, lower-case hex)", () => {
    verified(check(URL_.replace("~1", "%7E1")));
    verified(check(URL_.replace("f%C3%AFle", "f%c3%afle")));
    verified(check(URL_.replace("/dir/", "/%64ir/")));
  });

  it("accepts a key whose / is sent as %2F, which decodes to the same key", () => {
    verified(check(URL_.replace("/dir/", "/dir%2F")));
  });

  it("rejects a key with a / added as %2F with signature-mismatch", () => {
    failure(check(URL_.replace("/dir/", "/dir%2F%2F")), "signature-mismatch");
  });

  for (const [name, value] of [
    ["content-type", "image/jpeg"],
    ["content-length", "6"],
    ["x-amz-meta-owner", "mallory"],
    ["if-none-match", '"etag"'],
  ] as const) {
    it(`rejects a changed ${name} with signature-mismatch naming the line`, () => {
      const f = failure(check(URL_, { ...HEADERS, [name]: value }), "signature-mismatch");
      assert.ok(f.canonicalRequest.split("\n").includes(`${name}:${value}`), f.canonicalRequest);
      assert.deepEqual(f.missingHeaders, []);
    });

    it(`rejects a missing ${name} with signature-mismatch listing it as missing`, () => {
      const headers: Record<string, string> = { ...HEADERS };
      delete headers[name];
      const f = failure(check(URL_, headers), "signature-mismatch");
      assert.deepEqual(f.missingHeaders, [name]);
    });
  }

  it("accepts signed header values with extra surrounding and inner whitespace", () => {
    verified(
      check(URL_, { ...HEADERS, "content-type": "  image/png ", "x-amz-meta-owner": "alice" }),
    );
    const signed = presign({
      method: "PUT",
      url: objectUrl(LOCAL, BUCKET, "ws"),
      headers: { "content-disposition": 'attachment;  filename="a b"' },
      credentials: CREDENTIALS,
      region: "auto",
      expiresIn: 60,
      signingDate: SIGNING_DATE,
    });
    verified(check(signed.url, { "content-disposition": ' attachment; filename="a b"  ' }, "PUT"));
  });

  it("rejects an X-Amz-Date moved within the same day with signature-mismatch", () => {
    failure(check(withParam(URL_, "X-Amz-Date", "20261128T120001Z")), "signature-mismatch");
  });

  it("rejects an X-Amz-Date on another day than the credential as malformed", () => {
    const f = failure(check(withParam(URL_, "X-Amz-Date", "20261129T120000Z")), "malformed");
    assert.equal(f.code, "AuthorizationQueryParametersError");
    assert.match(f.message, /20261128/);
  });

  it("rejects an X-Amz-Date not in ISO 8601 basic format as malformed", () => {
    for (const value of ["2026-11-28T12:00:00Z", "20261128T120000", "20261332T120000Z", ""]) {
      const f = failure(check(withParam(URL_, "X-Amz-Date", value)), "malformed");
      assert.equal(f.code, "AuthorizationQueryParametersError");
      assert.equal(
        f.message,
        "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
      );
    }
  });

  it("rejects a changed X-Amz-Expires with signature-mismatch", () => {
    failure(check(withParam(URL_, "X-Amz-Expires", "901")), "signature-mismatch");
    failure(check(withParam(URL_, "X-Amz-Expires", "3600")), "signature-mismatch");
  });

  it("rejects an X-Amz-Expires over a week as malformed", () => {
    const f = failure(check(withParam(URL_, "X-Amz-Expires", "604801")), "malformed");
    assert.equal(f.code, "AuthorizationQueryParametersError");
    assert.equal(
      f.message,
      "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds",
    );
  });

  it("rejects a negative X-Amz-Expires as malformed", () => {
    const f = failure(check(withParam(URL_, "X-Amz-Expires", "-1")), "malformed");
    assert.equal(f.code, "AuthorizationQueryParametersError");
    assert.equal(f.message, "X-Amz-Expires must be non-negative");
  });

  it("rejects a non-numeric X-Amz-Expires as malformed", () => {
    for (const value of ["abc", "1.5", "", "1e3"]) {
      const f = failure(check(withParam(URL_, "X-Amz-Expires", value)), "malformed");
      assert.equal(f.code, "AuthorizationQueryParametersError");
      assert.equal(f.message, "X-Amz-Expires should be a number");
    }
  });

  it("rejects an unknown access key in X-Amz-Credential as unknown-key", () => {
    const credential = rawParam(URL_, "X-Amz-Credential").replace(ACCESS_KEY_ID, "AKIDUNKNOWN");
    const f = failure(check(withParam(URL_, "X-Amz-Credential", credential)), "unknown-key");
    assert.equal(f.accessKeyId, "AKIDUNKNOWN");
    assert.equal(f.message, "The AWS Access Key Id you provided does not exist in our records.");
  });

  it("rejects another known access key in X-Amz-Credential with signature-mismatch", () => {
    const credential = rawParam(URL_, "X-Amz-Credential").replace(
      ACCESS_KEY_ID,
      OTHER_ACCESS_KEY_ID,
    );
    const f = failure(check(withParam(URL_, "X-Amz-Credential", credential)), "signature-mismatch");
    assert.equal(f.accessKeyId, OTHER_ACCESS_KEY_ID);
  });

  it("rejects a changed region as wrong-region when regions are configured", () => {
    const credential = rawParam(URL_, "X-Amz-Credential").replace("%2Fauto%2F", "%2Fus-east-1%2F");
    const url = withParam(URL_, "X-Amz-Credential", credential);
    const f = failure(
      check(url, HEADERS, "PUT", options(at(10 * SECOND), { regions: ["auto"] })),
      "wrong-region",
    );
    assert.equal(f.auth, "query");
    assert.equal(f.region, "us-east-1");
    assert.equal(f.expected, "auto");
    assert.equal(
      f.message,
      "Error parsing the X-Amz-Credential parameter; the region 'us-east-1' is wrong; expecting 'auto'",
    );
  });

  it("rejects a changed region with signature-mismatch when any region is allowed", () => {
    const credential = rawParam(URL_, "X-Amz-Credential").replace("%2Fauto%2F", "%2Fus-east-1%2F");
    failure(check(withParam(URL_, "X-Amz-Credential", credential)), "signature-mismatch");
  });

  it("rejects a credential scope for another service as malformed", () => {
    const credential = rawParam(URL_, "X-Amz-Credential").replace("%2Fs3%2F", "%2Fsts%2F");
    const f = failure(check(withParam(URL_, "X-Amz-Credential", credential)), "malformed");
    assert.equal(f.code, "AuthorizationQueryParametersError");
    assert.match(f.message, /incorrect service "sts"/);
  });

  it("rejects a credential with four parts as malformed", () => {
    const url = withParam(URL_, "X-Amz-Credential", "AKIDEXAMPLE%2F20261128%2Fauto%2Fs3");
    const f = failure(check(url), "malformed");
    assert.equal(f.code, "AuthorizationQueryParametersError");
    assert.equal(
      f.message,
      'Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
    );
  });

  it("rejects a double-encoded (%252F) credential as malformed", () => {
    const credential = rawParam(URL_, "X-Amz-Credential").replaceAll("%2F", "%252F");
    const f = failure(check(withParam(URL_, "X-Amz-Credential", credential)), "malformed");
    assert.equal(f.code, "AuthorizationQueryParametersError");
    assert.match(f.message, /the Credential is mal-formed/);
  });

  it("rejects a credential with a wrong terminal or date format as malformed", () => {
    const terminal = rawParam(URL_, "X-Amz-Credential").replace("aws4_request", "aws5_request");
    assert.match(
      failure(check(withParam(URL_, "X-Amz-Credential", terminal)), "malformed").message,
      /incorrect terminal "aws5_request"/,
    );
    const date = rawParam(URL_, "X-Amz-Credential").replace("20261128", "2026-11-28");
    assert.match(
      failure(check(withParam(URL_, "X-Amz-Credential", date)), "malformed").message,
      /incorrect date format/,
    );
  });

  it("rejects X-Amz-SignedHeaders without one of the signed headers with signature-mismatch", () => {
    const url = withParam(
      URL_,
      "X-Amz-SignedHeaders",
      "content-length%3Bhost%3Bif-none-match%3Bx-amz-meta-owner",
    );
    failure(check(url), "signature-mismatch");
  });

  it("rejects X-Amz-SignedHeaders naming a header that was not sent, listing it as missing", () => {
    const url = withParam(
      URL_,
      "X-Amz-SignedHeaders",
      "content-length%3Bcontent-type%3Bhost%3Bif-none-match%3Brange%3Bx-amz-meta-owner",
    );
    assert.deepEqual(failure(check(url), "signature-mismatch").missingHeaders, ["range"]);
  });

  it("rejects X-Amz-SignedHeaders that leave a sent x-amz-* header unsigned", () => {
    const url = withParam(
      URL_,
      "X-Amz-SignedHeaders",
      "content-length%3Bcontent-type%3Bhost%3Bif-none-match",
    );
    assert.deepEqual(failure(check(url), "unsigned-headers").headers, ["x-amz-meta-owner"]);
  });

  it("rejects unsorted, upper-case or host-less X-Amz-SignedHeaders as malformed", () => {
    for (const value of [
      "host%3Bcontent-length%3Bcontent-type%3Bif-none-match%3Bx-amz-meta-owner",
      "content-length%3BContent-Type%3Bhost%3Bif-none-match%3Bx-amz-meta-owner",
      "content-length%3Bcontent-type%3Bif-none-match%3Bx-amz-meta-owner",
    ]) {
      const f = failure(check(withParam(URL_, "X-Amz-SignedHeaders", value)), "malformed");
      assert.equal(f.code, "AuthorizationQueryParametersError");
    }
  });

  it("rejects a changed X-Amz-Signature with signature-mismatch echoing the provided signature", () => {
    const original = rawParam(URL_, "X-Amz-Signature");
    const provided = `${original.slice(0, -1)}${original.endsWith("0") ? "1" : "0"}`;
    const f = failure(check(withParam(URL_, "X-Amz-Signature", provided)), "signature-mismatch");
    assert.equal(f.signatureProvided, provided);
    assert.equal(f.accessKeyId, ACCESS_KEY_ID);
    assert.equal(
      f.message,
      "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    );
  });

  it("rejects a truncated or non-hex X-Amz-Signature with signature-mismatch", () => {
    const original = rawParam(URL_, "X-Amz-Signature");
    failure(check(withParam(URL_, "X-Amz-Signature", original.slice(0, 63))), "signature-mismatch");
    failure(check(withParam(URL_, "X-Amz-Signature", "z".repeat(64))), "signature-mismatch");
  });

  it("rejects an added ordinary query parameter with signature-mismatch", () => {
    const f = failure(check(`${URL_}&response-content-type=text%2Fhtml`), "signature-mismatch");
    assert.match(f.canonicalRequest, /&response-content-type=text%2Fhtml/);
  });

  it("rejects a removed x-id with signature-mismatch", () => {
    failure(check(withParam(URL_, "x-id", undefined)), "signature-mismatch");
  });

  it("rejects a changed or removed X-Amz-Content-Sha256 with signature-mismatch", () => {
    failure(check(withParam(URL_, "X-Amz-Content-Sha256", sha256Hex(""))), "signature-mismatch");
    failure(check(withParam(URL_, "X-Amz-Content-Sha256", undefined)), "signature-mismatch");
  });

  it("rejects an added X-Amz-Security-Token with signature-mismatch", () => {
    failure(check(`${URL_}&X-Amz-Security-Token=stolen`), "signature-mismatch");
  });

  it("rejects the URL one second after expiry as expired, saying when it expired", () => {
    const now = at((EXPIRES + 1) * SECOND);
    const f = failure(check(URL_, HEADERS, "PUT", options(now)), "expired");
    assert.equal(f.message, "Request has expired");
    assert.equal(f.expiresIn, EXPIRES);
    assert.deepEqual(f.expiresAt, at(EXPIRES * SECOND));
    assert.deepEqual(f.expiresAt, presigned.expiresAt);
    assert.deepEqual(f.serverTime, now);
  });

  it("accepts the URL one millisecond before its expiry", () => {
    verified(check(URL_, HEADERS, "PUT", options(at(EXPIRES * SECOND - 1))));
  });

  it("accepts the URL at exactly its expiry instant (expired only when now > date + expires)", () => {
    // S3 expires a URL when "now > X-Amz-Date + X-Amz-Expires" → "Request has expired";
    // MinIO and LocalStack compare strictly too.
    verified(check(URL_, HEADERS, "PUT", options(at(EXPIRES * SECOND))));
  });

  it("rejects the URL 20 minutes before its signing time as not yet valid", () => {
    const now = at(-20 * MINUTE);
    const f = failure(check(URL_, HEADERS, "PUT", options(now)), "not-yet-valid");
    assert.equal(f.message, "Request is not yet valid");
    assert.deepEqual(f.signedAt, SIGNING_DATE);
    assert.deepEqual(f.serverTime, now);
  });

  it("accepts the URL up to 15 minutes before its signing time (clock tolerance)", () => {
    verified(check(URL_, HEADERS, "PUT", options(at(-14 * MINUTE))));
    verified(check(URL_, HEADERS, "PUT", options(at(-15 * MINUTE))));
    failure(check(URL_, HEADERS, "PUT", options(at(-15 * MINUTE - 1))), "not-yet-valid");
  });

  for (const name of [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Expires",
  ]) {
    it(`rejects a URL without ${name} as malformed with AWS's message`, () => {
      const f = failure(check(withParam(URL_, name, undefined)), "malformed");
      assert.equal(f.code, "AuthorizationQueryParametersError");
      assert.equal(f.message, MISSING_PARAMS);
    });
  }

  it("rejects a URL with some X-Amz-* auth parameters but no credential, signature or algorithm as malformed", () => {
    // S3: any of the six X-Amz-* auth parameters present but not all → 400.
    let url = URL_;
    for (const name of ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"]) {
      url = withParam(url, name, undefined);
    }
    const f = failure(check(url), "malformed");
    assert.equal(f.message, MISSING_PARAMS);
  });

  it("rejects an X-Amz-Algorithm other than AWS4-HMAC-SHA256 as malformed", () => {
    for (const value of ["AWS4-HMAC-SHA1", "AWS4-ECDSA-P256-SHA256", "aws4-hmac-sha256"]) {
      const f = failure(check(withParam(URL_, "X-Amz-Algorithm", value)), "malformed");
      assert.equal(f.code, "AuthorizationQueryParametersError");
      assert.equal(f.message, 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
    }
  });

  it("rejects an unsigned x-amz-meta-* header as unsigned-headers naming it", () => {
    const f = failure(check(URL_, { ...HEADERS, "x-amz-meta-foo": "bar" }), "unsigned-headers");
    assert.deepEqual(f.headers, ["x-amz-meta-foo"]);
    assert.equal(f.message, "There were headers present in the request which were not signed");
  });

  it("names every unsigned x-amz-* header", () => {
    const f = failure(
      check(URL_, { ...HEADERS, "x-amz-meta-foo": "bar", "x-amz-acl": "public-read" }),
      "unsigned-headers",
    );
    assert.deepEqual([...f.headers].sort(), ["x-amz-acl", "x-amz-meta-foo"]);
  });

  it("ignores unsigned headers that are not x-amz-*", () => {
    verified(check(URL_, { ...HEADERS, origin: "https://app.example", "user-agent": "test" }));
  });

  it("rejects a request with both an Authorization header and X-Amz-Signature as malformed InvalidArgument", () => {
    const signed = sign({
      method: "PUT",
      url: objectUrl(LOCAL, BUCKET, KEY),
      credentials: CREDENTIALS,
      region: "auto",
      signingDate: SIGNING_DATE,
    });
    const f = failure(
      check(URL_, { ...HEADERS, authorization: signed.headers.authorization as string }),
      "malformed",
    );
    assert.equal(f.code, "InvalidArgument");
    assert.match(f.message, /^Only one auth mechanism allowed/);
  });

  it("reports a request with no authentication at all as missing", () => {
    failure(verify(requestFromUrl("GET", `${LOCAL}${PATH}?x-id=GetObject`), options()), "missing");
    failure(verify(requestFromUrl("GET", `${LOCAL}${PATH}`), options()), "missing");
  });

  it("checks the access key before the signature", () => {
    const credential = rawParam(URL_, "X-Amz-Credential").replace(ACCESS_KEY_ID, "AKIDUNKNOWN");
    const url = withParam(withParam(URL_, "X-Amz-Credential", credential), "X-Amz-Signature", "0");
    failure(check(url), "unknown-key");
  });
});

describe("verify rejects tampered or ill-formed header-authenticated requests", () => {
  const url = `${objectUrl(LOCAL, BUCKET, "h/ü b.txt")}?x-id=PutObject`;
  const signed = sign({
    method: "PUT",
    url,
    headers: { "content-type": "text/plain", "x-amz-meta-owner": "alice" },
    credentials: CREDENTIALS,
    region: "auto",
    signingDate: SIGNING_DATE,
    body: "hello",
  });
  const base = requestFromSigned(signed);
  const withHeaders = (
    headers: Readonly<Record<string, string | undefined>>,
    request: VerifyRequest = base,
  ): VerifyRequest => {
    const merged: Record<string, string | readonly string[] | undefined> = {
      ...request.headers,
      ...headers,
    };
    for (const name of Object.keys(merged)) if (merged[name] === undefined) delete merged[name];
    return { ...request, headers: merged };
  };

  it("accepts the untampered request", () => {
    verified(verify(base, options()));
  });

  it("reports a mismatch with the canonical request sign() made, changed only on the tampered line", () => {
    const f = failure(
      verify(withHeaders({ "content-type": "text/html" }), options()),
      "signature-mismatch",
    );
    const ours = signed.canonicalRequest.split("\n");
    const theirs = f.canonicalRequest.split("\n");
    assert.equal(theirs.length, ours.length);
    const changed = ours.flatMap((line, i) => (line === theirs[i] ? [] : [i]));
    assert.equal(changed.length, 1);
    const i = changed[0] as number;
    assert.equal(ours[i], "content-type:text/plain");
    assert.equal(theirs[i], "content-type:text/html");

    const toSign = signed.stringToSign.split("\n");
    const computed = f.stringToSign.split("\n");
    assert.deepEqual(computed.slice(0, 3), toSign.slice(0, 3));
    assert.equal(computed[3], sha256Hex(f.canonicalRequest));
    assert.notEqual(computed[3], toSign[3]);
    assert.equal(f.signatureProvided, signed.signature);
  });

  it("reports a mismatch on a changed path on the canonical URI line only", () => {
    const f = failure(
      verify({ ...base, path: base.path.replace("b.txt", "c.txt") }, options()),
      "signature-mismatch",
    );
    const ours = signed.canonicalRequest.split("\n");
    const theirs = f.canonicalRequest.split("\n");
    assert.deepEqual(
      ours.flatMap((line, i) => (line === theirs[i] ? [] : [i])),
      [1],
    );
    assert.equal(theirs[1], `/${BUCKET}/h/%C3%BC%20c.txt`);
  });

  it("computes exactly sign()'s canonical request and string to sign when only the secret differs", () => {
    const f = failure(
      verify(base, { ...options(), lookupSecret: () => "not-the-secret" }),
      "signature-mismatch",
    );
    assert.equal(f.canonicalRequest, signed.canonicalRequest);
    assert.equal(f.stringToSign, signed.stringToSign);
    assert.equal(f.signatureProvided, signed.signature);
  });

  it("echoes an upper-case provided signature in a mismatch", () => {
    const authorization = (signed.headers.authorization as string).replace(
      /Signature=[0-9a-f]+$/,
      `Signature=${"A".repeat(64)}`,
    );
    const f = failure(verify(withHeaders({ authorization }), options()), "signature-mismatch");
    assert.equal(f.signatureProvided, "A".repeat(64));
  });

  it("rejects a request 16 minutes off the server clock with clock-skew, either way", () => {
    for (const offset of [16 * MINUTE, -16 * MINUTE]) {
      const now = at(offset);
      const f = failure(verify(base, options(now)), "clock-skew");
      assert.deepEqual(f.requestTime, SIGNING_DATE);
      assert.deepEqual(f.serverTime, now);
      assert.equal(f.maxSkewMs, 15 * MINUTE);
      assert.equal(
        f.message,
        "The difference between the request time and the current time is too large.",
      );
    }
  });

  it("accepts a request 14 minutes off the server clock, either way", () => {
    verified(verify(base, options(at(14 * MINUTE))));
    verified(verify(base, options(at(-14 * MINUTE))));
  });

  it("rejects a request without x-amz-content-sha256 as malformed InvalidRequest", () => {
    const f = failure(
      verify(withHeaders({ "x-amz-content-sha256": undefined }), options()),
      "malformed",
    );
    assert.equal(f.code, "InvalidRequest");
    assert.equal(f.message, "Missing required header for this request: x-amz-content-sha256");
  });

  it("rejects an invalid x-amz-content-sha256 as malformed InvalidArgument", () => {
    for (const value of [
      "abc",
      sha256Hex("").toUpperCase(),
      "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
    ]) {
      const f = failure(
        verify(withHeaders({ "x-amz-content-sha256": value }), options()),
        "malformed",
      );
      assert.equal(f.code, "InvalidArgument");
    }
  });

  it("rejects a request with neither x-amz-date nor Date as malformed AccessDenied", () => {
    const f = failure(verify(withHeaders({ "x-amz-date": undefined }), options()), "malformed");
    assert.equal(f.code, "AccessDenied");
    assert.equal(f.message, "AWS authentication requires a valid Date or x-amz-date header");
  });

  it("rejects an unparseable x-amz-date as malformed AccessDenied", () => {
    const f = failure(verify(withHeaders({ "x-amz-date": "yesterday" }), options()), "malformed");
    assert.equal(f.code, "AccessDenied");
  });

  it("rejects a credential date other than the x-amz-date day as malformed", () => {
    const f = failure(
      verify(withHeaders({ "x-amz-date": "20261129T000001Z" }), options()),
      "malformed",
    );
    assert.equal(f.code, "AuthorizationHeaderMalformed");
  });

  it("rejects an unknown access key as unknown-key", () => {
    const authorization = (signed.headers.authorization as string).replace(
      `Credential=${ACCESS_KEY_ID}/`,
      "Credential=AKIDUNKNOWN/",
    );
    const f = failure(verify(withHeaders({ authorization }), options()), "unknown-key");
    assert.equal(f.accessKeyId, "AKIDUNKNOWN");
  });

  it("rejects another region as wrong-region when regions are configured", () => {
    const other = sign({
      method: "GET",
      url,
      credentials: CREDENTIALS,
      region: "eu-central-1",
      signingDate: SIGNING_DATE,
    });
    const f = failure(
      verify(requestFromSigned(other), options(at(0), { regions: ["auto", "us-east-1"] })),
      "wrong-region",
    );
    assert.equal(f.auth, "header");
    assert.equal(f.region, "eu-central-1");
    assert.equal(f.expected, "auto");
    assert.equal(
      f.message,
      "The authorization header is malformed; the region 'eu-central-1' is wrong; expecting 'auto'",
    );
    verified(verify(requestFromSigned(other), options()));
  });

  it("rejects an unsigned x-amz-* header as unsigned-headers", () => {
    const f = failure(
      verify(withHeaders({ "x-amz-acl": "public-read" }), options()),
      "unsigned-headers",
    );
    assert.deepEqual(f.headers, ["x-amz-acl"]);
  });

  it("rejects an Authorization header that is not SigV4 as malformed InvalidArgument", () => {
    const f = failure(
      verify(
        withHeaders({ authorization: "AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=" }),
        options(),
      ),
      "malformed",
    );
    assert.equal(f.code, "InvalidArgument");
  });

  it("rejects a SigV4 Authorization header without SignedHeaders as malformed", () => {
    const authorization = (signed.headers.authorization as string).replace(
      /SignedHeaders=[^,]+, /,
      "",
    );
    const f = failure(verify(withHeaders({ authorization }), options()), "malformed");
    assert.equal(f.code, "AuthorizationHeaderMalformed");
  });

  it("accepts a request dated by the Date header instead of x-amz-date", () => {
    // Signed by hand, following the SigV4 documentation, with node:crypto only.
    const date = "Sat, 28 Nov 2026 12:00:00 GMT";
    const canonical = [
      "GET",
      `/${BUCKET}/dated.txt`,
      "",
      `date:${date}`,
      "host:127.0.0.1:9000",
      "x-amz-content-sha256:UNSIGNED-PAYLOAD",
      "",
      "date;host;x-amz-content-sha256",
      "UNSIGNED-PAYLOAD",
    ].join("\n");
    const scope = "20261128/auto/s3/aws4_request";
    const toSign = `AWS4-HMAC-SHA256\n20261128T120000Z\n${scope}\n${sha256Hex(canonical)}`;
    let key: Buffer = createHmac("sha256", `AWS4${SECRET}`).update("20261128").digest();
    for (const part of ["auto", "s3", "aws4_request"]) {
      key = createHmac("sha256", key).update(part).digest();
    }
    const signature = createHmac("sha256", key).update(toSign).digest("hex");
    const request: VerifyRequest = {
      method: "GET",
      path: `/${BUCKET}/dated.txt`,
      query: "",
      headers: {
        host: "127.0.0.1:9000",
        date,
        "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
        authorization: `AWS4-HMAC-SHA256 Credential=${ACCESS_KEY_ID}/${scope}, SignedHeaders=date;host;x-amz-content-sha256, Signature=${signature}`,
      },
    };
    const result = verified(verify(request, options()));
    assert.deepEqual(result.signedAt, SIGNING_DATE);
    failure(verify(request, options(at(20 * MINUTE))), "clock-skew");
    failure(
      verify(
        { ...request, headers: { ...request.headers, date: "Sat, 28 Nov 2026 12:00:01 GMT" } },
        options(),
      ),
      "signature-mismatch",
    );
  });
});
