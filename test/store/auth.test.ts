/**
 * Authentication refusals over HTTP, with S3's exact codes and messages (R2's where the
 * flavor says they differ). Requests are built by independent signers where they can be
 * (`@aws-sdk/s3-request-presigner`), and by our `sign` where the SDK will not make the
 * request (a wrong clock, a hand-built aws-chunked body). Every refusal is checked
 * against a twin request that succeeds, so a test cannot pass by refusing everything.
 */
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { crc32 } from "node:zlib";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import {
  EMPTY_SHA256,
  presign,
  STREAMING_SIGNED,
  STREAMING_SIGNED_TRAILER,
  sign,
  signingKey,
} from "@sluice/sigv4";
import {
  CREDENTIALS,
  errorOf,
  sdkClient,
  signedFetch,
  startStore,
  type TestStore,
} from "./helpers.js";

const BUCKET = "auth-bucket";
const CORS_XML = `<CORSConfiguration><CORSRule><AllowedOrigin>https://app.example.com</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedHeader>content-type</AllowedHeader></CORSRule></CORSConfiguration>`;

let r2: TestStore;
let s3Flavor: TestStore;
let sdk: S3Client;

async function prepare(server: TestStore, region: string): Promise<void> {
  assert.equal((await signedFetch("PUT", `${server.url}/${BUCKET}`, { region })).status, 200);
  const put = await signedFetch("PUT", `${server.url}/${BUCKET}/existing.txt`, {
    body: "exists",
    region,
  });
  assert.equal(put.status, 200);
  const cors = await signedFetch("PUT", `${server.url}/${BUCKET}?cors`, {
    body: CORS_XML,
    headers: { "content-md5": createHash("md5").update(CORS_XML).digest("base64") },
    region,
  });
  assert.equal(cors.status, 200, await cors.text());
}

before(async () => {
  r2 = await startStore();
  s3Flavor = await startStore({ flavor: "s3" });
  await prepare(r2, "auto");
  await prepare(s3Flavor, "us-east-1");
  sdk = sdkClient(r2.url);
});

after(async () => {
  sdk?.destroy();
  await r2?.close();
  await s3Flavor?.close();
});

/** An object URL on a store. */
const objectAt = (server: TestStore, key: string) => `${server.url}/${BUCKET}/${key}`;

async function sdkGetUrl(client: S3Client, key: string, expiresIn = 300): Promise<string> {
  return getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn });
}

describe("header authentication", () => {
  it("accepts a request signed with a known key (the twin of every refusal below)", async () => {
    const response = await signedFetch("GET", objectAt(r2, "existing.txt"));
    assert.equal(response.status, 200);
    assert.equal(await response.text(), "exists");
  });

  it("refuses an unknown access key with 401 Unauthorized under r2 and 403 InvalidAccessKeyId under s3", async () => {
    const stranger = { accessKeyId: "NOSUCHKEY", secretAccessKey: "whatever" };
    const fromR2 = await signedFetch("GET", objectAt(r2, "existing.txt"), {
      credentials: stranger,
    });
    assert.equal(fromR2.status, 401);
    const r2Error = await errorOf(fromR2);
    assert.equal(r2Error.code, "Unauthorized");
    assert.equal(r2Error.fields.AWSAccessKeyId, "NOSUCHKEY");

    const fromS3 = await signedFetch("GET", objectAt(s3Flavor, "existing.txt"), {
      credentials: stranger,
      region: "us-east-1",
    });
    assert.equal(fromS3.status, 403);
    const s3Error = await errorOf(fromS3);
    assert.equal(s3Error.code, "InvalidAccessKeyId");
    assert.equal(
      s3Error.message,
      "The AWS Access Key Id you provided does not exist in our records.",
    );
    assert.equal(s3Error.fields.AWSAccessKeyId, "NOSUCHKEY");
  });

  it("refuses a tampered signature with 403 SignatureDoesNotMatch echoing the StringToSign and CanonicalRequest it computed", async () => {
    const signed = sign({
      method: "GET",
      url: objectAt(r2, "existing.txt"),
      credentials: CREDENTIALS,
      region: "auto",
    });
    const last = signed.signature.at(-1) === "0" ? "1" : "0";
    const tampered = `${signed.signature.slice(0, -1)}${last}`;
    const { host: _host, ...sent } = signed.headers;
    const headers = {
      ...sent,
      authorization: (sent.authorization as string).replace(signed.signature, tampered),
    };
    const response = await fetch(signed.url, { headers });
    assert.equal(response.status, 403);
    const error = await errorOf(response);
    assert.equal(error.code, "SignatureDoesNotMatch");
    assert.match(
      error.message,
      /^The request signature we calculated does not match the signature you provided\. Check your key and signing method\./,
    );
    // Only the signature changed, so the store computed exactly what the client signed.
    assert.equal(error.fields.StringToSign, signed.stringToSign);
    assert.equal(error.fields.CanonicalRequest, signed.canonicalRequest);
    assert.equal(error.fields.SignatureProvided, tampered);
    assert.equal(error.fields.AWSAccessKeyId, CREDENTIALS.accessKeyId);
    assert.equal(
      error.fields.StringToSignBytes,
      Array.from(Buffer.from(signed.stringToSign), (b) => b.toString(16).padStart(2, "0")).join(
        " ",
      ),
    );
  });

  it("refuses a request signed with the wrong secret with 403 SignatureDoesNotMatch", async () => {
    const response = await signedFetch("GET", objectAt(r2, "existing.txt"), {
      credentials: { accessKeyId: CREDENTIALS.accessKeyId, secretAccessKey: "not the secret" },
    });
    assert.equal(response.status, 403);
    assert.equal((await errorOf(response)).code, "SignatureDoesNotMatch");
  });

  it("refuses a request dated more than 15 minutes from the store's clock with 403 RequestTimeTooSkewed", async () => {
    const sixteenMinutes = 16 * 60 * 1000;
    for (const signingDate of [
      new Date(Date.now() - sixteenMinutes),
      new Date(Date.now() + sixteenMinutes),
    ]) {
      const response = await signedFetch("GET", objectAt(r2, "existing.txt"), { signingDate });
      assert.equal(response.status, 403);
      const error = await errorOf(response);
      assert.equal(error.code, "RequestTimeTooSkewed");
      assert.equal(
        error.message,
        "The difference between the request time and the current time is too large.",
      );
      assert.equal(error.fields.MaxAllowedSkewMilliseconds, "900000");
      assert.equal(error.fields.RequestTime, `${signingDate.toISOString().slice(0, 19)}Z`);
      assert.ok(error.fields.ServerTime);
    }
    const fourteen = await signedFetch("GET", objectAt(r2, "existing.txt"), {
      signingDate: new Date(Date.now() - 14 * 60 * 1000),
    });
    assert.equal(fourteen.status, 200);
  });

  it("refuses a request the store's own clock finds skewed (the clock is the store's, not the client's)", async () => {
    r2.clock.advance(20 * 60 * 1000);
    try {
      const response = await signedFetch("GET", objectAt(r2, "existing.txt"));
      assert.equal((await errorOf(response)).code, "RequestTimeTooSkewed");
    } finally {
      r2.clock.reset();
    }
  });

  it("refuses an unsigned request with 401 Unauthorized, as R2's error table gives it", async () => {
    for (const [method, url] of [
      ["GET", objectAt(r2, "existing.txt")],
      ["PUT", objectAt(r2, "unsigned.txt")],
      ["GET", `${r2.url}/`],
    ] as const) {
      const response = await fetch(url, {
        method,
        ...(method === "PUT" ? { body: "anonymous" } : {}),
      });
      assert.equal(response.status, 401, `${method} ${url}`);
      const error = await errorOf(response);
      assert.equal(error.code, "Unauthorized");
      assert.match(error.message, /not signed/);
    }
    assert.equal((await signedFetch("GET", objectAt(r2, "unsigned.txt"))).status, 404);
  });

  it("refuses an unsigned x-amz-* header with 403 AccessDenied naming it in HeadersNotSigned", async () => {
    const signed = sign({
      method: "PUT",
      url: objectAt(r2, "meta.txt"),
      credentials: CREDENTIALS,
      region: "auto",
      body: "meta",
    });
    const { host: _host, ...headers } = signed.headers;
    const response = await fetch(signed.url, {
      method: "PUT",
      headers: { ...headers, "x-amz-meta-sneaky": "1" },
      body: "meta",
    });
    assert.equal(response.status, 403);
    const error = await errorOf(response);
    assert.equal(error.code, "AccessDenied");
    assert.equal(error.message, "There were headers present in the request which were not signed");
    assert.equal(error.fields.HeadersNotSigned, "x-amz-meta-sneaky");
    assert.equal((await signedFetch("HEAD", objectAt(r2, "meta.txt"))).status, 404);
  });

  it("refuses a credential scoped to another region with 400 AuthorizationHeaderMalformed naming the expected Region", async () => {
    const response = await signedFetch("GET", objectAt(r2, "existing.txt"), {
      region: "eu-west-3",
    });
    assert.equal(response.status, 400);
    const error = await errorOf(response);
    assert.equal(error.code, "AuthorizationHeaderMalformed");
    assert.equal(
      error.message,
      "The authorization header is malformed; the region 'eu-west-3' is wrong; expecting 'auto'",
    );
    assert.equal(error.fields.Region, "auto");

    const fromS3 = await signedFetch("GET", objectAt(s3Flavor, "existing.txt"), { region: "auto" });
    assert.equal(fromS3.status, 400);
    assert.equal((await errorOf(fromS3)).fields.Region, "us-east-1");
    // R2 treats us-east-1 as an alias of auto.
    const alias = await signedFetch("GET", objectAt(r2, "existing.txt"), { region: "us-east-1" });
    assert.equal(alias.status, 200);
  });
});

describe("presigned URLs", () => {
  it("accepts the SDK's presigned GET and PUT (the twin of every refusal below)", async () => {
    const response = await fetch(await sdkGetUrl(sdk, "existing.txt"));
    assert.equal(response.status, 200);
    assert.equal(await response.text(), "exists");
    const putUrl = await getSignedUrl(
      sdk,
      new PutObjectCommand({ Bucket: BUCKET, Key: "presigned-put.txt" }),
      {
        expiresIn: 60,
      },
    );
    assert.equal((await fetch(putUrl, { method: "PUT", body: "via url" })).status, 200);
    const back = await signedFetch("GET", objectAt(r2, "presigned-put.txt"));
    assert.equal(await back.text(), "via url");
  });

  it("refuses an unknown access key in a URL with 401 Unauthorized under r2 and 403 InvalidAccessKeyId under s3", async () => {
    for (const [server, status, code, region] of [
      [r2, 401, "Unauthorized", "auto"],
      [s3Flavor, 403, "InvalidAccessKeyId", "us-east-1"],
    ] as const) {
      const url = presign({
        method: "GET",
        url: objectAt(server, "existing.txt"),
        credentials: { accessKeyId: "NOSUCHKEY", secretAccessKey: "x" },
        region,
        expiresIn: 60,
      }).url;
      const response = await fetch(url);
      assert.equal(response.status, status);
      assert.equal((await errorOf(response)).code, code);
    }
  });

  it("refuses a URL whose signature was tampered with 403 SignatureDoesNotMatch and the canonical request", async () => {
    const url = new URL(await sdkGetUrl(sdk, "existing.txt"));
    const signature = url.searchParams.get("X-Amz-Signature") as string;
    url.searchParams.set(
      "X-Amz-Signature",
      `${signature.slice(0, -1)}${signature.endsWith("a") ? "b" : "a"}`,
    );
    const response = await fetch(url);
    assert.equal(response.status, 403);
    const error = await errorOf(response);
    assert.equal(error.code, "SignatureDoesNotMatch");
    assert.ok(error.fields.StringToSign?.startsWith("AWS4-HMAC-SHA256\n"));
    const canonical = error.fields.CanonicalRequest ?? "";
    assert.ok(canonical.startsWith(`GET\n/${BUCKET}/existing.txt\n`), canonical);
    assert.ok(canonical.endsWith("\nhost\nUNSIGNED-PAYLOAD"), canonical);
    assert.ok(
      !canonical.includes("X-Amz-Signature"),
      "the signature is not part of what is signed",
    );
  });

  it("refuses a URL after it expired (the store's clock moved) with 403 ExpiredRequest under r2 and 403 AccessDenied under s3", async () => {
    for (const [server, code, region] of [
      [r2, "ExpiredRequest", "auto"],
      [s3Flavor, "AccessDenied", "us-east-1"],
    ] as const) {
      const client = sdkClient(server.url, "WHEN_REQUIRED", { region });
      const url = await sdkGetUrl(client, "existing.txt", 60);
      client.destroy();
      try {
        server.clock.advance(55_000);
        assert.equal((await fetch(url)).status, 200, "still valid 55 s later");
        server.clock.advance(10_000);
        const response = await fetch(url);
        assert.equal(response.status, 403);
        const error = await errorOf(response);
        assert.equal(error.code, code);
        assert.equal(error.message, "Request has expired");
        assert.equal(error.fields["X-Amz-Expires"], "60");
        const signedAt = new URL(url).searchParams.get("X-Amz-Date") as string;
        const expires = new Date(
          Date.UTC(
            Number(signedAt.slice(0, 4)),
            Number(signedAt.slice(4, 6)) - 1,
            Number(signedAt.slice(6, 8)),
            Number(signedAt.slice(9, 11)),
            Number(signedAt.slice(11, 13)),
            Number(signedAt.slice(13, 15)) + 60,
          ),
        );
        assert.equal(error.fields.Expires, `${expires.toISOString().slice(0, 19)}Z`);
        assert.ok(error.fields.ServerTime);
      } finally {
        server.clock.reset();
      }
    }
  });

  it("refuses X-Amz-Expires of 604801 with 400 AuthorizationQueryParametersError, and accepts 604800", async () => {
    const week = await sdkGetUrl(sdk, "existing.txt", 604_800);
    assert.equal((await fetch(week)).status, 200);
    const tooLong = week.replace("X-Amz-Expires=604800", "X-Amz-Expires=604801");
    assert.notEqual(tooLong, week);
    const response = await fetch(tooLong);
    assert.equal(response.status, 400);
    const error = await errorOf(response);
    assert.equal(error.code, "AuthorizationQueryParametersError");
    assert.equal(
      error.message,
      "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds",
    );
  });

  it("refuses an unsigned x-amz-meta-* header sent with a presigned PUT with 403 AccessDenied and HeadersNotSigned", async () => {
    const url = await getSignedUrl(
      sdk,
      new PutObjectCommand({ Bucket: BUCKET, Key: "meta-url.txt" }),
      { expiresIn: 60 },
    );
    const response = await fetch(url, {
      method: "PUT",
      headers: { "x-amz-meta-wrong": "1", "content-type": "text/plain" },
      body: "meta",
    });
    assert.equal(response.status, 403);
    const error = await errorOf(response);
    assert.equal(error.code, "AccessDenied");
    assert.equal(error.message, "There were headers present in the request which were not signed");
    assert.equal(error.fields.HeadersNotSigned, "x-amz-meta-wrong");
    assert.equal((await signedFetch("HEAD", objectAt(r2, "meta-url.txt"))).status, 404);
  });

  it("refuses a URL scoped to another region with 400 AuthorizationQueryParametersError naming the expected Region", async () => {
    const client = sdkClient(r2.url, "WHEN_REQUIRED", { region: "eu-central-1" });
    const url = await sdkGetUrl(client, "existing.txt");
    client.destroy();
    const response = await fetch(url);
    assert.equal(response.status, 400);
    const error = await errorOf(response);
    assert.equal(error.code, "AuthorizationQueryParametersError");
    assert.equal(
      error.message,
      "Error parsing the X-Amz-Credential parameter; the region 'eu-central-1' is wrong; expecting 'auto'",
    );
    assert.equal(error.fields.Region, "auto");
  });
});

describe("aws-chunked bodies signed chunk by chunk (STREAMING-AWS4-HMAC-SHA256-PAYLOAD)", () => {
  const hex = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

  interface ChunkedOptions {
    readonly key: string;
    readonly chunks: readonly Buffer[];
    /** Signed trailers (the -TRAILER variant). */
    readonly trailers?: readonly [string, string][];
    /** Changes the encoded body after every signature was computed. */
    readonly tamper?: (body: Buffer) => Buffer;
  }

  /**
   * Builds and sends a chunk-signed PUT as minio-go and the Java SDK do: the seed
   * signature from `sign()`, then each chunk signed over the previous signature.
   */
  async function sendChunked(options: ChunkedOptions): Promise<Response> {
    const { chunks, trailers = [] } = options;
    const decodedLength = chunks.reduce((n, c) => n + c.length, 0);
    const encode = (seed: string, key: Buffer | undefined, amzDate: string, scope: string) => {
      const out: Buffer[] = [];
      let previous = seed;
      const hmac = (text: string) =>
        key ? createHmac("sha256", key).update(text).digest("hex") : "0".repeat(64);
      for (const chunk of [...chunks, Buffer.alloc(0)]) {
        previous = hmac(
          `AWS4-HMAC-SHA256-PAYLOAD\n${amzDate}\n${scope}\n${previous}\n${EMPTY_SHA256}\n${hex(chunk)}`,
        );
        out.push(Buffer.from(`${chunk.length.toString(16)};chunk-signature=${previous}\r\n`));
        if (chunk.length > 0) out.push(chunk, Buffer.from("\r\n"));
      }
      if (trailers.length > 0) {
        let canonical = "";
        for (const [name, value] of trailers) {
          out.push(Buffer.from(`${name}:${value}\r\n`));
          canonical += `${name}:${value}\n`;
        }
        const trailerSignature = hmac(
          `AWS4-HMAC-SHA256-TRAILER\n${amzDate}\n${scope}\n${previous}\n${hex(canonical)}`,
        );
        out.push(Buffer.from(`x-amz-trailer-signature:${trailerSignature}\r\n`));
      }
      out.push(Buffer.from("\r\n"));
      return Buffer.concat(out);
    };
    // Signatures are all 64 hex digits, so the length is known before signing.
    const encodedLength = encode("", undefined, "", "").length;
    const headers: Record<string, string> = {
      "content-encoding": "aws-chunked",
      "content-length": String(encodedLength),
      "x-amz-decoded-content-length": String(decodedLength),
    };
    if (trailers.length > 0) headers["x-amz-trailer"] = trailers.map(([n]) => n).join(",");
    const signed = sign({
      method: "PUT",
      url: objectAt(r2, options.key),
      credentials: CREDENTIALS,
      region: "auto",
      headers,
      payloadHash: trailers.length > 0 ? STREAMING_SIGNED_TRAILER : STREAMING_SIGNED,
    });
    const amzDate = signed.headers["x-amz-date"] as string;
    const date = amzDate.slice(0, 8);
    const body = encode(
      signed.signature,
      signingKey(CREDENTIALS.secretAccessKey, date, "auto", "s3"),
      amzDate,
      `${date}/auto/s3/aws4_request`,
    );
    assert.equal(body.length, encodedLength);
    const { host: _host, "content-length": _length, ...send } = signed.headers;
    return fetch(signed.url, {
      method: "PUT",
      headers: send,
      body: options.tamper ? options.tamper(body) : body,
    });
  }

  const data = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 13) % 256));
  const chunks = [data.subarray(0, 65_536), data.subarray(65_536)];

  it("accepts a chunk-signed body and stores the decoded bytes", async () => {
    const response = await sendChunked({ key: "chunked/ok.bin", chunks });
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal(response.headers.get("etag"), `"${createHash("md5").update(data).digest("hex")}"`);
    const back = await signedFetch("GET", objectAt(r2, "chunked/ok.bin"));
    assert.ok(Buffer.from(await back.arrayBuffer()).equals(data));
    // aws-chunked was the transfer, not the object's encoding.
    assert.equal(back.headers.get("content-encoding"), null);
  });

  it("accepts a chunk-signed body with a signed CRC32 trailer and checks it", async () => {
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(data));
    const response = await sendChunked({
      key: "chunked/trailer.bin",
      chunks,
      trailers: [["x-amz-checksum-crc32", crc.toString("base64")]],
    });
    assert.equal(response.status, 200, await response.clone().text());
    const head = await signedFetch("HEAD", objectAt(r2, "chunked/trailer.bin"), {
      headers: { "x-amz-checksum-mode": "ENABLED" },
    });
    assert.equal(head.headers.get("x-amz-checksum-crc32"), crc.toString("base64"));
  });

  it("refuses a body whose chunk was changed after signing with 403 SignatureDoesNotMatch, storing nothing", async () => {
    const response = await sendChunked({
      key: "chunked/tampered.bin",
      chunks,
      tamper: (body) => {
        const copy = Buffer.from(body);
        const at = copy.indexOf("\r\n") + 2 + 1000;
        copy[at] = (copy[at] as number) ^ 0xff;
        return copy;
      },
    });
    assert.equal(response.status, 403);
    assert.equal((await errorOf(response)).code, "SignatureDoesNotMatch");
    const after = await signedFetch("GET", objectAt(r2, "chunked/tampered.bin"));
    assert.equal(after.status, 404);
    assert.equal((await errorOf(after)).code, "NoSuchKey");
  });

  it("refuses a signed trailer changed after signing with 403 SignatureDoesNotMatch, storing nothing", async () => {
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(data));
    const value = crc.toString("base64");
    const response = await sendChunked({
      key: "chunked/trailer-tampered.bin",
      chunks,
      trailers: [["x-amz-checksum-crc32", value]],
      tamper: (body) =>
        Buffer.from(body.toString("latin1").replace(`crc32:${value}`, "crc32:AAAAAA=="), "latin1"),
    });
    assert.equal(response.status, 403);
    assert.equal((await errorOf(response)).code, "SignatureDoesNotMatch");
    const after = await signedFetch("GET", objectAt(r2, "chunked/trailer-tampered.bin"));
    assert.equal(after.status, 404);
  });
});

describe("CORS preflights", () => {
  it("are never authenticated, even with a bogus presigned query or Authorization header", async () => {
    const bogus = `${objectAt(r2, "existing.txt")}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=NOSUCHKEY%2F20000101%2Fauto%2Fs3%2Faws4_request&X-Amz-Date=20000101T000000Z&X-Amz-Expires=1&X-Amz-SignedHeaders=host&X-Amz-Signature=bogus`;
    const variants: Record<string, string>[] = [
      {},
      { authorization: "AWS4-HMAC-SHA256 Credential=nobody" },
    ];
    for (const headers of variants) {
      const response = await fetch(bogus, {
        method: "OPTIONS",
        headers: {
          ...headers,
          origin: "https://app.example.com",
          "access-control-request-method": "PUT",
          "access-control-request-headers": "content-type",
        },
      });
      assert.equal(response.status, 200, await response.clone().text());
      assert.equal(response.headers.get("access-control-allow-origin"), "https://app.example.com");
      assert.equal(response.headers.get("access-control-allow-methods"), "PUT, GET");
    }
  });

  it("are refused by the rules, not by authentication, when the origin does not match", async () => {
    const response = await fetch(objectAt(r2, "existing.txt"), {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "PUT" },
    });
    assert.equal(response.status, 403);
    const error = await errorOf(response);
    assert.equal(error.code, "AccessForbidden");
    assert.equal(response.headers.get("access-control-allow-origin"), null);
  });
});
