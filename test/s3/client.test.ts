/**
 * The S3 client against the embedded store over loopback: bytes are read as stored,
 * errors carry S3's code and message, buckets and CORS are set the way an operator would.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { createS3Api, isUploadGone, type S3Api, S3RequestError } from "@sluice/s3/client";
import { createStore, type Store } from "@sluice/store";

const credentials = { accessKeyId: "SLUICES3TEST", secretAccessKey: "s3-client-test-secret" };

describe("the S3 client against the embedded store", () => {
  let store: Store;
  let url: string;
  let s3: S3Api;

  before(async () => {
    store = createStore({ dataDir: mkdtempSync(join(tmpdir(), "sluice-s3-client-")), credentials });
    url = await store.listen(0);
    s3 = createS3Api({ endpoint: url, bucket: "client", credentials }, () => new Date());
    await s3.createBucket();
  });
  after(() => store.close(1_000));

  it("creates a bucket that is already its own without complaint", async () => {
    await s3.createBucket();
    await s3.headBucket();
    assert.ok((await s3.listBuckets()).includes("client"));
  });

  it("reads the stored bytes of an object stored with Content-Encoding: gzip, not their decoding", async () => {
    const text = "verified as stored, never decoded on the way ".repeat(20);
    const gzipped = gzipSync(text);
    // Stored through a presigned PUT, as a browser stores it: the bytes as they are.
    const put = s3.presignPut(
      "page.html.gz",
      { "content-type": "text/html", "content-encoding": "gzip", "content-length": gzipped.length },
      60,
    );
    const { "content-length": _length, ...headers } = put.headers;
    const stored = await fetch(put.url, { method: "PUT", headers, body: gzipped });
    assert.equal(stored.status, 200, await stored.text());

    const head = await s3.headObject("page.html.gz");
    assert.equal(head?.size, gzipped.length);
    const first = await s3.getObjectRange("page.html.gz", 0, 9);
    assert.deepEqual([...first], [...gzipped.subarray(0, 10)]);
    assert.deepEqual([...first.subarray(0, 2)], [0x1f, 0x8b]);
    const all = await s3.getObjectRange("page.html.gz", 0, gzipped.length + 100);
    assert.equal(Buffer.from(all).compare(gzipped), 0);
  });

  it("reads at most the bytes asked for", async () => {
    await s3.putObject("ten.txt", "0123456789", { "content-type": "text/plain" });
    assert.equal(Buffer.from(await s3.getObjectRange("ten.txt", 2, 4)).toString(), "234");
  });

  it("refusals carry S3's code and message, and typed checks read them", async () => {
    await assert.rejects(s3.listParts("none.bin", "no-such-upload-id"), (error: unknown) => {
      assert.ok(error instanceof S3RequestError);
      assert.equal(error.status, 404);
      assert.equal(error.code, "NoSuchUpload");
      assert.ok(error.hasCode("NoSuchUpload"));
      assert.ok(!error.hasCode("NoSuchKey"));
      assert.ok(isUploadGone(error));
      assert.ok(error.s3Message.length > 0);
      assert.equal(error.operation, "ListParts");
      assert.ok(error.message.startsWith("ListParts: 404 NoSuchUpload: "));
      return true;
    });
    assert.equal(await s3.headObject("missing.txt"), undefined);
    assert.equal(await s3.getBucketCors(), undefined);
  });

  it("sets, reads and removes the bucket's CORS rules", async () => {
    const xml = `<CORSConfiguration><CORSRule><AllowedOrigin>https://app.example.com</AllowedOrigin><AllowedMethod>PUT</AllowedMethod></CORSRule></CORSConfiguration>`;
    await s3.putBucketCors(xml);
    assert.match((await s3.getBucketCors()) ?? "", /<AllowedOrigin>https:\/\/app\.example\.com</);
    await s3.deleteBucketCors();
    assert.equal(await s3.getBucketCors(), undefined);
  });

  it("a network failure is an S3RequestError with status 0", async () => {
    const nowhere = createS3Api(
      { endpoint: "http://127.0.0.1:9", bucket: "x", credentials, timeoutMs: 5_000 },
      () => new Date(),
    );
    await assert.rejects(nowhere.headBucket(), (error: unknown) => {
      assert.ok(error instanceof S3RequestError);
      assert.equal(error.status, 0);
      assert.equal(error.code, "NetworkError");
      return true;
    });
  });
});
