/**
 * The scenario Sluice exists for (issue 3, "The scenario this product exists for, as one
 * test"): bucket `user-uploads`; strict CORS applied with `aws s3api put-bucket-cors` and
 * a `file://cors.json`, as a user types it; a presigned PUT from
 * `@aws-sdk/s3-request-presigner` for `avatars/42.jpg` as `image/jpeg`, 300 seconds; the
 * browser's preflight and PUT replayed with `fetch` (Origin and all).
 *
 * Run both ways the issue asks: with `signableHeaders: new Set(["content-type"])` and
 * `requestChecksumCalculation: "WHEN_REQUIRED"` the scenario holds exactly; with the SDK's
 * defaults the URL carries the CRC32 of an empty body and the store refuses the PUT with
 * 400 BadDigest, saying so and saying how to fix it.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  CreateBucketCommand,
  GetBucketCorsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketCorsCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { awsCli, errorOf, sdkClient, startStore, type TestStore } from "./helpers.js";

const BUCKET = "user-uploads";
const KEY = "avatars/42.jpg";
const APP = "https://app.mycompany.com";
/** Exactly the configuration of the issue. */
const CORS_JSON =
  '{"CORSRules":[{"AllowedOrigins":["https://app.mycompany.com"],"AllowedMethods":["PUT","GET","HEAD"],"AllowedHeaders":["Content-Type","Content-Length"],"ExposeHeaders":["ETag"],"MaxAgeSeconds":86400}]}';
const VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

/** A few bytes that start like a JPEG, and a different few that start like a PNG. */
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 0x42)]);
const PNG = Buffer.concat([Buffer.from("\x89PNG\r\n\x1a\n", "latin1"), Buffer.alloc(1500, 0x17)]);
const md5Hex = (data: Uint8Array) => createHash("md5").update(data).digest("hex");

/** A store with the bucket, and the bucket's CORS set by the `aws` CLI from `cors.json`. */
async function setUp(client: (url: string) => S3Client): Promise<{
  server: TestStore;
  s3: S3Client;
}> {
  const server = await startStore();
  const s3 = client(server.url);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const folder = mkdtempSync(join(tmpdir(), "sluice-scenario-"));
  writeFileSync(join(folder, "cors.json"), CORS_JSON);
  const cli = await awsCli(
    server.url,
    ["s3api", "put-bucket-cors", "--bucket", BUCKET, "--cors-configuration", "file://cors.json"],
    folder,
  );
  assert.equal(cli.code, 0, `aws s3api put-bucket-cors failed: ${cli.stderr}`);
  const applied = await s3.send(new GetBucketCorsCommand({ Bucket: BUCKET }));
  assert.deepEqual({ CORSRules: applied.CORSRules }, JSON.parse(CORS_JSON));
  return { server, s3 };
}

function preflight(url: string, origin: string): Promise<Response> {
  return fetch(url, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "PUT",
      "access-control-request-headers": "content-type",
    },
  });
}

/** The browser's PUT: the bytes, the Content-Type it was told, its Origin. */
function browserPut(url: string, body: Buffer, contentType: string): Promise<Response> {
  return fetch(url, {
    method: "PUT",
    headers: { origin: APP, "content-type": contentType },
    body,
  });
}

async function stored(s3: S3Client): Promise<{ bytes: Buffer; contentType: string | undefined }> {
  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY }));
  return {
    bytes: Buffer.from((await got.Body?.transformToByteArray()) ?? []),
    contentType: got.ContentType,
  };
}

function assertCorsOnActual(response: Response, what: string): void {
  assert.equal(response.headers.get("access-control-allow-origin"), APP, what);
  assert.equal(response.headers.get("access-control-expose-headers"), "ETag", what);
  assert.equal(response.headers.get("vary"), VARY, what);
}

describe("the scenario of issue 3: a browser upload into user-uploads under strict CORS", () => {
  it("holds exactly with signableHeaders content-type and requestChecksumCalculation WHEN_REQUIRED", async () => {
    const { server, s3 } = await setUp((url) => sdkClient(url, "WHEN_REQUIRED"));
    try {
      const url = await getSignedUrl(
        s3,
        new PutObjectCommand({ Bucket: BUCKET, Key: KEY, ContentType: "image/jpeg" }),
        { expiresIn: 300, signableHeaders: new Set(["content-type"]) },
      );
      const query = new URL(url).searchParams;
      assert.equal(query.get("X-Amz-SignedHeaders"), "content-type;host");
      assert.equal(query.get("X-Amz-Expires"), "300");
      assert.equal(query.get("x-amz-checksum-crc32"), null);

      // The preflight from the app's origin passes, with every header S3 sends.
      const allowed = await preflight(url, APP);
      assert.equal(allowed.status, 200, await allowed.clone().text());
      assert.equal(await allowed.text(), "");
      assert.equal(allowed.headers.get("access-control-allow-origin"), APP);
      assert.equal(allowed.headers.get("access-control-allow-methods"), "PUT, GET, HEAD");
      assert.equal(allowed.headers.get("access-control-allow-headers"), "content-type");
      assert.equal(allowed.headers.get("access-control-max-age"), "86400");
      assert.equal(allowed.headers.get("access-control-expose-headers"), "ETag");
      assert.equal(allowed.headers.get("access-control-allow-credentials"), "true");
      assert.equal(allowed.headers.get("vary"), VARY);

      // From any other origin it fails: 403 AccessForbidden, nothing a browser would accept.
      for (const origin of ["https://evil.example.com", "http://app.mycompany.com"]) {
        const refused = await preflight(url, origin);
        assert.equal(refused.status, 403, origin);
        assert.equal(refused.headers.get("access-control-allow-origin"), null, origin);
        const error = await errorOf(refused);
        assert.equal(error.code, "AccessForbidden");
        assert.match(error.message, /^CORSResponse: This CORS request is not allowed\./);
        assert.equal(error.fields.Method, "PUT");
        assert.equal(error.fields.ResourceType, "OBJECT");
      }

      // The PUT with the signed type stores the bytes; the origin can read the ETag.
      const put = await browserPut(url, JPEG, "image/jpeg");
      assert.equal(put.status, 200, await put.clone().text());
      assert.equal(put.headers.get("etag"), `"${md5Hex(JPEG)}"`);
      assertCorsOnActual(put, "the PUT");
      const afterPut = await stored(s3);
      assert.ok(afterPut.bytes.equals(JPEG), "GET returns the uploaded bytes");
      assert.equal(afterPut.contentType, "image/jpeg");

      // image/png on a URL signed for image/jpeg: 403, saying so, readable by the page.
      const png = await browserPut(url, PNG, "image/png");
      assert.equal(png.status, 403);
      assertCorsOnActual(png, "the refused PUT");
      const mismatch = await errorOf(png);
      assert.equal(mismatch.code, "SignatureDoesNotMatch");
      assert.match(
        mismatch.message,
        /the request's Content-Type is "image\/png" but the URL was signed for "image\/jpeg"/,
      );
      assert.ok((await stored(s3)).bytes.equals(JPEG), "the refused PUT changed nothing");

      // The same URL after its 300 seconds: "Request has expired" (R2's ExpiredRequest).
      server.clock.advance(301_000);
      const expired = await browserPut(url, PNG, "image/jpeg");
      assert.equal(expired.status, 403);
      assertCorsOnActual(expired, "the expired PUT");
      const expiry = await errorOf(expired);
      assert.equal(expiry.code, "ExpiredRequest");
      assert.equal(expiry.message, "Request has expired");
      server.clock.reset();
      assert.ok((await stored(s3)).bytes.equals(JPEG), "the expired PUT changed nothing");
    } finally {
      s3.destroy();
      await server.close();
    }
  });

  it("with the SDK's defaults refuses the PUT with 400 BadDigest naming the empty-body CRC32 and the fix, CORS headers present", async () => {
    const { server, s3 } = await setUp((url) => sdkClient(url, "SDK default"));
    try {
      const url = await getSignedUrl(
        s3,
        new PutObjectCommand({ Bucket: BUCKET, Key: KEY, ContentType: "image/jpeg" }),
        { expiresIn: 300 },
      );
      const query = new URL(url).searchParams;
      // What the SDK does by default: the CRC32 of zero bytes, and only host signed.
      assert.equal(query.get("x-amz-checksum-crc32"), "AAAAAA==");
      assert.equal(query.get("X-Amz-SignedHeaders"), "host");

      const allowed = await preflight(url, APP);
      assert.equal(allowed.status, 200);
      assert.equal(allowed.headers.get("access-control-allow-origin"), APP);

      const put = await browserPut(url, JPEG, "image/jpeg");
      assert.equal(put.status, 400);
      assertCorsOnActual(put, "the refused PUT");
      const error = await errorOf(put);
      assert.equal(error.code, "BadDigest");
      assert.match(
        error.message,
        /^The CRC32 you specified did not match the calculated checksum\./,
      );
      assert.match(error.message, /x-amz-checksum-crc32=AAAAAA==, the CRC32 of an empty body/);
      assert.match(
        error.message,
        /@aws-sdk\/s3-request-presigner adds to presigned PUT URLs by default/,
      );
      assert.match(error.message, /requestChecksumCalculation: "WHEN_REQUIRED"/);
      await assert.rejects(
        s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: KEY })),
        (e: { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode === 404,
        "nothing was stored",
      );
    } finally {
      s3.destroy();
      await server.close();
    }
  });

  it("lets a wrong Content-Type through when the SDK presigns without signableHeaders: the SDK's trap, not the store's", async () => {
    const server = await startStore();
    const s3 = sdkClient(server.url, "WHEN_REQUIRED");
    try {
      await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
      await s3.send(
        new PutBucketCorsCommand({ Bucket: BUCKET, CORSConfiguration: JSON.parse(CORS_JSON) }),
      );
      const url = await getSignedUrl(
        s3,
        new PutObjectCommand({ Bucket: BUCKET, Key: KEY, ContentType: "image/jpeg" }),
        { expiresIn: 300 },
      );
      // ContentType was given, yet only host is signed: nothing binds the type.
      assert.equal(new URL(url).searchParams.get("X-Amz-SignedHeaders"), "host");
      const put = await browserPut(url, PNG, "image/png");
      assert.equal(put.status, 200, await put.clone().text());
      const object = await stored(s3);
      assert.ok(object.bytes.equals(PNG));
      assert.equal(object.contentType, "image/png");
    } finally {
      s3.destroy();
      await server.close();
    }
  });
});
