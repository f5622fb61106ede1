/**
 * The store through `@aws-sdk/client-s3` over real HTTP on loopback, every operation the
 * store implements, run twice: with `requestChecksumCalculation: "WHEN_REQUIRED"` (plain
 * bodies, no checksums unless an operation requires one) and with the SDK's defaults
 * (a CRC32 on every PUT; stream bodies sent `aws-chunked` with the CRC32 as a trailer).
 * The SDK is the judge: what it sends and how it reads our answers.
 *
 * Two things the SDK does that a reader might not expect, pinned here: it does not decode
 * `encoding-type=url` listings (botocore does), and with its default checksum mode it
 * asks for checksums on every GET and checks them, so a ranged GET must not carry the
 * whole object's checksum. Virtual-hosted requests need `bucket.localhost` to reach
 * loopback, which glibc's resolver does not do here; an agent with its own lookup does.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { crc32 } from "node:zlib";
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteBucketCorsCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketCorsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutBucketCorsCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import {
  CHECKSUM_MODES,
  type ChecksumMode,
  loopbackAgent,
  recordRequests,
  sdkClient,
  startStore,
  type TestStore,
} from "./helpers.js";

const md5Hex = (data: string | Uint8Array) => createHash("md5").update(data).digest("hex");
const sha256B64 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("base64");
const md5B64 = (data: string | Uint8Array) => createHash("md5").update(data).digest("base64");
const crc32B64 = (data: string | Uint8Array) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(crc32(data));
  return bytes.toString("base64");
};

/** A body of `size` bytes that differ from each other, so an offset error shows. */
const bytesOf = (size: number) =>
  Buffer.from(Array.from({ length: size }, (_, i) => (i * 7) % 251));

/** Asserts that `promise` rejects with an S3 error of this code (and status, if given). */
async function rejectsWith(
  promise: Promise<unknown>,
  code: string,
  status?: number,
): Promise<S3ServiceException> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof S3ServiceException, `expected an S3 error, got ${String(error)}`);
    assert.equal(error.name, code, error.message);
    if (status !== undefined) assert.equal(error.$metadata.httpStatusCode, status);
    return error;
  }
  assert.fail(`expected ${code}, but the request succeeded`);
}

/** Asserts the request fails with this HTTP status (for answers without a body: 304, HEAD). */
async function rejectsWithStatus(promise: Promise<unknown>, status: number): Promise<void> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof S3ServiceException, `expected an S3 error, got ${String(error)}`);
    assert.equal(error.$metadata.httpStatusCode, status);
    return;
  }
  assert.fail(`expected ${status}, but the request succeeded`);
}

let server: TestStore;

before(async () => {
  server = await startStore();
});

after(async () => {
  await server.close();
});

for (const mode of CHECKSUM_MODES) {
  describe(`@aws-sdk/client-s3 (${mode})`, () => {
    const suffix = mode === "WHEN_REQUIRED" ? "when-required" : "sdk-default";
    const bucket = `sdk-${suffix}`;
    let s3: S3Client;
    let sent: Array<Record<string, string>>;

    before(async () => {
      s3 = sdkClient(server.url, mode as ChecksumMode);
      sent = recordRequests(s3);
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    });

    after(() => s3.destroy());

    /** A fresh bucket for a test that needs one to itself. */
    async function freshBucket(name: string): Promise<string> {
      const fresh = `${name}-${suffix}`;
      await s3.send(new CreateBucketCommand({ Bucket: fresh }));
      return fresh;
    }

    describe("buckets", () => {
      it("refuses to create a bucket twice with 409 BucketConflict, as R2's error table gives it", async () => {
        const error = await rejectsWith(
          s3.send(new CreateBucketCommand({ Bucket: bucket })),
          "BucketConflict",
          409,
        );
        assert.equal((error as unknown as { BucketName: string }).BucketName, bucket);
      });

      it("refuses invalid bucket names with 400 InvalidBucketName", async () => {
        for (const name of ["ab", "Upper-Case", "under_score", "-leading", "a".repeat(64)]) {
          await rejectsWith(
            s3.send(new CreateBucketCommand({ Bucket: name })),
            "InvalidBucketName",
            400,
          );
        }
      });

      it("lists the buckets it created", async () => {
        const { Buckets } = await s3.send(new ListBucketsCommand({}));
        const names = (Buckets ?? []).map((b) => b.Name);
        assert.ok(names.includes(bucket), `${bucket} in ${names.join(", ")}`);
        const created = Buckets?.find((b) => b.Name === bucket)?.CreationDate;
        assert.ok(created instanceof Date && Math.abs(created.getTime() - Date.now()) < 60_000);
      });

      it("answers HeadBucket with 200 for a bucket and 404 for a missing one", async () => {
        const head = await s3.send(new HeadBucketCommand({ Bucket: bucket }));
        assert.equal(head.$metadata.httpStatusCode, 200);
        await rejectsWithStatus(s3.send(new HeadBucketCommand({ Bucket: "no-such-bucket" })), 404);
      });

      it("refuses to delete a bucket that holds an object with 409 BucketNotEmpty, then deletes it once empty", async () => {
        const doomed = await freshBucket("doomed");
        await s3.send(new PutObjectCommand({ Bucket: doomed, Key: "k", Body: "x" }));
        await rejectsWith(
          s3.send(new DeleteBucketCommand({ Bucket: doomed })),
          "BucketNotEmpty",
          409,
        );
        await s3.send(new DeleteObjectCommand({ Bucket: doomed, Key: "k" }));
        const deleted = await s3.send(new DeleteBucketCommand({ Bucket: doomed }));
        assert.equal(deleted.$metadata.httpStatusCode, 204);
        await rejectsWithStatus(s3.send(new HeadBucketCommand({ Bucket: doomed })), 404);
        await rejectsWith(
          s3.send(new PutObjectCommand({ Bucket: doomed, Key: "k", Body: "x" })),
          "NoSuchBucket",
          404,
        );
      });

      it("serves virtual-hosted requests (Host: bucket.localhost:port) from the same bucket", async () => {
        const virtual = sdkClient(`http://localhost:${server.port}`, mode as ChecksumMode, {
          forcePathStyle: false,
          requestHandler: { httpAgent: loopbackAgent() },
        });
        const seen = recordRequests(virtual);
        try {
          await virtual.send(
            new PutObjectCommand({ Bucket: bucket, Key: "virtual/hosted.txt", Body: "vhost" }),
          );
          assert.equal(seen.at(-1)?.host, `${bucket}.localhost:${server.port}`);
          const viaPath = await s3.send(
            new GetObjectCommand({ Bucket: bucket, Key: "virtual/hosted.txt" }),
          );
          assert.equal(await viaPath.Body?.transformToString(), "vhost");
          const listed = await virtual.send(
            new ListObjectsV2Command({ Bucket: bucket, Prefix: "virtual/" }),
          );
          assert.deepEqual(
            listed.Contents?.map((c) => c.Key),
            ["virtual/hosted.txt"],
          );
          await virtual.send(
            new DeleteObjectCommand({ Bucket: bucket, Key: "virtual/hosted.txt" }),
          );
        } finally {
          virtual.destroy();
        }
      });
    });

    describe("PutObject, GetObject, HeadObject", () => {
      it("stores string, Buffer and stream bodies with the hex MD5 of the body as ETag", async () => {
        const stream = bytesOf(70_000);
        const bodies: [string, () => string | Buffer | Readable, Buffer][] = [
          ["string", () => "hello, sluice", Buffer.from("hello, sluice")],
          ["buffer", () => bytesOf(1000), bytesOf(1000)],
          ["empty", () => "", Buffer.alloc(0)],
          [
            "stream",
            () => Readable.from([stream.subarray(0, 30_000), stream.subarray(30_000)]),
            stream,
          ],
        ];
        for (const [name, body, expected] of bodies) {
          const put = await s3.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: `bodies/${name}`,
              Body: body(),
              ContentLength: expected.length,
            }),
          );
          assert.equal(put.ETag, `"${md5Hex(expected)}"`, name);
          const got = await s3.send(
            new GetObjectCommand({ Bucket: bucket, Key: `bodies/${name}` }),
          );
          assert.equal(got.ETag, `"${md5Hex(expected)}"`, name);
          assert.equal(got.ContentLength, expected.length, name);
          const bytes = Buffer.from((await got.Body?.transformToByteArray()) ?? []);
          assert.ok(bytes.equals(expected), `${name}: the bytes read back differ`);
        }
      });

      it(
        mode === "WHEN_REQUIRED"
          ? "sends a stream body plain, with Content-Length and no checksum"
          : "sends a stream body aws-chunked with a CRC32 trailer, and the store decodes it",
        async () => {
          const body = bytesOf(70_000);
          await s3.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: "bodies/framing",
              Body: Readable.from([body]),
              ContentLength: body.length,
            }),
          );
          const request = sent.at(-1) ?? {};
          if (mode === "WHEN_REQUIRED") {
            assert.equal(request["content-encoding"], undefined);
            assert.equal(request["content-length"], "70000");
            assert.equal(request["x-amz-trailer"], undefined);
          } else {
            assert.match(request["content-encoding"] ?? "", /aws-chunked/);
            assert.equal(request["x-amz-content-sha256"], "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
            assert.equal(request["x-amz-trailer"], "x-amz-checksum-crc32");
            assert.equal(request["x-amz-decoded-content-length"], "70000");
          }
          const head = await s3.send(
            new HeadObjectCommand({
              Bucket: bucket,
              Key: "bodies/framing",
              ChecksumMode: "ENABLED",
            }),
          );
          assert.equal(head.ContentLength, 70_000);
          assert.equal(head.ETag, `"${md5Hex(body)}"`);
          // aws-chunked is how the body travelled, never a stored Content-Encoding.
          assert.equal(head.ContentEncoding, undefined);
          if (mode === "SDK default") assert.equal(head.ChecksumCRC32, crc32B64(body));
        },
      );

      it("round-trips Content-Type, Cache-Control, Content-Disposition, Content-Encoding, Content-Language, Expires and metadata", async () => {
        const expires = new Date("2030-01-02T03:04:05Z");
        const body = bytesOf(5000);
        for (const [name, makeBody] of [
          ["buffer", () => body],
          ["stream", () => Readable.from([body])],
        ] as const) {
          const key = `headers/${name}`;
          await s3.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: key,
              Body: makeBody(),
              ContentLength: body.length,
              ContentType: "image/webp",
              CacheControl: "public, max-age=60",
              ContentDisposition: 'attachment; filename="cat.webp"',
              ContentEncoding: "gzip",
              ContentLanguage: "de-CH",
              Expires: expires,
              Metadata: { color: "blue", "user-id": "42" },
            }),
          );
          for (const read of [
            () => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })),
            () => s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })),
          ]) {
            const got = await read();
            assert.equal(got.ContentType, "image/webp", name);
            assert.equal(got.CacheControl, "public, max-age=60", name);
            assert.equal(got.ContentDisposition, 'attachment; filename="cat.webp"', name);
            assert.equal(got.ContentEncoding, "gzip", name);
            assert.equal(got.ContentLanguage, "de-CH", name);
            assert.equal(got.Expires?.getTime(), expires.getTime(), name);
            assert.deepEqual(got.Metadata, { color: "blue", "user-id": "42" }, name);
            assert.equal(got.ContentLength, body.length, name);
            assert.equal(got.AcceptRanges, "bytes");
            assert.ok(got.LastModified instanceof Date);
          }
        }
      });

      it("defaults Content-Type to application/octet-stream when none was sent", async () => {
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "untyped", Body: bytesOf(3) }));
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "untyped" }));
        assert.equal(head.ContentType, "application/octet-stream");
      });

      it("stores any valid key as itself: spaces, +, unicode, //, ../, and 1024 bytes", async () => {
        const keys = [
          "keys/with space.txt",
          "keys/plus+sign.txt",
          "keys/ümlaut/日本語/😀.txt",
          "keys/double//slash",
          "keys//leading",
          "keys/trailing/",
          "keys/../parent.txt",
          "keys/a/../b/./c",
          "keys/percent%20literal",
          "keys/query?and#hash&amp=",
          "keys/tilde~*'()!$,;:@",
          `keys/${"x".repeat(1019)}`,
          `keys/${"é".repeat(509)}x`,
        ];
        assert.equal(Buffer.byteLength(keys.at(-1) as string), 1024);
        for (const key of keys) {
          await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
        }
        for (const key of keys) {
          const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          assert.equal(await got.Body?.transformToString(), key, key);
        }
        const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "keys/" }));
        assert.deepEqual(new Set(listed.Contents?.map((c) => c.Key)), new Set(keys));
      });

      it("accepts a 1024-byte key and refuses a 1025-byte one with 400 InvalidObjectName, as R2's error table gives it", async () => {
        const ok = "k".repeat(1024);
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: ok, Body: "ok" }));
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: ok }));
        assert.equal(head.ContentLength, 2);
        const tooLong = "k".repeat(1025);
        const error = await rejectsWith(
          s3.send(new PutObjectCommand({ Bucket: bucket, Key: tooLong, Body: "no" })),
          "InvalidObjectName",
          400,
        );
        const fields = error as unknown as { MaxSizeAllowed: string; Size: string };
        assert.equal(String(fields.MaxSizeAllowed), "1024");
        assert.equal(String(fields.Size), "1025");
        // Two bytes per "é": 513 of them are 1026 bytes though only 513 characters.
        await rejectsWith(
          s3.send(new PutObjectCommand({ Bucket: bucket, Key: "é".repeat(513), Body: "no" })),
          "InvalidObjectName",
          400,
        );
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: ok }));
      });

      it("answers a missing key with 404 NoSuchKey (GET) and 404 (HEAD)", async () => {
        const error = await rejectsWith(
          s3.send(new GetObjectCommand({ Bucket: bucket, Key: "missing/key" })),
          "NoSuchKey",
          404,
        );
        assert.equal((error as unknown as { Key: string }).Key, "missing/key");
        await rejectsWithStatus(
          s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "missing/key" })),
          404,
        );
      });
    });

    describe("GetObject ranges, conditions and overrides", () => {
      const key = "ranged.bin";
      const body = bytesOf(100);
      let etag: string;
      let lastModified: Date;

      before(async () => {
        etag = (await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body })))
          .ETag as string;
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        lastModified = head.LastModified as Date;
      });

      async function range(
        header: string,
      ): Promise<{ bytes: Buffer; contentRange?: string; status?: number }> {
        const got = await s3.send(
          new GetObjectCommand({ Bucket: bucket, Key: key, Range: header }),
        );
        return {
          bytes: Buffer.from((await got.Body?.transformToByteArray()) ?? []),
          ...(got.ContentRange ? { contentRange: got.ContentRange } : {}),
          ...(got.$metadata.httpStatusCode ? { status: got.$metadata.httpStatusCode } : {}),
        };
      }

      it("serves a closed range with 206 and Content-Range", async () => {
        const got = await range("bytes=10-19");
        assert.equal(got.status, 206);
        assert.equal(got.contentRange, "bytes 10-19/100");
        assert.ok(got.bytes.equals(body.subarray(10, 20)));
      });

      it("serves a suffix range (the last N bytes)", async () => {
        const got = await range("bytes=-7");
        assert.equal(got.contentRange, "bytes 93-99/100");
        assert.ok(got.bytes.equals(body.subarray(93)));
        const bigger = await range("bytes=-500");
        assert.equal(bigger.contentRange, "bytes 0-99/100");
        assert.ok(bigger.bytes.equals(body));
      });

      it("serves an open-ended range and clamps a range past the end", async () => {
        const open = await range("bytes=90-");
        assert.equal(open.contentRange, "bytes 90-99/100");
        assert.ok(open.bytes.equals(body.subarray(90)));
        const clamped = await range("bytes=95-1000");
        assert.equal(clamped.contentRange, "bytes 95-99/100");
        assert.ok(clamped.bytes.equals(body.subarray(95)));
      });

      it("refuses an unsatisfiable range with 416 InvalidRange", async () => {
        const error = await rejectsWith(
          s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: "bytes=100-" })),
          "InvalidRange",
          416,
        );
        const fields = error as unknown as { RangeRequested: string; ActualObjectSize: string };
        assert.equal(fields.RangeRequested, "bytes=100-");
        assert.equal(String(fields.ActualObjectSize), "100");
      });

      it("answers If-Match with the wrong ETag with 412 PreconditionFailed, and the right one with the object", async () => {
        const error = await rejectsWith(
          s3.send(
            new GetObjectCommand({
              Bucket: bucket,
              Key: key,
              IfMatch: '"00000000000000000000000000000000"',
            }),
          ),
          "PreconditionFailed",
          412,
        );
        assert.equal((error as unknown as { Condition: string }).Condition, "If-Match");
        const ok = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, IfMatch: etag }));
        assert.equal(ok.$metadata.httpStatusCode, 200);
        await ok.Body?.transformToByteArray();
        await rejectsWithStatus(
          s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, IfMatch: '"nope"' })),
          412,
        );
      });

      it("answers If-None-Match with the current ETag with 304, for GET and HEAD", async () => {
        await rejectsWithStatus(
          s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, IfNoneMatch: etag })),
          304,
        );
        await rejectsWithStatus(
          s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, IfNoneMatch: etag })),
          304,
        );
        const other = await s3.send(
          new GetObjectCommand({ Bucket: bucket, Key: key, IfNoneMatch: '"other"' }),
        );
        assert.equal(other.$metadata.httpStatusCode, 200);
        await other.Body?.transformToByteArray();
      });

      it("honours If-Modified-Since and If-Unmodified-Since to the second", async () => {
        const before = new Date(lastModified.getTime() - 60_000);
        const later = new Date(lastModified.getTime() + 60_000);
        await rejectsWithStatus(
          s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, IfModifiedSince: later })),
          304,
        );
        await rejectsWithStatus(
          s3.send(
            new GetObjectCommand({ Bucket: bucket, Key: key, IfModifiedSince: lastModified }),
          ),
          304,
        );
        const modified = await s3.send(
          new GetObjectCommand({ Bucket: bucket, Key: key, IfModifiedSince: before }),
        );
        assert.equal(modified.$metadata.httpStatusCode, 200);
        await modified.Body?.transformToByteArray();

        const error = await rejectsWith(
          s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, IfUnmodifiedSince: before })),
          "PreconditionFailed",
          412,
        );
        assert.equal((error as unknown as { Condition: string }).Condition, "If-Unmodified-Since");
        const unmodified = await s3.send(
          new GetObjectCommand({ Bucket: bucket, Key: key, IfUnmodifiedSince: later }),
        );
        assert.equal(unmodified.$metadata.httpStatusCode, 200);
        await unmodified.Body?.transformToByteArray();
      });

      it("follows RFC 9110's precedence: a true If-Match outranks a false If-Unmodified-Since", async () => {
        const got = await s3.send(
          new GetObjectCommand({
            Bucket: bucket,
            Key: key,
            IfMatch: etag,
            IfUnmodifiedSince: new Date(lastModified.getTime() - 60_000),
          }),
        );
        assert.equal(got.$metadata.httpStatusCode, 200);
        await got.Body?.transformToByteArray();
      });

      it("applies response-* overrides to the response headers", async () => {
        const expires = new Date("2031-05-06T07:08:09Z");
        const got = await s3.send(
          new GetObjectCommand({
            Bucket: bucket,
            Key: key,
            ResponseContentType: "text/csv",
            ResponseCacheControl: "no-store",
            ResponseContentDisposition: 'inline; filename="r.csv"',
            ResponseContentEncoding: "identity",
            ResponseContentLanguage: "fr",
            ResponseExpires: expires,
          }),
        );
        assert.equal(got.ContentType, "text/csv");
        assert.equal(got.CacheControl, "no-store");
        assert.equal(got.ContentDisposition, 'inline; filename="r.csv"');
        assert.equal(got.ContentEncoding, "identity");
        assert.equal(got.ContentLanguage, "fr");
        assert.equal(got.Expires?.getTime(), expires.getTime());
        assert.ok(Buffer.from((await got.Body?.transformToByteArray()) ?? []).equals(body));
        // An override changes the response, never the object.
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        assert.equal(head.ContentType, "application/octet-stream");
      });
    });

    describe("DeleteObject and DeleteObjects", () => {
      it("deletes an object with 204, and answers 204 again when it is already gone", async () => {
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "delete/me", Body: "x" }));
        const first = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "delete/me" }));
        assert.equal(first.$metadata.httpStatusCode, 204);
        await rejectsWith(
          s3.send(new GetObjectCommand({ Bucket: bucket, Key: "delete/me" })),
          "NoSuchKey",
          404,
        );
        const again = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "delete/me" }));
        assert.equal(again.$metadata.httpStatusCode, 204);
      });

      it("deletes many keys at once, reporting each, missing ones included", async () => {
        const keys = ["many/a", "many/b b", "many/ü+", "many/../d"];
        for (const key of keys)
          await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
        const result = await s3.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: [...keys, "many/never-existed"].map((Key) => ({ Key })) },
          }),
        );
        assert.deepEqual(
          (result.Deleted ?? []).map((d) => d.Key).sort(),
          [...keys, "many/never-existed"].sort(),
        );
        assert.equal(result.Errors, undefined);
        const left = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "many/" }));
        assert.equal(left.KeyCount, 0);
      });

      it("reports nothing but failures in quiet mode", async () => {
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "quiet/a", Body: "a" }));
        const result = await s3.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: {
              Quiet: true,
              Objects: [{ Key: "quiet/a" }, { Key: "quiet/missing" }, { Key: "q".repeat(1025) }],
            },
          }),
        );
        assert.equal(result.Deleted, undefined);
        assert.deepEqual(
          result.Errors?.map((e) => [e.Key?.length, e.Code]),
          [[1025, "InvalidObjectName"]],
        );
        await rejectsWith(
          s3.send(new GetObjectCommand({ Bucket: bucket, Key: "quiet/a" })),
          "NoSuchKey",
          404,
        );
      });
    });

    describe("ListObjectsV2 and ListObjects", () => {
      let listBucket: string;
      // 25 keys: five "folders" of four, three top-level keys, and two deeper ones.
      const folders = ["alpha", "beta", "delta", "gamma", "omega"];
      const keys = [
        ...folders.flatMap((f) => [0, 1, 2, 3].map((i) => `${f}/file-${i}.txt`)),
        "alpha/sub/deep.txt",
        "beta/sub/deeper/x.txt",
        "readme.md",
        "root-1",
        "zzz",
      ].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

      before(async () => {
        listBucket = await freshBucket("list");
        await Promise.all(
          keys.map((Key) => s3.send(new PutObjectCommand({ Bucket: listBucket, Key, Body: Key }))),
        );
      });

      it("lists every key in UTF-8 byte order with sizes and ETags", async () => {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: listBucket }));
        assert.equal(keys.length, 25);
        assert.deepEqual(
          page.Contents?.map((c) => c.Key),
          keys,
        );
        assert.equal(page.KeyCount, 25);
        assert.equal(page.IsTruncated, false);
        const first = page.Contents?.[0];
        assert.equal(first?.Size, Buffer.byteLength(first?.Key ?? ""));
        assert.equal(first?.ETag, `"${md5Hex(first?.Key ?? "")}"`);
        assert.equal(first?.StorageClass, "STANDARD");
      });

      it("pages ListObjectsV2 to the end with continuation tokens, without duplicates or gaps", async () => {
        for (const maxKeys of [1, 4, 7, 25]) {
          const seen: string[] = [];
          let token: string | undefined;
          let pages = 0;
          do {
            const page = await s3.send(
              new ListObjectsV2Command({
                Bucket: listBucket,
                MaxKeys: maxKeys,
                ContinuationToken: token,
              }),
            );
            pages++;
            assert.ok((page.KeyCount ?? 0) <= maxKeys);
            seen.push(...(page.Contents ?? []).map((c) => c.Key as string));
            token = page.IsTruncated ? page.NextContinuationToken : undefined;
            if (page.IsTruncated) assert.ok(token, "a truncated page carries a token");
          } while (token !== undefined && pages < 100);
          assert.deepEqual(seen, keys, `max-keys ${maxKeys}`);
        }
      });

      it("pages with a delimiter, returning each folder once as a common prefix", async () => {
        for (const maxKeys of [1, 2, 3]) {
          const entries: string[] = [];
          let token: string | undefined;
          let pages = 0;
          do {
            const page = await s3.send(
              new ListObjectsV2Command({
                Bucket: listBucket,
                Delimiter: "/",
                MaxKeys: maxKeys,
                ContinuationToken: token,
              }),
            );
            pages++;
            entries.push(
              ...(page.CommonPrefixes ?? []).map((p) => p.Prefix as string),
              ...(page.Contents ?? []).map((c) => c.Key as string),
            );
            token = page.IsTruncated ? page.NextContinuationToken : undefined;
          } while (token !== undefined && pages < 100);
          assert.deepEqual(
            entries.sort(),
            [...folders.map((f) => `${f}/`), "readme.md", "root-1", "zzz"].sort(),
            `max-keys ${maxKeys}`,
          );
        }
      });

      it("lists inside a folder with prefix and delimiter", async () => {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: listBucket, Prefix: "beta/", Delimiter: "/" }),
        );
        assert.deepEqual(
          page.Contents?.map((c) => c.Key),
          [0, 1, 2, 3].map((i) => `beta/file-${i}.txt`),
        );
        assert.deepEqual(
          page.CommonPrefixes?.map((p) => p.Prefix),
          ["beta/sub/"],
        );
        assert.equal(page.Prefix, "beta/");
        assert.equal(page.Delimiter, "/");
        const none = await s3.send(
          new ListObjectsV2Command({ Bucket: listBucket, Prefix: "nothing/" }),
        );
        assert.equal(none.KeyCount, 0);
        assert.equal(none.Contents, undefined);
      });

      it("starts after a given key with start-after", async () => {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: listBucket, StartAfter: "gamma/file-3.txt" }),
        );
        assert.deepEqual(
          page.Contents?.map((c) => c.Key),
          keys.filter((k) => Buffer.compare(Buffer.from(k), Buffer.from("gamma/file-3.txt")) > 0),
        );
        assert.equal(page.StartAfter, "gamma/file-3.txt");
        const between = await s3.send(
          new ListObjectsV2Command({ Bucket: listBucket, StartAfter: "beta/zz" }),
        );
        assert.equal(between.Contents?.[0]?.Key, "delta/file-0.txt");
      });

      it("pages ListObjects (v1) to the end with markers, without duplicates or gaps", async () => {
        for (const delimiter of [undefined, "/"]) {
          const entries: string[] = [];
          let marker: string | undefined;
          let pages = 0;
          for (;;) {
            const page = await s3.send(
              new ListObjectsCommand({
                Bucket: listBucket,
                MaxKeys: 3,
                Marker: marker,
                Delimiter: delimiter,
              }),
            );
            pages++;
            const contents = (page.Contents ?? []).map((c) => c.Key as string);
            const prefixes = (page.CommonPrefixes ?? []).map((p) => p.Prefix as string);
            entries.push(...contents, ...prefixes);
            if (!page.IsTruncated || pages > 100) break;
            // With a delimiter S3 says where to go on; without one, the last key is the marker.
            marker = delimiter ? page.NextMarker : contents.at(-1);
            assert.ok(marker, "a truncated page says where to continue");
          }
          const expected =
            delimiter === undefined
              ? keys
              : [...folders.map((f) => `${f}/`), "readme.md", "root-1", "zzz"];
          assert.deepEqual(entries.sort(), [...expected].sort(), `delimiter ${delimiter}`);
        }
      });

      it("url-encodes keys, prefixes and delimiters with encoding-type=url, which the JS SDK leaves encoded", async () => {
        const odd = [
          "odd/a b",
          "odd/a+b",
          "odd/ü",
          "odd/tab\there",
          "odd/ctrl\u0001char",
          "odd/<&>",
        ];
        for (const Key of odd) {
          await s3.send(new PutObjectCommand({ Bucket: listBucket, Key, Body: "o" }));
        }
        const sorted = [...odd].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        const v2 = await s3.send(
          new ListObjectsV2Command({ Bucket: listBucket, Prefix: "odd/", EncodingType: "url" }),
        );
        assert.equal(v2.EncodingType, "url");
        // Unlike botocore, @aws-sdk/client-s3 does not decode: the page gets S3's encoding.
        assert.deepEqual(
          v2.Contents?.map((c) => c.Key),
          sorted.map((k) => encodeURIComponent(k).replaceAll("%2F", "/")),
        );
        assert.deepEqual(
          v2.Contents?.map((c) => decodeURIComponent(c.Key as string)),
          sorted,
        );
        const v1 = await s3.send(
          new ListObjectsCommand({
            Bucket: listBucket,
            Prefix: "odd/",
            EncodingType: "url",
            Delimiter: "\u0001",
          }),
        );
        assert.equal(v1.Delimiter, "%01");
        assert.deepEqual(
          v1.Contents?.map((c) => decodeURIComponent(c.Key as string)),
          sorted.filter((k) => !k.includes("\u0001")),
        );
        assert.deepEqual(
          v1.CommonPrefixes?.map((p) => p.Prefix),
          ["odd/ctrl%01"],
        );
      });
    });

    describe("CopyObject", () => {
      const source = "copy/source file.txt";
      const copySource = `${bucket}/${encodeURIComponent(source)}`;
      let sourceEtag: string;

      before(async () => {
        sourceEtag = (
          await s3.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: source,
              Body: "copy me",
              ContentType: "text/plain",
              CacheControl: "max-age=1",
              Metadata: { origin: "source" },
            }),
          )
        ).ETag as string;
      });

      it("copies bytes and metadata with the COPY directive (the default)", async () => {
        const result = await s3.send(
          new CopyObjectCommand({ Bucket: bucket, Key: "copy/copied", CopySource: copySource }),
        );
        assert.equal(result.CopyObjectResult?.ETag, sourceEtag);
        assert.ok(result.CopyObjectResult?.LastModified instanceof Date);
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "copy/copied" }));
        assert.equal(await got.Body?.transformToString(), "copy me");
        assert.equal(got.ContentType, "text/plain");
        assert.equal(got.CacheControl, "max-age=1");
        assert.deepEqual(got.Metadata, { origin: "source" });
      });

      it("replaces metadata with the REPLACE directive, and the copy outlives its source", async () => {
        await s3.send(
          new PutObjectCommand({ Bucket: bucket, Key: "copy/temp-source", Body: "temporary" }),
        );
        await s3.send(
          new CopyObjectCommand({
            Bucket: bucket,
            Key: "copy/replaced",
            CopySource: `${bucket}/copy/temp-source`,
            MetadataDirective: "REPLACE",
            ContentType: "application/json",
            Metadata: { origin: "replaced" },
          }),
        );
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "copy/temp-source" }));
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "copy/replaced" }));
        assert.equal(await got.Body?.transformToString(), "temporary");
        assert.equal(got.ContentType, "application/json");
        assert.equal(got.CacheControl, undefined);
        assert.deepEqual(got.Metadata, { origin: "replaced" });
      });

      it("copies across buckets", async () => {
        const other = await freshBucket("copy-target");
        await s3.send(new CopyObjectCommand({ Bucket: other, Key: "x", CopySource: copySource }));
        const got = await s3.send(new GetObjectCommand({ Bucket: other, Key: "x" }));
        assert.equal(await got.Body?.transformToString(), "copy me");
      });

      it("refuses to copy an object onto itself without REPLACE with 400 InvalidRequest, and allows it with REPLACE", async () => {
        const error = await rejectsWith(
          s3.send(new CopyObjectCommand({ Bucket: bucket, Key: source, CopySource: copySource })),
          "InvalidRequest",
          400,
        );
        assert.match(
          error.message,
          /copy an object to itself without changing the object's metadata/,
        );
        await s3.send(
          new CopyObjectCommand({
            Bucket: bucket,
            Key: "copy/self",
            CopySource: copySource,
          }),
        );
        await s3.send(
          new CopyObjectCommand({
            Bucket: bucket,
            Key: "copy/self",
            CopySource: `${bucket}/copy/self`,
            MetadataDirective: "REPLACE",
            Metadata: { touched: "yes" },
          }),
        );
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "copy/self" }));
        assert.deepEqual(head.Metadata, { touched: "yes" });
        assert.equal(head.ETag, sourceEtag);
      });

      it("answers a missing copy source with 404 NoSuchKey", async () => {
        await rejectsWith(
          s3.send(
            new CopyObjectCommand({
              Bucket: bucket,
              Key: "copy/x",
              CopySource: `${bucket}/copy/absent`,
            }),
          ),
          "NoSuchKey",
          404,
        );
      });

      it("checks the copy-source conditions, refusing with 412 PreconditionFailed naming the condition", async () => {
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: source }));
        const modified = head.LastModified as Date;
        const earlier = new Date(modified.getTime() - 60_000);
        const later = new Date(modified.getTime() + 60_000);
        const failing: [string, Partial<ConstructorParameters<typeof CopyObjectCommand>[0]>][] = [
          ["x-amz-copy-source-If-Match", { CopySourceIfMatch: '"different"' }],
          ["x-amz-copy-source-If-None-Match", { CopySourceIfNoneMatch: sourceEtag }],
          ["x-amz-copy-source-If-Modified-Since", { CopySourceIfModifiedSince: later }],
          ["x-amz-copy-source-If-Unmodified-Since", { CopySourceIfUnmodifiedSince: earlier }],
        ];
        for (const [condition, input] of failing) {
          const error = await rejectsWith(
            s3.send(
              new CopyObjectCommand({
                Bucket: bucket,
                Key: "copy/conditional",
                CopySource: copySource,
                ...input,
              }),
            ),
            "PreconditionFailed",
            412,
          );
          assert.equal((error as unknown as { Condition: string }).Condition, condition);
        }
        await rejectsWithStatus(
          s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "copy/conditional" })),
          404,
        );
        for (const input of [
          { CopySourceIfMatch: sourceEtag },
          { CopySourceIfNoneMatch: '"different"' },
          { CopySourceIfModifiedSince: earlier },
          { CopySourceIfUnmodifiedSince: later },
        ]) {
          const ok = await s3.send(
            new CopyObjectCommand({
              Bucket: bucket,
              Key: "copy/conditional",
              CopySource: copySource,
              ...input,
            }),
          );
          assert.equal(ok.CopyObjectResult?.ETag, sourceEtag);
        }
      });
    });

    describe("conditional and checked writes", () => {
      it("creates with If-None-Match: * once, then refuses with 412 PreconditionFailed", async () => {
        const key = "cond/create-once";
        await s3.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: "first", IfNoneMatch: "*" }),
        );
        const error = await rejectsWith(
          s3.send(
            new PutObjectCommand({ Bucket: bucket, Key: key, Body: "second", IfNoneMatch: "*" }),
          ),
          "PreconditionFailed",
          412,
        );
        assert.equal((error as unknown as { Condition: string }).Condition, "If-None-Match");
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        assert.equal(await got.Body?.transformToString(), "first");
      });

      it("replaces with If-Match only the version it names; 412 on another ETag, 404 NoSuchKey when absent", async () => {
        const key = "cond/replace";
        const first = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "v1" }));
        await rejectsWith(
          s3.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: key,
              Body: "v2",
              IfMatch: `"${md5Hex("other")}"`,
            }),
          ),
          "PreconditionFailed",
          412,
        );
        const second = await s3.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: "v2", IfMatch: first.ETag }),
        );
        assert.equal(second.ETag, `"${md5Hex("v2")}"`);
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        assert.equal(await got.Body?.transformToString(), "v2");
        await rejectsWith(
          s3.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: "cond/absent",
              Body: "x",
              IfMatch: first.ETag,
            }),
          ),
          "NoSuchKey",
          404,
        );
        await rejectsWithStatus(
          s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "cond/absent" })),
          404,
        );
      });

      it("accepts a correct ChecksumSHA256 and returns it; refuses a wrong one with 400 BadDigest, storing nothing", async () => {
        const body = "checksummed body";
        const put = await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: "sum/sha256",
            Body: body,
            ChecksumSHA256: sha256B64(body),
          }),
        );
        assert.equal(put.ChecksumSHA256, sha256B64(body));
        const head = await s3.send(
          new HeadObjectCommand({ Bucket: bucket, Key: "sum/sha256", ChecksumMode: "ENABLED" }),
        );
        assert.equal(head.ChecksumSHA256, sha256B64(body));
        const error = await rejectsWith(
          s3.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: "sum/sha256-bad",
              Body: body,
              ChecksumSHA256: sha256B64("other"),
            }),
          ),
          "BadDigest",
          400,
        );
        assert.equal(
          error.message,
          "The SHA256 you specified did not match the calculated checksum.",
        );
        await rejectsWithStatus(
          s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "sum/sha256-bad" })),
          404,
        );
      });

      it("accepts a correct ChecksumCRC32 and refuses a wrong one with 400 BadDigest", async () => {
        const body = bytesOf(2048);
        const put = await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: "sum/crc32",
            Body: body,
            ChecksumCRC32: crc32B64(body),
          }),
        );
        assert.equal(put.ChecksumCRC32, crc32B64(body));
        const error = await rejectsWith(
          s3.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: "sum/crc32-bad",
              Body: body,
              ChecksumCRC32: "AAAAAA==",
            }),
          ),
          "BadDigest",
          400,
        );
        assert.equal(
          error.message,
          "The CRC32 you specified did not match the calculated checksum.",
        );
        await rejectsWithStatus(
          s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "sum/crc32-bad" })),
          404,
        );
      });

      it("checks Content-MD5: accepts the right one, 400 BadDigest for a wrong one, 400 InvalidDigest for a malformed one", async () => {
        const body = "md5 checked";
        await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: "sum/md5",
            Body: body,
            ContentMD5: md5B64(body),
          }),
        );
        const bad = await rejectsWith(
          s3.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: "sum/md5-bad",
              Body: body,
              ContentMD5: md5B64("other"),
            }),
          ),
          "BadDigest",
          400,
        );
        assert.equal(bad.message, "The Content-MD5 you specified did not match what we received.");
        const invalid = await rejectsWith(
          s3.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: "sum/md5-bad",
              Body: body,
              ContentMD5: "not-base64-md5",
            }),
          ),
          "InvalidDigest",
          400,
        );
        assert.equal(invalid.message, "The Content-MD5 you specified was invalid.");
        await rejectsWithStatus(
          s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "sum/md5-bad" })),
          404,
        );
      });
    });

    describe("bucket CORS", () => {
      it("answers GetBucketCors with 404 NoSuchCORSConfiguration when none is set", async () => {
        const fresh = await freshBucket("cors-none");
        const error = await rejectsWith(
          s3.send(new GetBucketCorsCommand({ Bucket: fresh })),
          "NoSuchCORSConfiguration",
          404,
        );
        assert.equal(error.message, "The CORS configuration does not exist");
      });

      it("stores a configuration, returns it as set, and deletes it (204, twice)", async () => {
        const fresh = await freshBucket("cors-set");
        const rules = [
          {
            ID: "uploads",
            AllowedOrigins: ["https://app.example.com"],
            AllowedMethods: ["PUT", "GET"],
            AllowedHeaders: ["Content-Type", "x-amz-*"],
            ExposeHeaders: ["ETag"],
            MaxAgeSeconds: 3600,
          },
          { AllowedOrigins: ["https://*.example.org"], AllowedMethods: ["HEAD"] },
        ];
        const put = await s3.send(
          new PutBucketCorsCommand({ Bucket: fresh, CORSConfiguration: { CORSRules: rules } }),
        );
        assert.equal(put.$metadata.httpStatusCode, 200);
        const got = await s3.send(new GetBucketCorsCommand({ Bucket: fresh }));
        assert.deepEqual(got.CORSRules, rules);
        const deleted = await s3.send(new DeleteBucketCorsCommand({ Bucket: fresh }));
        assert.equal(deleted.$metadata.httpStatusCode, 204);
        await rejectsWith(
          s3.send(new GetBucketCorsCommand({ Bucket: fresh })),
          "NoSuchCORSConfiguration",
          404,
        );
        const again = await s3.send(new DeleteBucketCorsCommand({ Bucket: fresh }));
        assert.equal(again.$metadata.httpStatusCode, 204);
      });

      it("refuses invalid rules as S3 does and keeps the previous configuration", async () => {
        const fresh = await freshBucket("cors-bad");
        const good = [{ AllowedOrigins: ["https://ok.example"], AllowedMethods: ["GET"] }];
        await s3.send(
          new PutBucketCorsCommand({ Bucket: fresh, CORSConfiguration: { CORSRules: good } }),
        );
        const patch = await rejectsWith(
          s3.send(
            new PutBucketCorsCommand({
              Bucket: fresh,
              CORSConfiguration: {
                CORSRules: [{ AllowedOrigins: ["https://a.example"], AllowedMethods: ["PATCH"] }],
              },
            }),
          ),
          "InvalidRequest",
          400,
        );
        assert.equal(
          patch.message,
          "Found unsupported HTTP method in CORS config. Unsupported method is PATCH",
        );
        await rejectsWith(
          s3.send(
            new PutBucketCorsCommand({ Bucket: fresh, CORSConfiguration: { CORSRules: [] } }),
          ),
          "MalformedXML",
          400,
        );
        await rejectsWith(
          s3.send(
            new PutBucketCorsCommand({
              Bucket: fresh,
              CORSConfiguration: {
                CORSRules: [{ AllowedOrigins: ["https://a.example"], AllowedMethods: [] }],
              },
            }),
          ),
          "MalformedXML",
          400,
        );
        const kept = await s3.send(new GetBucketCorsCommand({ Bucket: fresh }));
        assert.deepEqual(kept.CORSRules, good);
      });
    });

    describe("operations the store does not implement", () => {
      it("answers them with 501 NotImplemented naming the operation", async () => {
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "tagged", Body: "t" }));
        const tagging = await rejectsWith(
          s3.send(
            new PutObjectTaggingCommand({
              Bucket: bucket,
              Key: "tagged",
              Tagging: { TagSet: [{ Key: "a", Value: "b" }] },
            }),
          ),
          "NotImplemented",
          501,
        );
        assert.match(tagging.message, /\bPutObjectTagging\b/);
        const versioning = await rejectsWith(
          s3.send(new GetBucketVersioningCommand({ Bucket: bucket })),
          "NotImplemented",
          501,
        );
        assert.match(versioning.message, /\bGetBucketVersioning\b/);
      });
    });
  });
}
