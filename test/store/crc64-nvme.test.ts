/**
 * CRC64NVME, as S3 and R2 support it: on PutObject (a header, or an aws-chunked trailer),
 * UploadPart, the full-object checksum of a multipart upload, and HeadObject/GetObject
 * with checksum mode. The AWS SDK chooses it explicitly here, computes it with its own
 * implementation, and checks what the store returns; the SDK's implementation is also
 * the oracle for ours.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { Crc64NvmeJs } from "@aws-sdk/checksums/crc";
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { Crc64Nvme, combineCrc64Nvme } from "../../packages/store/src/crc64-nvme.js";
import {
  CHECKSUM_MODES,
  errorOf,
  recordRequests,
  sdkClient,
  signedFetch,
  startStore,
  type TestStore,
} from "./helpers.js";

const MiB = 1024 * 1024;
const BUCKET = "crc64";

/** The AWS SDK's CRC64NVME of `bytes`, base64 as S3 sends it. */
async function sdkCrc64(bytes: Uint8Array): Promise<string> {
  const crc = new Crc64NvmeJs();
  crc.update(bytes);
  return Buffer.from(await crc.digest()).toString("base64");
}

function ours(...chunks: Uint8Array[]): string {
  const crc = new Crc64Nvme();
  for (const chunk of chunks) crc.update(chunk);
  return crc.digest().toString("base64");
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof S3ServiceException) return error.name;
    throw error;
  }
  assert.fail("the request succeeded");
}

describe("CRC-64/NVME, ours against the AWS SDK's", () => {
  test("gives the catalogue's check value for 123456789", () => {
    assert.equal(
      Buffer.from(ours(Buffer.from("123456789")), "base64").toString("hex"),
      "ae8b14860a799888",
    );
  });

  test("agrees with the SDK on every length and alignment, fed in any pieces", async () => {
    const pool = randomBytes(70_000);
    for (const length of [0, 1, 3, 7, 8, 15, 16, 17, 31, 33, 1000, 65_537]) {
      for (const offset of [0, 1, 2, 3, 5]) {
        const bytes = pool.subarray(offset, offset + length);
        const expected = await sdkCrc64(bytes);
        assert.equal(ours(bytes), expected, `length ${length}, offset ${offset}`);
        const cut = Math.floor(length / 3);
        assert.equal(
          ours(bytes.subarray(0, cut), bytes.subarray(cut, 2 * cut), bytes.subarray(2 * cut)),
          expected,
          `length ${length} in three pieces`,
        );
      }
    }
  });

  test("combines pieces' CRCs into the CRC of the whole", async () => {
    const bytes = randomBytes(300_000);
    const cuts = [0, 0, 7, 100_000, 200_000, 299_999, 300_000];
    const pieces = cuts.slice(1).map((end, i) => {
      const piece = bytes.subarray(cuts[i], end);
      return { crc: Buffer.from(ours(piece), "base64"), size: piece.length };
    });
    assert.equal(combineCrc64Nvme(pieces).toString("base64"), await sdkCrc64(bytes));
  });
});

describe("CRC64NVME through the store, chosen explicitly by the AWS SDK", () => {
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

  for (const mode of CHECKSUM_MODES) {
    test(`PutObject with a CRC64NVME header is stored, returned and checked on GET (${mode})`, async () => {
      const sdk = sdkClient(store.url, mode);
      const sent = recordRequests(sdk);
      const body = randomBytes(100_000);
      const expected = await sdkCrc64(body);
      const put = await sdk.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: `header-${mode}`,
          Body: body,
          ChecksumAlgorithm: "CRC64NVME",
        }),
      );
      assert.equal(sent[0]?.["x-amz-checksum-crc64nvme"], expected);
      assert.equal(sent[0]?.["x-amz-sdk-checksum-algorithm"], "CRC64NVME");
      assert.equal(put.ChecksumCRC64NVME, expected);

      const head = await sdk.send(
        new HeadObjectCommand({ Bucket: BUCKET, Key: `header-${mode}`, ChecksumMode: "ENABLED" }),
      );
      assert.equal(head.ChecksumCRC64NVME, expected);
      assert.equal(head.ChecksumType, "FULL_OBJECT");
      // The SDK checks the body it receives against the checksum the store sends.
      const get = await sdk.send(
        new GetObjectCommand({ Bucket: BUCKET, Key: `header-${mode}`, ChecksumMode: "ENABLED" }),
      );
      assert.equal(get.ChecksumCRC64NVME, expected);
      assert.ok(
        Buffer.from(
          await (
            get.Body as { transformToByteArray(): Promise<Uint8Array> }
          ).transformToByteArray(),
        ).equals(body),
      );
      sdk.destroy();
    });
  }

  test("PutObject with CRC64NVME as an aws-chunked trailer is checked and stored", async () => {
    const sent = recordRequests(client);
    const body = randomBytes(3 * MiB + 11);
    await client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: "trailer",
        Body: Readable.from([body.subarray(0, MiB), body.subarray(MiB)]),
        ContentLength: body.length,
        ChecksumAlgorithm: "CRC64NVME",
      }),
    );
    const request = sent.at(-1) ?? {};
    assert.equal(request["x-amz-trailer"], "x-amz-checksum-crc64nvme");
    assert.match(request["content-encoding"] ?? "", /aws-chunked/);
    const head = await client.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: "trailer", ChecksumMode: "ENABLED" }),
    );
    assert.equal(head.ChecksumCRC64NVME, await sdkCrc64(body));
  });

  test("a wrong CRC64NVME is refused with BadDigest and nothing is stored", async () => {
    const body = randomBytes(200_000);
    const wrong = await sdkCrc64(randomBytes(10));
    const response = await signedFetch("PUT", `${store.url}/${BUCKET}/wrong`, {
      headers: { "x-amz-checksum-crc64nvme": wrong, "x-amz-sdk-checksum-algorithm": "CRC64NVME" },
      body,
      payloadHash: "UNSIGNED-PAYLOAD",
    });
    assert.equal(response.status, 400);
    const error = await errorOf(response);
    assert.equal(error.code, "BadDigest");
    assert.match(error.message, /CRC64NVME/);
    assert.equal(
      await codeOf(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "wrong" }))),
      "NotFound",
    );
    assert.equal(
      await codeOf(
        client.send(
          new PutObjectCommand({
            Bucket: BUCKET,
            Key: "wrong",
            Body: body,
            ChecksumCRC64NVME: wrong,
          }),
        ),
      ),
      "BadDigest",
    );
  });

  test("a multipart upload gets the full-object CRC64NVME of all its bytes", async () => {
    const key = "multipart.bin";
    const created = await client.send(
      new CreateMultipartUploadCommand({
        Bucket: BUCKET,
        Key: key,
        ChecksumAlgorithm: "CRC64NVME",
        ChecksumType: "FULL_OBJECT",
      }),
    );
    assert.equal(created.ChecksumAlgorithm, "CRC64NVME");
    assert.equal(created.ChecksumType, "FULL_OBJECT");
    const sizes = [5 * MiB, 5 * MiB, 2 * MiB + 3];
    const body = randomBytes(sizes.reduce((a, b) => a + b, 0));
    const parts: { PartNumber: number; ETag: string; ChecksumCRC64NVME: string }[] = [];
    let at = 0;
    for (const [index, size] of sizes.entries()) {
      const piece = body.subarray(at, at + size);
      at += size;
      const uploaded = await client.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId: created.UploadId,
          PartNumber: index + 1,
          Body: piece,
          ChecksumAlgorithm: "CRC64NVME",
        }),
      );
      assert.equal(uploaded.ChecksumCRC64NVME, await sdkCrc64(piece));
      parts.push({
        PartNumber: index + 1,
        ETag: uploaded.ETag as string,
        ChecksumCRC64NVME: uploaded.ChecksumCRC64NVME as string,
      });
    }
    const whole = await sdkCrc64(body);
    const complete = (checksum: string) =>
      client.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId: created.UploadId,
          MultipartUpload: { Parts: parts },
          ChecksumCRC64NVME: checksum,
          ChecksumType: "FULL_OBJECT",
        }),
      );
    // A wrong full-object claim is refused and leaves the upload to complete rightly.
    assert.equal(await codeOf(complete(await sdkCrc64(randomBytes(4)))), "BadDigest");
    const completed = await complete(whole);
    assert.equal(completed.ChecksumCRC64NVME, whole);
    assert.equal(completed.ChecksumType, "FULL_OBJECT");

    const head = await client.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: "ENABLED" }),
    );
    assert.equal(head.ChecksumCRC64NVME, whole);
    assert.equal(head.ChecksumType, "FULL_OBJECT");
    const get = await client.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: "ENABLED" }),
    );
    const read = Buffer.from(
      await (get.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    assert.ok(read.equals(body));
  });

  test("CreateMultipartUpload refuses CRC64NVME as a COMPOSITE checksum", async () => {
    const response = await signedFetch("POST", `${store.url}/${BUCKET}/composite?uploads`, {
      headers: { "x-amz-checksum-algorithm": "CRC64NVME", "x-amz-checksum-type": "COMPOSITE" },
    });
    assert.equal(response.status, 400);
    const error = await errorOf(response);
    assert.equal(error.code, "InvalidRequest");
    assert.match(error.message, /COMPOSITE checksum type cannot be used with the crc64nvme/);
  });
});
