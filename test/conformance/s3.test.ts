/**
 * The S3 behaviour Sluice relies on, as one suite run against every store: the embedded
 * store in both flavors always, and a Ceph RGW (a second, independent implementation)
 * under `npm run test:rgw`. The clients are the AWS SDK and plain `fetch` with our own
 * presigner and signer; where stores legitimately differ, `EXPECTED` in `targets.ts`
 * says what each answers and why.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteBucketCorsCommand,
  DeleteObjectCommand,
  GetBucketCorsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  ListPartsCommand,
  PutBucketCorsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { type HeaderInput, objectUrl, presign, sign } from "@sluice/sigv4";
import { uniqueBucket } from "../rgw-env.js";
import { type Refusal, type StoreTarget, startTarget, targetIds } from "./targets.js";

const MiB = 1024 * 1024;
const ORIGIN = "https://app.example.com";
const OTHER_ORIGIN = "https://evil.example.net";

const md5 = (bytes: Uint8Array | string) => createHash("md5").update(bytes).digest("hex");
const sha256Base64 = (bytes: Uint8Array | string) =>
  createHash("sha256").update(bytes).digest("base64");

/** `size` bytes of a pattern seeded by `seed`, so parts differ and a misplaced one shows. */
function bytesOf(size: number, seed: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed * 7 + (i >> 10)) & 0xff;
  return bytes;
}

/** What an SDK call was refused with. */
async function refusalOf(call: Promise<unknown>): Promise<Refusal> {
  try {
    await call;
  } catch (error) {
    const e = error as { name: string; $metadata?: { httpStatusCode?: number } };
    return { status: e.$metadata?.httpStatusCode ?? 0, code: e.name };
  }
  assert.fail("the store accepted it");
}

async function codeOf(response: Response): Promise<string> {
  const text = await response.text();
  return /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? `(no code: ${response.status} ${text})`;
}

async function refusalOfResponse(response: Response): Promise<Refusal> {
  return { status: response.status, code: await codeOf(response) };
}

for (const id of targetIds()) {
  describe(`S3 conformance: ${id}`, () => {
    let target: StoreTarget;
    let s3: S3Client;
    let bucket: string;

    before(async () => {
      target = await startTarget(id);
      s3 = target.client();
      bucket = uniqueBucket("conformance");
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    });
    after(async () => {
      await target?.close();
    });

    const url = (key: string, query = "") =>
      objectUrl(target.endpoint, bucket, key) + (query ? `?${query}` : "");

    /** A header-signed request, as an operator's tool sends it. */
    function signed(
      method: string,
      requestUrl: string,
      headers: HeaderInput = {},
      body?: string | Uint8Array,
    ): Promise<Response> {
      const request = sign({
        method,
        url: requestUrl,
        credentials: target.credentials,
        region: target.region,
        headers,
        ...(body !== undefined ? { body } : {}),
      });
      const { host: _host, ...sent } = request.headers;
      return fetch(request.url, {
        method,
        headers: sent,
        ...(body !== undefined ? { body } : {}),
      });
    }

    async function put(key: string, body: string | Uint8Array, extra = {}) {
      return s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...extra }));
    }

    describe("buckets", () => {
      it("creates, heads, lists and deletes a bucket, and refuses to delete one that holds an object", async () => {
        const name = uniqueBucket("lifecycle");
        const created = await s3.send(new CreateBucketCommand({ Bucket: name }));
        assert.equal(created.$metadata.httpStatusCode, 200);
        const head = await s3.send(new HeadBucketCommand({ Bucket: name }));
        assert.equal(head.$metadata.httpStatusCode, 200);
        const listed = await s3.send(new ListBucketsCommand({}));
        assert.ok(listed.Buckets?.some((b) => b.Name === name));

        await s3.send(new PutObjectCommand({ Bucket: name, Key: "k", Body: "x" }));
        assert.deepEqual(await refusalOf(s3.send(new DeleteBucketCommand({ Bucket: name }))), {
          status: 409,
          code: "BucketNotEmpty",
        });
        await s3.send(new DeleteObjectCommand({ Bucket: name, Key: "k" }));
        const deleted = await s3.send(new DeleteBucketCommand({ Bucket: name }));
        assert.equal(deleted.$metadata.httpStatusCode, 204);
        assert.deepEqual(await refusalOf(s3.send(new HeadBucketCommand({ Bucket: name }))), {
          status: 404,
          code: "NotFound",
        });
        assert.deepEqual(
          await refusalOf(s3.send(new GetObjectCommand({ Bucket: name, Key: "k" }))),
          { status: 404, code: "NoSuchBucket" },
        );
      });

      it("answers CreateBucket of a bucket the caller already owns as the store does", async () => {
        const again = s3.send(new CreateBucketCommand({ Bucket: bucket }));
        const expected = target.expected.createOwnedBucket;
        if (expected === "ok") assert.equal((await again).$metadata.httpStatusCode, 200);
        else assert.deepEqual(await refusalOf(again), expected);
      });
    });

    describe("objects", () => {
      it("keeps Content-Type, Cache-Control, Content-Disposition, Content-Language and x-amz-meta-*, and serves them on GET and HEAD", async () => {
        const body = "hello, conformance\n";
        const stored = await put("headers/a.txt", body, {
          ContentType: "text/plain; charset=utf-8",
          CacheControl: "max-age=60",
          ContentDisposition: 'attachment; filename="a.txt"',
          ContentLanguage: "en",
          Metadata: { owner: "alice", "Upload-Id": "u-1" },
        });
        assert.equal(stored.ETag, `"${md5(body)}"`);
        for (const command of [
          new GetObjectCommand({ Bucket: bucket, Key: "headers/a.txt" }),
          new HeadObjectCommand({ Bucket: bucket, Key: "headers/a.txt" }),
        ]) {
          const got = await s3.send(command as GetObjectCommand);
          assert.equal(got.ContentType, "text/plain; charset=utf-8");
          assert.equal(got.CacheControl, "max-age=60");
          assert.equal(got.ContentDisposition, 'attachment; filename="a.txt"');
          assert.equal(got.ContentLanguage, "en");
          assert.deepEqual(got.Metadata, { owner: "alice", "upload-id": "u-1" });
          assert.equal(got.ContentLength, body.length);
          assert.equal(got.ETag, `"${md5(body)}"`);
          assert.ok(got.LastModified instanceof Date);
          if (command instanceof GetObjectCommand) {
            assert.equal(await got.Body?.transformToString(), body);
          }
        }
      });

      it("answers 404 NoSuchKey for a missing key, 404 without a body to HEAD, and 204 to DELETE, twice", async () => {
        assert.deepEqual(
          await refusalOf(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "missing" }))),
          { status: 404, code: "NoSuchKey" },
        );
        const head = await signed("HEAD", url("missing"));
        assert.equal(head.status, 404);
        assert.equal(await head.text(), "");
        await put("delete/me", "x");
        for (let i = 0; i < 2; i++) {
          const deleted = await s3.send(
            new DeleteObjectCommand({ Bucket: bucket, Key: "delete/me" }),
          );
          assert.equal(deleted.$metadata.httpStatusCode, 204);
        }
        assert.equal((await signed("HEAD", url("delete/me"))).status, 404);
      });

      it("serves byte ranges with 206 and Content-Range, and refuses an unsatisfiable one with 416 InvalidRange", async () => {
        await put("range/ten", "0123456789");
        for (const [range, text, contentRange] of [
          ["bytes=2-5", "2345", "bytes 2-5/10"],
          ["bytes=7-", "789", "bytes 7-9/10"],
          ["bytes=-3", "789", "bytes 7-9/10"],
          ["bytes=8-100", "89", "bytes 8-9/10"],
        ] as const) {
          const got = await s3.send(
            new GetObjectCommand({ Bucket: bucket, Key: "range/ten", Range: range }),
          );
          assert.equal(got.$metadata.httpStatusCode, 206, range);
          assert.equal(got.ContentRange, contentRange, range);
          assert.equal(got.ContentLength, text.length, range);
          assert.equal(await got.Body?.transformToString(), text, range);
        }
        const unsatisfiable = await signed("GET", url("range/ten"), { range: "bytes=10-20" });
        assert.deepEqual(await refusalOfResponse(unsatisfiable), {
          status: 416,
          code: "InvalidRange",
        });
      });

      it("answers conditional GETs: 304 for a matching If-None-Match or a later If-Modified-Since, 412 for another If-Match or an earlier If-Unmodified-Since", async () => {
        const { ETag } = await put("conditional/a", "conditional");
        const etag = ETag ?? "";
        const later = new Date(Date.now() + 3_600_000).toUTCString();
        const earlier = new Date(Date.now() - 3_600_000).toUTCString();
        for (const [headers, status] of [
          [{ "if-none-match": etag }, 304],
          [{ "if-none-match": '"0123456789abcdef0123456789abcdef"' }, 200],
          [{ "if-match": etag }, 200],
          [{ "if-match": '"0123456789abcdef0123456789abcdef"' }, 412],
          [{ "if-modified-since": later }, 304],
          [{ "if-modified-since": earlier }, 200],
          [{ "if-unmodified-since": earlier }, 412],
          [{ "if-unmodified-since": later }, 200],
        ] as const) {
          const response = await signed("GET", url("conditional/a"), headers);
          const text = await response.text();
          assert.equal(response.status, status, JSON.stringify(headers));
          if (status === 200) assert.equal(text, "conditional");
          if (status === 304) assert.equal(text, "");
          if (status === 412) assert.match(text, /<Code>PreconditionFailed<\/Code>/);
        }
      });

      it("refuses to replace an object under If-None-Match: * with 412 PreconditionFailed", async () => {
        const first = await signed("PUT", url("once/a"), { "if-none-match": "*" }, "first");
        assert.equal(first.status, 200, await first.text());
        const second = await signed("PUT", url("once/a"), { "if-none-match": "*" }, "second");
        assert.deepEqual(await refusalOfResponse(second), {
          status: 412,
          code: "PreconditionFailed",
        });
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "once/a" }));
        assert.equal(await got.Body?.transformToString(), "first");
      });

      it("refuses a body whose Content-MD5 is of other bytes with 400 BadDigest, storing nothing", async () => {
        const refused = await signed(
          "PUT",
          url("digest/md5"),
          { "content-md5": createHash("md5").update("other").digest("base64") },
          "these bytes",
        );
        assert.deepEqual(await refusalOfResponse(refused), { status: 400, code: "BadDigest" });
        assert.equal((await signed("HEAD", url("digest/md5"))).status, 404);
      });

      it("checks x-amz-checksum-sha256 as the store does", async () => {
        const wrong = await signed(
          "PUT",
          url("digest/sha256-wrong"),
          { "x-amz-checksum-sha256": sha256Base64("other") },
          "these bytes",
        );
        const expected = target.expected.wrongChecksum;
        if (expected === "stored") assert.equal(wrong.status, 200, await wrong.text());
        else assert.deepEqual(await refusalOfResponse(wrong), expected);

        const body = "checksummed";
        const right = await signed(
          "PUT",
          url("digest/sha256-right"),
          { "x-amz-checksum-sha256": sha256Base64(body) },
          body,
        );
        assert.equal(right.status, 200, await right.text());
        const head = await signed("HEAD", url("digest/sha256-right"), {
          "x-amz-checksum-mode": "ENABLED",
        });
        assert.equal(head.status, 200);
        assert.equal(
          head.headers.get("x-amz-checksum-sha256"),
          target.expected.reportsChecksum ? sha256Base64(body) : null,
        );
      });

      it("round-trips keys with spaces, +, %, unicode and dots through the SDK, listings and presigned URLs", async () => {
        const keys = ["odd/a b+c.txt", "odd/100%.txt", "odd/zürich ☃.txt", "odd/x/../y.txt"];
        for (const key of keys) await put(key, `body of ${key}`);
        const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "odd/" }));
        assert.deepEqual(
          listed.Contents?.map((o) => o.Key),
          [...keys].sort(),
        );
        for (const key of keys) {
          const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          assert.equal(await got.Body?.transformToString(), `body of ${key}`);
          // fetch, like browsers, removes dot segments from a URL's path before sending it.
          if (key.includes("/../")) continue;
          const { url: presigned } = presign({
            method: "GET",
            url: url(key),
            credentials: target.credentials,
            region: target.region,
            expiresIn: 60,
          });
          const response = await fetch(presigned);
          assert.equal(response.status, 200, key);
          assert.equal(await response.text(), `body of ${key}`);
        }
      });
    });

    describe("listing", () => {
      const keys = [
        "list/a.txt",
        "list/b/1.txt",
        "list/b/2.txt",
        "list/c/d/3.txt",
        "list/e.txt",
        "listing-elsewhere.txt",
      ];
      before(async () => {
        for (const key of keys) await put(key, key);
      });

      it("lists with a prefix and a delimiter: the keys at that level and the common prefixes below", async () => {
        const listed = await s3.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: "list/", Delimiter: "/" }),
        );
        assert.deepEqual(
          listed.Contents?.map((o) => o.Key),
          ["list/a.txt", "list/e.txt"],
        );
        assert.deepEqual(
          listed.CommonPrefixes?.map((p) => p.Prefix),
          ["list/b/", "list/c/"],
        );
        assert.equal(listed.KeyCount, 4);
        assert.equal(listed.IsTruncated, false);
        const object = listed.Contents?.[0];
        assert.equal(object?.Size, "list/a.txt".length);
        assert.equal(object?.ETag, `"${md5("list/a.txt")}"`);
      });

      it("pages with MaxKeys and continuation tokens, each key once and in order; StartAfter skips", async () => {
        const pages: ListObjectsV2CommandOutput[] = [];
        let token: string | undefined;
        do {
          const page = await s3.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: "list",
              MaxKeys: 2,
              ...(token ? { ContinuationToken: token } : {}),
            }),
          );
          pages.push(page);
          token = page.NextContinuationToken;
          assert.equal(page.IsTruncated, token !== undefined);
        } while (token && pages.length < 10);
        assert.deepEqual(
          pages.map((p) => p.Contents?.length),
          [2, 2, 2],
        );
        assert.deepEqual(
          pages.flatMap((p) => p.Contents?.map((o) => o.Key)),
          [...keys].sort(),
        );
        // An empty continuation-token is no token: the first page, as S3 answers it.
        const empty = await signed(
          "GET",
          `${target.endpoint}/${bucket}?list-type=2&prefix=list&max-keys=2&continuation-token=`,
        );
        assert.equal(empty.status, 200);
        assert.deepEqual(
          [...(await empty.text()).matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]),
          pages[0]?.Contents?.map((o) => o.Key),
        );
        const after = await s3.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: "list/", StartAfter: "list/b/2.txt" }),
        );
        assert.deepEqual(
          after.Contents?.map((o) => o.Key),
          ["list/c/d/3.txt", "list/e.txt"],
        );
      });
    });

    describe("CopyObject", () => {
      it("copies bytes and metadata (COPY), or replaces the metadata (REPLACE)", async () => {
        await put("copy/source.txt", "copied bytes", {
          ContentType: "text/plain",
          Metadata: { owner: "alice" },
        });
        const copied = await s3.send(
          new CopyObjectCommand({
            Bucket: bucket,
            Key: "copy/same.txt",
            CopySource: `${bucket}/copy/source.txt`,
          }),
        );
        const quoted = target.expected.copyResultEtag === "quoted";
        assert.equal(
          copied.CopyObjectResult?.ETag,
          quoted ? `"${md5("copied bytes")}"` : md5("copied bytes"),
        );
        const same = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "copy/same.txt" }));
        assert.equal(await same.Body?.transformToString(), "copied bytes");
        assert.equal(same.ContentType, "text/plain");
        assert.deepEqual(same.Metadata, { owner: "alice" });

        await s3.send(
          new CopyObjectCommand({
            Bucket: bucket,
            Key: "copy/replaced.txt",
            CopySource: `${bucket}/copy/source.txt`,
            MetadataDirective: "REPLACE",
            ContentType: "application/octet-stream",
            Metadata: { owner: "bob" },
          }),
        );
        const replaced = await s3.send(
          new HeadObjectCommand({ Bucket: bucket, Key: "copy/replaced.txt" }),
        );
        assert.equal(replaced.ContentType, "application/octet-stream");
        assert.deepEqual(replaced.Metadata, { owner: "bob" });
        assert.equal(replaced.ContentLength, "copied bytes".length);
      });

      it("refuses to copy a missing source with 404 NoSuchKey", async () => {
        assert.deepEqual(
          await refusalOf(
            s3.send(
              new CopyObjectCommand({
                Bucket: bucket,
                Key: "copy/nothing.txt",
                CopySource: `${bucket}/copy/no-such-source.txt`,
              }),
            ),
          ),
          { status: 404, code: "NoSuchKey" },
        );
      });
    });

    describe("multipart uploads", () => {
      async function create(key: string, extra = {}): Promise<string> {
        const created = await s3.send(
          new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...extra }),
        );
        assert.ok(created.UploadId);
        return created.UploadId;
      }

      async function uploadPart(key: string, uploadId: string, partNumber: number, body: Buffer) {
        const part = await s3.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: partNumber,
            Body: body,
          }),
        );
        assert.equal(part.ETag, `"${md5(body)}"`);
        return { PartNumber: partNumber, ETag: part.ETag };
      }

      it("creates, uploads three parts, lists them and completes one object with the ETag md5(part md5s)-3", async () => {
        const key = "multipart/whole.bin";
        const bodies = [bytesOf(5 * MiB, 1), bytesOf(5 * MiB, 2), bytesOf(1024, 3)];
        const uploadId = await create(key, {
          ContentType: "video/mp4",
          Metadata: { owner: "alice" },
        });
        const parts = [];
        for (const [i, body] of bodies.entries()) {
          parts.push(await uploadPart(key, uploadId, i + 1, body));
        }
        const listed = await s3.send(
          new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId }),
        );
        assert.deepEqual(
          listed.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag]),
          bodies.map((body, i) => [i + 1, body.length, `"${md5(body)}"`]),
        );
        const completed = await s3.send(
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts },
          }),
        );
        const partMd5s = Buffer.concat(bodies.map((b) => createHash("md5").update(b).digest()));
        const etag = `"${md5(partMd5s)}-3"`;
        assert.equal(completed.ETag, target.expected.completeResultEtag === "quoted" ? etag : "");
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        assert.equal(got.ETag, etag);
        assert.equal(got.ContentType, "video/mp4");
        assert.deepEqual(got.Metadata, { owner: "alice" });
        assert.equal(got.ContentLength, 10 * MiB + 1024);
        const stored = Buffer.from((await got.Body?.transformToByteArray()) ?? []);
        assert.ok(stored.equals(Buffer.concat(bodies)), "the parts' bytes, in order");

        // The upload is gone from ListParts, and completing it again with the same parts is
        // answered as the first time was.
        assert.deepEqual(
          await refusalOf(
            s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId })),
          ),
          target.expected.listPartsAfterEnd,
        );
        const again = s3.send(
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts },
          }),
        );
        assert.equal((await again).$metadata.httpStatusCode, 200, "completing again is no error");
      });

      it("lists an open upload, and aborting it removes it: its parts and ListParts then answer 404 NoSuchUpload", async () => {
        const key = "multipart/aborted.bin";
        const uploadId = await create(key);
        await uploadPart(key, uploadId, 1, bytesOf(1024, 4));
        const open = await s3.send(
          new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: "multipart/aborted" }),
        );
        assert.deepEqual(
          open.Uploads?.map((u) => [u.Key, u.UploadId]),
          [[key, uploadId]],
        );
        const aborted = await s3.send(
          new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }),
        );
        assert.equal(aborted.$metadata.httpStatusCode, 204);
        const none = await s3.send(
          new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: "multipart/aborted" }),
        );
        assert.equal(none.Uploads?.length ?? 0, 0);
        assert.deepEqual(
          await refusalOf(
            s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId })),
          ),
          target.expected.listPartsAfterEnd,
        );
        assert.deepEqual(
          await refusalOf(
            s3.send(
              new UploadPartCommand({
                Bucket: bucket,
                Key: key,
                UploadId: uploadId,
                PartNumber: 2,
                Body: "late",
              }),
            ),
          ),
          { status: 404, code: "NoSuchUpload" },
        );
        assert.equal((await signed("HEAD", url(key))).status, 404);
      });

      it("refuses completion with a part under 5 MiB before the last (EntityTooSmall), a wrong ETag (InvalidPart) or parts out of order", async () => {
        const key = "multipart/refused.bin";
        const uploadId = await create(key);
        const small = await uploadPart(key, uploadId, 1, bytesOf(1024, 5));
        const last = await uploadPart(key, uploadId, 2, bytesOf(1024, 6));
        const complete = (Parts: { PartNumber: number; ETag: string | undefined }[]) =>
          refusalOf(
            s3.send(
              new CompleteMultipartUploadCommand({
                Bucket: bucket,
                Key: key,
                UploadId: uploadId,
                MultipartUpload: { Parts },
              }),
            ),
          );
        assert.deepEqual(await complete([small, last]), { status: 400, code: "EntityTooSmall" });
        assert.deepEqual(await complete([{ PartNumber: 1, ETag: `"${md5("other")}"` }]), {
          status: 400,
          code: "InvalidPart",
        });
        // Parts big enough that only their order is wrong.
        const third = await uploadPart(key, uploadId, 3, bytesOf(5 * MiB, 12));
        const fourth = await uploadPart(key, uploadId, 4, bytesOf(5 * MiB, 13));
        const outOfOrder = target.expected.partsOutOfOrder;
        if (outOfOrder === "completed") {
          await s3.send(
            new CompleteMultipartUploadCommand({
              Bucket: bucket,
              Key: key,
              UploadId: uploadId,
              MultipartUpload: { Parts: [fourth, third] },
            }),
          );
          const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
          assert.equal(head.ContentLength, 10 * MiB);
          const got = await s3.send(
            new GetObjectCommand({ Bucket: bucket, Key: key, Range: "bytes=0-15" }),
          );
          // Part 3 comes first, whatever order the list named them in.
          assert.deepEqual(
            Buffer.from(
              await (
                got.Body as { transformToByteArray(): Promise<Uint8Array> }
              ).transformToByteArray(),
            ),
            bytesOf(5 * MiB, 12).subarray(0, 16),
          );
        } else {
          assert.deepEqual(await complete([fourth, third]), outOfOrder);
          await s3.send(
            new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }),
          );
        }
      });

      it("completes parts of unequal sizes as the store does", async () => {
        const key = "multipart/unequal.bin";
        const uploadId = await create(key);
        const parts = [
          await uploadPart(key, uploadId, 1, bytesOf(5 * MiB, 7)),
          await uploadPart(key, uploadId, 2, bytesOf(6 * MiB, 8)),
          await uploadPart(key, uploadId, 3, bytesOf(1024, 9)),
        ];
        const completing = s3.send(
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts },
          }),
        );
        const expected = target.expected.unequalParts;
        if (expected === "completed") {
          const etag = (await completing).ETag ?? "";
          if (target.expected.completeResultEtag === "quoted") assert.match(etag, /-3"$/);
          else assert.equal(etag, "");
          const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
          assert.equal(head.ContentLength, 11 * MiB + 1024);
        } else {
          assert.deepEqual(await refusalOf(completing), expected);
          await s3.send(
            new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }),
          );
        }
      });

      it("completes with If-None-Match: * over an existing object as the store does", async () => {
        // The upload API completes with If-None-Match: *, so a completion never replaces.
        const key = "multipart/exists.bin";
        await put(key, "already here");
        const uploadId = await create(key);
        const part = await uploadPart(key, uploadId, 1, bytesOf(1024, 10));
        const body = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${part.ETag}</ETag></Part></CompleteMultipartUpload>`;
        const response = await signed(
          "POST",
          url(key, `uploadId=${encodeURIComponent(uploadId)}`),
          { "content-type": "application/xml", "if-none-match": "*" },
          body,
        );
        const text = await response.text();
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const stored = await got.Body?.transformToString();
        const expected = target.expected.completeOverExisting;
        if (expected === "replaced") {
          assert.equal(response.status, 200, text);
          assert.match(text, /<CompleteMultipartUploadResult/);
          assert.equal(stored?.length, 1024);
        } else {
          assert.deepEqual(
            { status: response.status, code: /<Code>([^<]*)</.exec(text)?.[1] },
            expected,
          );
          assert.equal(stored, "already here");
          if (target.expected.uploadAfterFailedCondition === "aborted") {
            assert.deepEqual(
              await refusalOf(
                s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId })),
              ),
              { status: 404, code: "NoSuchUpload" },
            );
          } else {
            await s3.send(
              new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }),
            );
          }
        }
      });
    });

    describe("presigned URLs (our presigner, plain fetch)", () => {
      const body = Buffer.from("\x89PNG\r\n\x1a\n presigned bytes");

      function presignPut(key: string, headers: HeaderInput, expiresIn = 60, signingDate?: Date) {
        return presign({
          method: "PUT",
          url: url(key),
          headers,
          credentials: target.credentials,
          region: target.region,
          expiresIn,
          ...(signingDate ? { signingDate } : {}),
        });
      }

      it("a PUT binding Content-Type and Content-Length takes exactly those, and refuses another type or length with 403 SignatureDoesNotMatch", async () => {
        const key = "presigned/bound.png";
        const signedPut = presignPut(key, {
          "content-type": "image/png",
          "content-length": body.length,
        });
        assert.equal(
          new URL(signedPut.url).searchParams.get("X-Amz-SignedHeaders"),
          "content-length;content-type;host",
        );
        const { "content-length": _length, ...headers } = signedPut.headers;
        for (const [what, sentHeaders, sentBody] of [
          ["another type", { ...headers, "content-type": "image/jpeg" }, body],
          ["no type", {}, body],
          ["one byte more", headers, Buffer.concat([body, Buffer.from("!")])],
          ["one byte less", headers, body.subarray(1)],
        ] as const) {
          const refused = await fetch(signedPut.url, {
            method: "PUT",
            headers: sentHeaders,
            body: sentBody,
          });
          assert.deepEqual(
            await refusalOfResponse(refused),
            { status: 403, code: "SignatureDoesNotMatch" },
            what,
          );
        }
        assert.equal((await signed("HEAD", url(key))).status, 404, "nothing stored");
        const accepted = await fetch(signedPut.url, { method: "PUT", headers, body });
        assert.equal(accepted.status, 200, await accepted.text());
        assert.equal(accepted.headers.get("etag"), `"${md5(body)}"`);
        const head = await signed("HEAD", url(key));
        assert.equal(head.headers.get("content-type"), "image/png");
        assert.equal(head.headers.get("content-length"), String(body.length));
      });

      it("a GET serves the object until it expires, then is refused", async () => {
        const key = "presigned/get.png";
        await put(key, body, { ContentType: "image/png" });
        const fresh = presign({
          method: "GET",
          url: url(key),
          credentials: target.credentials,
          region: target.region,
          expiresIn: 60,
        });
        const served = await fetch(fresh.url);
        assert.equal(served.status, 200);
        assert.ok(Buffer.from(await served.arrayBuffer()).equals(body));
        // Signed 10 s ago for 5 s: expired 5 s ago, well within any clock skew allowance.
        const expired = presign({
          method: "GET",
          url: url(key),
          credentials: target.credentials,
          region: target.region,
          expiresIn: 5,
          signingDate: new Date(Date.now() - 10_000),
        });
        assert.deepEqual(
          await refusalOfResponse(await fetch(expired.url)),
          target.expected.expiredUrl,
        );
        const expiredPut = presignPut("presigned/late.png", {}, 5, new Date(Date.now() - 10_000));
        const late = await fetch(expiredPut.url, { method: "PUT", body });
        assert.deepEqual(await refusalOfResponse(late), target.expected.expiredUrl);
        assert.equal((await signed("HEAD", url("presigned/late.png"))).status, 404);
      });

      it("an UploadPart URL binding Content-Length takes that part, and refuses another length", async () => {
        const key = "presigned/parts.bin";
        const created = await s3.send(
          new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }),
        );
        const uploadId = created.UploadId ?? "";
        const part = bytesOf(5 * MiB, 11);
        const partUrl = presign({
          method: "PUT",
          url: url(key, `partNumber=1&uploadId=${encodeURIComponent(uploadId)}`),
          headers: { "content-length": part.length },
          credentials: target.credentials,
          region: target.region,
          expiresIn: 60,
        });
        const wrong = await fetch(partUrl.url, { method: "PUT", body: part.subarray(1) });
        assert.deepEqual(await refusalOfResponse(wrong), {
          status: 403,
          code: "SignatureDoesNotMatch",
        });
        const stored = await fetch(partUrl.url, { method: "PUT", body: part });
        assert.equal(stored.status, 200, await stored.text());
        assert.equal(stored.headers.get("etag"), `"${md5(part)}"`);
        const listed = await s3.send(
          new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId }),
        );
        assert.deepEqual(
          listed.Parts?.map((p) => [p.PartNumber, p.Size]),
          [[1, part.length]],
        );
        await s3.send(
          new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }),
        );
      });

      it("answers a URL signed for another region as the store does", async () => {
        await put("presigned/region.txt", "regional");
        const { url: presigned } = presign({
          method: "GET",
          url: url("presigned/region.txt"),
          credentials: target.credentials,
          region: "eu-west-9",
          expiresIn: 60,
        });
        const response = await fetch(presigned);
        const expected = target.expected.otherRegion;
        if (expected === "ok") {
          assert.equal(response.status, 200);
          assert.equal(await response.text(), "regional");
        } else {
          assert.deepEqual(await refusalOfResponse(response), expected);
        }
      });

      it("answers a request signed with an unknown access key as the store does", async () => {
        const { url: presigned } = presign({
          method: "GET",
          url: url("presigned/get.png"),
          credentials: { accessKeyId: "NOSUCHKEY0000000", secretAccessKey: "nope" },
          region: target.region,
          expiresIn: 60,
        });
        assert.deepEqual(
          await refusalOfResponse(await fetch(presigned)),
          target.expected.unknownAccessKey,
        );
      });

      it("answers the AWS SDK presigner's default PUT URL (which signs an empty body's CRC32) as the store does", async () => {
        const key = "presigned/sdk.png";
        const sdkUrl = await getSignedUrl(
          target.client({ defaults: true }),
          new PutObjectCommand({ Bucket: bucket, Key: key, ContentType: "image/png" }),
          { expiresIn: 60 },
        );
        assert.match(sdkUrl, /x-amz-checksum-crc32=AAAAAA%3D%3D/);
        const response = await fetch(sdkUrl, {
          method: "PUT",
          headers: { "content-type": "image/png" },
          body,
        });
        const expected = target.expected.sdkPresignedPut;
        if (expected === "stored") assert.equal(response.status, 200, await response.text());
        else assert.deepEqual(await refusalOfResponse(response), expected);
      });
    });

    describe("the AWS SDK's default checksums", () => {
      it("answers PutObject of a stream (aws-chunked, CRC32 trailer, no Content-Length) as the store does", async () => {
        const client = target.client({ defaults: true });
        const putting = client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: "sdk-defaults/stream.txt",
            Body: Readable.from([Buffer.from("streamed "), Buffer.from("bytes")]),
            ContentLength: "streamed bytes".length,
          }),
        );
        const expected = target.expected.sdkDefaultChecksums;
        if (expected === "stored") {
          assert.equal((await putting).$metadata.httpStatusCode, 200);
          const got = await s3.send(
            new GetObjectCommand({ Bucket: bucket, Key: "sdk-defaults/stream.txt" }),
          );
          assert.equal(await got.Body?.transformToString(), "streamed bytes");
        } else {
          assert.deepEqual(await refusalOf(putting), expected);
        }
      });

      it("stores a PutObject of a Buffer under the SDK's defaults", async () => {
        const client = target.client({ defaults: true });
        const put = await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: "sdk-defaults/buffer.txt",
            Body: "buffered",
          }),
        );
        assert.equal(put.$metadata.httpStatusCode, 200);
        const got = await s3.send(
          new GetObjectCommand({ Bucket: bucket, Key: "sdk-defaults/buffer.txt" }),
        );
        assert.equal(await got.Body?.transformToString(), "buffered");
      });
    });

    describe("errors", () => {
      it("answer with S3's XML: Code, and RequestId matching x-amz-request-id", async () => {
        const response = await signed("GET", url("errors/missing"));
        const text = await response.text();
        assert.equal(response.status, 404);
        assert.match(response.headers.get("content-type") ?? "", /xml/);
        assert.match(text, /<Error>[\s\S]*<Code>NoSuchKey<\/Code>/);
        const requestId = /<RequestId>([^<]*)<\/RequestId>/.exec(text)?.[1];
        assert.ok(requestId);
        assert.equal(response.headers.get("x-amz-request-id"), requestId);
        const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? "";
        assert.equal(message.length > 0, target.expected.errorMessages, text);
      });
    });

    describe("bucket CORS", () => {
      let corsBucket: string;
      const rules = [
        {
          ID: "uploads",
          AllowedOrigins: [ORIGIN],
          AllowedMethods: ["PUT", "GET", "HEAD"],
          AllowedHeaders: ["content-type", "if-none-match", "x-amz-meta-owner"],
          ExposeHeaders: ["ETag"],
          MaxAgeSeconds: 3600,
        },
      ];
      const corsUrl = (key: string) => objectUrl(target.endpoint, corsBucket, key);

      function preflight(key: string, origin: string, method: string, headers?: string) {
        return fetch(corsUrl(key), {
          method: "OPTIONS",
          headers: {
            origin,
            "access-control-request-method": method,
            ...(headers ? { "access-control-request-headers": headers } : {}),
          },
        });
      }

      before(async () => {
        corsBucket = uniqueBucket("cors");
        await s3.send(new CreateBucketCommand({ Bucket: corsBucket }));
      });

      it("refuses every preflight while the bucket has no rules, and GetBucketCors is 404 NoSuchCORSConfiguration", async () => {
        const refused = await preflight("a.png", ORIGIN, "PUT");
        assert.equal(refused.status, 403);
        assert.equal(refused.headers.get("access-control-allow-origin"), null);
        assert.deepEqual(
          await refusalOf(s3.send(new GetBucketCorsCommand({ Bucket: corsBucket }))),
          { status: 404, code: "NoSuchCORSConfiguration" },
        );
      });

      it("keeps the rules PutBucketCors sets, as GetBucketCors shows, until DeleteBucketCors", async () => {
        const scratch = uniqueBucket("cors-scratch");
        await s3.send(new CreateBucketCommand({ Bucket: scratch }));
        const put = await s3.send(
          new PutBucketCorsCommand({ Bucket: scratch, CORSConfiguration: { CORSRules: rules } }),
        );
        assert.equal(put.$metadata.httpStatusCode, 200);
        const got = await s3.send(new GetBucketCorsCommand({ Bucket: scratch }));
        // Methods in any order: RGW keeps them in its own.
        const sorted = (list: typeof rules | undefined) =>
          list?.map((rule) => ({
            ...rule,
            AllowedMethods: [...(rule.AllowedMethods ?? [])].sort(),
          }));
        assert.deepEqual(sorted(got.CORSRules as typeof rules), sorted(rules));
        const deleted = await s3.send(new DeleteBucketCorsCommand({ Bucket: scratch }));
        assert.equal(deleted.$metadata.httpStatusCode, 204);
        assert.deepEqual(await refusalOf(s3.send(new GetBucketCorsCommand({ Bucket: scratch }))), {
          status: 404,
          code: "NoSuchCORSConfiguration",
        });
      });

      it("allows a preflight from the rule's origin for its methods and headers, with its max age", async () => {
        await s3.send(
          new PutBucketCorsCommand({ Bucket: corsBucket, CORSConfiguration: { CORSRules: rules } }),
        );
        const allowed = await preflight("a.png", ORIGIN, "PUT", "content-type,if-none-match");
        assert.equal(allowed.status, 200, await allowed.text());
        assert.equal(allowed.headers.get("access-control-allow-origin"), ORIGIN);
        assert.match(allowed.headers.get("access-control-allow-methods") ?? "", /\bPUT\b/);
        const allowedHeaders = (allowed.headers.get("access-control-allow-headers") ?? "")
          .toLowerCase()
          .split(/\s*,\s*/);
        assert.ok(allowedHeaders.includes("content-type"), allowedHeaders.join());
        assert.ok(allowedHeaders.includes("if-none-match"), allowedHeaders.join());
        assert.equal(allowed.headers.get("access-control-max-age"), "3600");
      });

      it("refuses a preflight from another origin, for another method, or with another header, with 403", async () => {
        for (const [what, origin, method, headers] of [
          ["another origin", OTHER_ORIGIN, "PUT", "content-type"],
          ["the origin with a trailing slash", `${ORIGIN}/`, "PUT", undefined],
          ["another method", ORIGIN, "DELETE", undefined],
          ["another header", ORIGIN, "PUT", "content-type,x-amz-acl"],
        ] as const) {
          const refused = await preflight("a.png", origin, method, headers);
          assert.equal(refused.status, 403, what);
          assert.equal(refused.headers.get("access-control-allow-origin"), null, what);
        }
      });

      it("puts Access-Control-Allow-Origin and the exposed ETag on actual responses for the rule's origin only", async () => {
        const signedPut = presign({
          method: "PUT",
          url: corsUrl("actual.png"),
          headers: { "content-type": "image/png" },
          credentials: target.credentials,
          region: target.region,
          expiresIn: 60,
        });
        const stored = await fetch(signedPut.url, {
          method: "PUT",
          headers: { ...signedPut.headers, origin: ORIGIN },
          body: "png-ish",
        });
        assert.equal(stored.status, 200, await stored.text());
        assert.equal(stored.headers.get("access-control-allow-origin"), ORIGIN);
        assert.match(stored.headers.get("access-control-expose-headers") ?? "", /\betag\b/i);

        const signedGet = presign({
          method: "GET",
          url: corsUrl("actual.png"),
          credentials: target.credentials,
          region: target.region,
          expiresIn: 60,
        });
        const read = await fetch(signedGet.url, { headers: { origin: ORIGIN } });
        assert.equal(read.status, 200);
        assert.equal(await read.text(), "png-ish");
        assert.equal(read.headers.get("access-control-allow-origin"), ORIGIN);
        const foreign = await fetch(signedGet.url, { headers: { origin: OTHER_ORIGIN } });
        assert.equal(foreign.status, 200, "CORS is the browser's to enforce; the store serves");
        await foreign.text();
        assert.equal(foreign.headers.get("access-control-allow-origin"), null);
      });

      it("puts the CORS headers on a refused request from the rule's origin as the store does", async () => {
        const signedPut = presign({
          method: "PUT",
          url: corsUrl("refused.png"),
          headers: { "content-type": "image/png" },
          credentials: target.credentials,
          region: target.region,
          expiresIn: 60,
        });
        const refused = await fetch(signedPut.url, {
          method: "PUT",
          headers: { "content-type": "image/jpeg", origin: ORIGIN },
          body: "x",
        });
        assert.deepEqual(await refusalOfResponse(refused), {
          status: 403,
          code: "SignatureDoesNotMatch",
        });
        assert.equal(
          refused.headers.get("access-control-allow-origin"),
          target.expected.corsOnErrors ? ORIGIN : null,
        );
      });
    });
  });
}
