/**
 * A read that has started finishes with the bytes it started with. S3 promises that a GET
 * returns one version whole; a multipart object's reader opens each part's file only
 * when it reaches it, so an overwrite or a delete that commits meanwhile must not take
 * the later parts away. The store keeps a replaced or deleted object's blobs until its
 * last reader (GET, ranged GET, GET ?partNumber, CopyObject, UploadPartCopy) is done,
 * then removes them: the data folder returns to what the live objects need. If the
 * process dies first, start-up removes them.
 *
 * Every GET here is a real HTTP request over loopback whose reader takes one chunk and
 * then stops reading (the response paused), while the test overwrites or deletes the
 * object; then the reader resumes and checks every byte.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, stat } from "node:fs/promises";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { type Credentials, sign } from "@sluice/sigv4";
import { CREDENTIALS, sdkClient, signedFetch, startStore, type TestStore } from "./helpers.js";
import { killStore, startStoreProcess } from "./store-process.js";

const MiB = 1024 * 1024;
const BUCKET = "reads";
/** The case: 12 MiB in three parts (5, 5 and 2 MiB). */
const PART_SIZES = [5 * MiB, 5 * MiB, 2 * MiB] as const;

const md5 = (bytes: Uint8Array): string => createHash("md5").update(bytes).digest("hex");

interface Stored {
  readonly key: string;
  readonly bytes: Buffer;
}

async function putMultipart(client: S3Client, key: string, sizes: readonly number[]) {
  const bytes = randomBytes(sizes.reduce((sum, size) => sum + size, 0));
  const { UploadId } = await client.send(
    new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }),
  );
  const parts: { PartNumber: number; ETag: string }[] = [];
  let at = 0;
  for (const [index, size] of sizes.entries()) {
    const { ETag } = await client.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId,
        PartNumber: index + 1,
        Body: bytes.subarray(at, at + size),
      }),
    );
    parts.push({ PartNumber: index + 1, ETag: ETag as string });
    at += size;
  }
  await client.send(
    new CompleteMultipartUploadCommand({
      Bucket: BUCKET,
      Key: key,
      UploadId,
      MultipartUpload: { Parts: parts },
    }),
  );
  return { key, bytes };
}

async function putSingle(client: S3Client, key: string, size: number): Promise<Stored> {
  const bytes = randomBytes(size);
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: bytes }));
  return { key, bytes };
}

/**
 * A GET that reads its first chunk and then stops reading until `finish()`: the store is
 * left mid-stream, with the rest of the object still to read from disk.
 */
class PausedGet {
  readonly #response: Promise<IncomingMessage>;
  readonly #first: Promise<Buffer>;

  constructor(
    url: string,
    path: string,
    options: { headers?: Record<string, string>; credentials?: Credentials } = {},
  ) {
    const signed = sign({
      method: "GET",
      url: `${url}${path}`,
      credentials: options.credentials ?? CREDENTIALS,
      region: "auto",
      ...(options.headers ? { headers: options.headers } : {}),
    });
    this.#response = new Promise((resolve, reject) => {
      const request = httpRequest(signed.url, { headers: signed.headers }, resolve);
      request.once("error", reject);
      request.end();
    });
    this.#first = this.#response.then(
      (response) =>
        new Promise<Buffer>((resolve) => {
          response.once("data", (chunk: Buffer) => {
            response.pause();
            resolve(chunk);
          });
        }),
    );
  }

  /** Resolves once the first chunk has arrived and the reader has stopped reading. */
  async started(): Promise<number> {
    const response = await this.#response;
    assert.ok((response.statusCode ?? 0) < 300, `GET answered ${response.statusCode}`);
    await this.#first;
    return response.statusCode as number;
  }

  /** Reads the rest; every byte the GET returned. */
  async finish(): Promise<Buffer> {
    const response = await this.#response;
    const chunks = [await this.#first];
    response.on("data", (chunk: Buffer) => chunks.push(chunk));
    const ended = new Promise<void>((resolve, reject) => {
      response.once("end", resolve);
      response.once("error", reject);
      response.once("close", () => {
        if (!response.complete) reject(new Error("the response was cut short"));
      });
    });
    response.resume();
    await ended;
    return Buffer.concat(chunks);
  }

  /** Goes away mid-stream, as a browser tab that closes. */
  async abandon(): Promise<void> {
    const response = await this.#response;
    response.destroy();
  }
}

/** Every blob file under the data folder, with its size. */
async function blobSizes(dataDir: string): Promise<number[]> {
  const blobs = join(dataDir, "blobs");
  const sizes: number[] = [];
  for (const dir of await readdir(blobs)) {
    for (const name of await readdir(join(blobs, dir)))
      sizes.push((await stat(join(blobs, dir, name))).size);
  }
  return sizes;
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/**
 * Waits until the blob files hold exactly `bytes` (what the live objects need), failing
 * with what they hold if they do not within a few seconds.
 */
async function untilBlobsHold(dataDir: string, bytes: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const held = sum(await blobSizes(dataDir));
    if (held === bytes) return;
    if (Date.now() > deadline)
      assert.fail(`the blob files hold ${held} bytes; the live objects need ${bytes}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("a read that has started finishes with the bytes it started with", () => {
  let store: TestStore;
  let client: S3Client;

  before(async () => {
    store = await startStore();
    client = sdkClient(store.url);
    assert.equal((await signedFetch("PUT", `${store.url}/${BUCKET}`)).status, 200);
  });
  after(async () => {
    client.destroy();
    await store.close();
  });

  /** Deletes every object left by a case, so the next one starts from an empty folder. */
  async function cleanUp(...keys: string[]): Promise<void> {
    for (const key of keys)
      await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    await untilBlobsHold(store.dataDir, 0);
  }

  for (const shape of ["single PUT", "3-part multipart"] as const) {
    const write = (key: string) =>
      shape === "single PUT"
        ? putSingle(client, key, sum(PART_SIZES))
        : putMultipart(client, key, PART_SIZES);

    test(`a ${shape} object overwritten during a slow GET is read whole, old bytes`, async () => {
      const old = await write("overwritten.bin");
      const get = new PausedGet(store.url, `/${BUCKET}/${old.key}`);
      await get.started();
      const replacement = await putSingle(client, old.key, 7 * MiB);
      const read = await get.finish();
      assert.equal(read.length, old.bytes.length);
      assert.equal(md5(read), md5(old.bytes));
      await untilBlobsHold(store.dataDir, replacement.bytes.length);
      await cleanUp(old.key);
    });

    test(`a ${shape} object deleted during a slow GET is read whole, then its files go`, async () => {
      const old = await write("deleted.bin");
      const get = new PausedGet(store.url, `/${BUCKET}/${old.key}`);
      await get.started();
      await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: old.key }));
      // The reader still holds the files: they are on disk until it is done.
      assert.equal(sum(await blobSizes(store.dataDir)), old.bytes.length);
      const read = await get.finish();
      assert.equal(md5(read), md5(old.bytes));
      await untilBlobsHold(store.dataDir, 0);
    });
  }

  test("a multipart object replaced by another multipart upload is read whole", async () => {
    const old = await putMultipart(client, "by-multipart.bin", PART_SIZES);
    const get = new PausedGet(store.url, `/${BUCKET}/${old.key}`);
    await get.started();
    const replacement = await putMultipart(client, old.key, [5 * MiB, 1 * MiB]);
    assert.equal(md5(await get.finish()), md5(old.bytes));
    await untilBlobsHold(store.dataDir, replacement.bytes.length);
    await cleanUp(old.key);
  });

  test("a ranged GET and a GET of one part finish with the bytes they started with", async () => {
    const old = await putMultipart(client, "ranged.bin", PART_SIZES);
    const start = 1 * MiB;
    const end = 11 * MiB;
    const ranged = new PausedGet(store.url, `/${BUCKET}/${old.key}`, {
      headers: { range: `bytes=${start}-${end}` },
    });
    const partTwo = new PausedGet(store.url, `/${BUCKET}/${old.key}?partNumber=2`);
    assert.equal(await ranged.started(), 206);
    assert.equal(await partTwo.started(), 206);
    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: old.key }));
    assert.equal(md5(await ranged.finish()), md5(old.bytes.subarray(start, end + 1)));
    // Part 2's reader has not finished: the files are still there.
    assert.equal(sum(await blobSizes(store.dataDir)), old.bytes.length);
    const part = await partTwo.finish();
    assert.equal(md5(part), md5(old.bytes.subarray(PART_SIZES[0], PART_SIZES[0] + PART_SIZES[1])));
    await untilBlobsHold(store.dataDir, 0);
  });

  test("a reader that goes away mid-stream lets go of the files it held", async () => {
    const old = await putMultipart(client, "abandoned.bin", PART_SIZES);
    const get = new PausedGet(store.url, `/${BUCKET}/${old.key}`);
    await get.started();
    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: old.key }));
    await get.abandon();
    await untilBlobsHold(store.dataDir, 0);
  });

  for (const operation of ["CopyObject", "UploadPartCopy"] as const) {
    test(`${operation} of a multipart source deleted while it copies copies it whole`, async () => {
      // Large enough that the copy is still reading when the delete commits.
      const source = await putMultipart(
        client,
        `copy-source-${operation}.bin`,
        Array.from({ length: 8 }, () => 5 * MiB),
      );
      const target = `copy-target-${operation}.bin`;
      let copyDone = false;
      const copied = (async () => {
        if (operation === "CopyObject") {
          await client.send(
            new CopyObjectCommand({
              Bucket: BUCKET,
              Key: target,
              CopySource: `${BUCKET}/${source.key}`,
            }),
          );
        } else {
          const { UploadId } = await client.send(
            new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: target }),
          );
          const { CopyPartResult } = await client.send(
            new UploadPartCopyCommand({
              Bucket: BUCKET,
              Key: target,
              UploadId,
              PartNumber: 1,
              CopySource: `${BUCKET}/${source.key}`,
            }),
          );
          await client.send(
            new CompleteMultipartUploadCommand({
              Bucket: BUCKET,
              Key: target,
              UploadId,
              MultipartUpload: { Parts: [{ PartNumber: 1, ETag: CopyPartResult?.ETag as string }] },
            }),
          );
        }
        copyDone = true;
      })();
      await untilCopyWrites(store.dataDir);
      await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: source.key }));
      assert.equal(copyDone, false, "the copy ended before the delete: nothing was tested");
      await copied;
      const get = new PausedGet(store.url, `/${BUCKET}/${target}`);
      await get.started();
      assert.equal(md5(await get.finish()), md5(source.bytes));
      await untilBlobsHold(store.dataDir, source.bytes.length);
      await cleanUp(target);
    });
  }

  /** Waits until a copy's temporary file has bytes: the copy is reading its source. */
  async function untilCopyWrites(dataDir: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      for (const name of await readdir(join(dataDir, "tmp"))) {
        const size = await stat(join(dataDir, "tmp", name)).then(
          (s) => s.size,
          () => 0,
        );
        if (size > 0) return;
      }
      if (Date.now() > deadline) assert.fail("the copy never started writing");
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
});

describe("a replaced object's files kept for a reader, and the process killed", () => {
  test("are removed at start-up: the data folder holds only what the live objects need", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "sluice-read-crash-"));
    const credentials = { accessKeyId: "READCRASHKEY", secretAccessKey: "read-crash-secret" };
    let running = await startStoreProcess(dataDir, credentials);
    const client = sdkClient(running.url, "WHEN_REQUIRED", { credentials });
    try {
      const created = await signedFetch("PUT", `${running.url}/${BUCKET}`, { credentials });
      assert.equal(created.status, 200);
      const old = await putMultipart(client, "killed.bin", PART_SIZES);
      const get = new PausedGet(running.url, `/${BUCKET}/${old.key}`, { credentials });
      await get.started();
      const replacement = await putSingle(client, old.key, 3 * MiB);
      // Old parts (held by the paused reader) and the new blob, side by side.
      assert.equal(sum(await blobSizes(dataDir)), old.bytes.length + replacement.bytes.length);
      await killStore(running);
      await get.finish().catch(() => {});

      running = await startStoreProcess(dataDir, credentials);
      assert.equal(sum(await blobSizes(dataDir)), replacement.bytes.length);
      const read = new PausedGet(running.url, `/${BUCKET}/${old.key}`, { credentials });
      await read.started();
      assert.equal(md5(await read.finish()), md5(replacement.bytes));
    } finally {
      client.destroy();
      await killStore(running);
    }
  });
});
