/**
 * Small objects keep their bytes in the metadata database, committed with their row (see
 * `storage/object-storage.ts`). Through the AWS SDK, nothing tells them apart from
 * objects kept in files: the same bytes, ranges, ETags, copies, conditions; and every
 * replaced or deleted body is freed in the same commit that stops naming it.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { SMALL_BODY_MAX_BYTES } from "@sluice/store";
import Database from "better-sqlite3";
import { sdkClient, smallBodyCount, startStore, type TestStore } from "./helpers.js";

const BUCKET = "small";

/** Every file under `dir`, at any depth. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

describe("small objects, kept in the database", () => {
  let store: TestStore;
  let s3: S3Client;
  /** Bytes held: blob files and small bodies, to compare before and after. */
  const held = () => ({
    blobs: filesUnder(join(store.dataDir, "blobs")).length,
    small: smallBodyCount(store.dataDir),
  });
  const put = (key: string, body: Uint8Array | string, extra: { IfNoneMatch?: string } = {}) =>
    s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ...extra }));
  const get = async (key: string, range?: string) => {
    const answer = await s3.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: key, ...(range ? { Range: range } : {}) }),
    );
    return {
      bytes: Buffer.from((await answer.Body?.transformToByteArray()) ?? []),
      etag: answer.ETag,
      range: answer.ContentRange,
    };
  };
  const md5 = (bytes: Uint8Array) => `"${createHash("md5").update(bytes).digest("hex")}"`;

  before(async () => {
    store = await startStore();
    s3 = sdkClient(store.url);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });
  after(() => store.close());

  it("keeps a body of up to SMALL_BODY_MAX_BYTES in the database and a larger one in a file", async () => {
    const start = held();
    const small = randomBytes(SMALL_BODY_MAX_BYTES);
    const large = randomBytes(SMALL_BODY_MAX_BYTES + 1);
    await put("edge/small.bin", small);
    assert.deepEqual(held(), { blobs: start.blobs, small: start.small + 1 });
    await put("edge/large.bin", large);
    assert.deepEqual(held(), { blobs: start.blobs + 1, small: start.small + 1 });

    for (const [key, bytes] of [
      ["edge/small.bin", small],
      ["edge/large.bin", large],
    ] as const) {
      const whole = await get(key);
      assert.ok(whole.bytes.equals(bytes), `${key}: the bytes differ`);
      assert.equal(whole.etag, md5(bytes));
      const middle = await get(key, "bytes=1000-40999");
      assert.ok(middle.bytes.equals(bytes.subarray(1000, 41000)), `${key}: the range differs`);
      assert.equal(middle.range, `bytes 1000-40999/${bytes.length}`);
      const tail = await get(key, "bytes=-7");
      assert.ok(tail.bytes.equals(bytes.subarray(bytes.length - 7)), `${key}: the suffix differs`);
    }
  });

  it("stores and serves an empty body", async () => {
    await put("empty.txt", "");
    const empty = await get("empty.txt");
    assert.equal(empty.bytes.length, 0);
    assert.equal(empty.etag, md5(Buffer.alloc(0)));
  });

  it("frees the replaced body on every overwrite, small to large and back, and on delete", async () => {
    const start = held();
    const versions = [
      randomBytes(100),
      randomBytes(SMALL_BODY_MAX_BYTES * 2),
      randomBytes(5000),
      randomBytes(7),
    ];
    for (const bytes of versions) {
      await put("overwritten.bin", bytes);
      assert.ok((await get("overwritten.bin")).bytes.equals(bytes));
      const large = bytes.length > SMALL_BODY_MAX_BYTES;
      assert.deepEqual(
        held(),
        { blobs: start.blobs + (large ? 1 : 0), small: start.small + (large ? 0 : 1) },
        `after the ${bytes.length}-byte version`,
      );
    }
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: "overwritten.bin" }));
    assert.deepEqual(held(), start);
  });

  it("copies a small object into a body of its own, which outlives the source", async () => {
    const bytes = randomBytes(3000);
    await put("copy/source.bin", bytes);
    const start = held();
    await s3.send(
      new CopyObjectCommand({
        Bucket: BUCKET,
        Key: "copy/target.bin",
        CopySource: `${BUCKET}/copy/source.bin`,
      }),
    );
    assert.deepEqual(held(), { ...start, small: start.small + 1 });
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: "copy/source.bin" }));
    const copy = await get("copy/target.bin");
    assert.ok(copy.bytes.equals(bytes));
    assert.equal(copy.etag, md5(bytes));
  });

  it("keeps nothing of a PUT its condition refuses", async () => {
    await put("guarded.txt", "first");
    const start = held();
    await assert.rejects(put("guarded.txt", "second", { IfNoneMatch: "*" }), {
      name: "PreconditionFailed",
    });
    assert.deepEqual(held(), start);
    assert.equal((await get("guarded.txt")).bytes.toString(), "first");
  });

  it("ends concurrent PUTs to one key with one of them, whole, and one body", async () => {
    const start = held();
    const bodies = Array.from({ length: 24 }, (_, i) => randomBytes(1000 + i * 997));
    await Promise.all(bodies.map((body) => put("contended.bin", body)));
    const final = await get("contended.bin");
    assert.ok(
      bodies.some((body) => body.equals(final.bytes)),
      "the key holds none of the bodies whole",
    );
    assert.deepEqual(held(), { ...start, small: start.small + 1 });
  });
});

describe("a data folder from before small bodies lived in the database", () => {
  it("opens, serves its objects, and stores small ones from then on", async () => {
    const first = await startStore();
    const s3 = sdkClient(first.url);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const large = randomBytes(SMALL_BODY_MAX_BYTES + 100);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "old.bin", Body: large }));
    await first.close();
    // The schema as it was: no small_body column (and no small body to lose).
    const db = new Database(join(first.dataDir, "metadata.sqlite3"));
    db.exec("ALTER TABLE objects DROP COLUMN small_body");
    db.close();

    const reopened = await startStore({ dataDir: first.dataDir });
    try {
      const again = sdkClient(reopened.url);
      const old = await again.send(new GetObjectCommand({ Bucket: BUCKET, Key: "old.bin" }));
      assert.ok(Buffer.from((await old.Body?.transformToByteArray()) ?? []).equals(large));
      await again.send(new PutObjectCommand({ Bucket: BUCKET, Key: "new.txt", Body: "new" }));
      const fresh = await again.send(new GetObjectCommand({ Bucket: BUCKET, Key: "new.txt" }));
      assert.equal(await fresh.Body?.transformToString(), "new");
      assert.equal(smallBodyCount(reopened.dataDir), 1);
    } finally {
      await reopened.close();
    }
  });
});
