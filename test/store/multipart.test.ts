/**
 * Multipart uploads against a real store on loopback: every rule issue 4 names, each as
 * a failing case with S3's exact code, message and extra fields — and R2's own refusal
 * of unequal parts, with the same sizes accepted under `--flavor s3`. The AWS SDK is the
 * client; raw signed requests carry what the SDK will not send (part number 0, broken
 * XML, `If-None-Match: *` on CreateMultipartUpload, a forged aws-chunked trailer).
 *
 * The expected answers are §2.7 of S3-R2-SEMANTICS.md ([AWS-recorded] where noted there).
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { crc32 } from "node:zlib";
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { sign } from "@sluice/sigv4";
import { createStore, SMALL_BODY_MAX_BYTES, type Store } from "@sluice/store";
import {
  CREDENTIALS,
  errorOf,
  recordRequests,
  sdkClient,
  signedFetch,
  startStore,
  type TestStore,
} from "./helpers.js";

const MiB = 1024 * 1024;
const MIN_PART = 5 * MiB;
const DAY_MS = 24 * 60 * 60 * 1000;
const BUCKET = "multipart";

const INVALID_PART_MESSAGE =
  "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.";
const NO_SUCH_UPLOAD_MESSAGE =
  "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.";
const R2_UNEQUAL_PARTS = /^All non-trailing parts must have the same length\./;

// ---------------------------------------------------------------------------------------
// Helpers

interface ExpectedError {
  readonly status: number;
  readonly code: string;
  readonly message?: string | RegExp;
  /** Extra elements of `<Error>`, as the SDK exposes them on the exception. */
  readonly fields?: Readonly<Record<string, string>>;
}

/** The SDK call fails with exactly this S3 error. */
async function rejectsWith(call: Promise<unknown>, expected: ExpectedError): Promise<void> {
  await assert.rejects(call, (error: unknown) => {
    const e = error as Error &
      Record<string, unknown> & { $metadata?: { httpStatusCode?: number } };
    assert.equal(e.name, expected.code, `${e.name}: ${e.message}`);
    assert.equal(e.$metadata?.httpStatusCode, expected.status, e.message);
    if (typeof expected.message === "string") assert.equal(e.message, expected.message);
    else if (expected.message) assert.match(e.message, expected.message);
    for (const [name, value] of Object.entries(expected.fields ?? {})) {
      assert.equal(e[name], value, `<${name}> of ${e.name}`);
    }
    return true;
  });
}

/** The raw response is exactly this S3 error. */
async function answersWith(response: Response, expected: ExpectedError): Promise<void> {
  const body = await errorOf(response);
  assert.equal(response.status, expected.status, JSON.stringify(body));
  assert.equal(body.code, expected.code, JSON.stringify(body));
  if (typeof expected.message === "string") assert.equal(body.message, expected.message);
  else if (expected.message) assert.match(body.message, expected.message);
  for (const [name, value] of Object.entries(expected.fields ?? {})) {
    assert.equal(body.fields[name], value, `<${name}> in ${JSON.stringify(body)}`);
  }
}

function md5Hex(data: Uint8Array): string {
  return createHash("md5").update(data).digest("hex");
}

function crc32Base64(data: Uint8Array): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(data));
  return out.toString("base64");
}

/** S3's multipart ETag, computed here from the bytes: MD5 of the binary part MD5s, `-N`. */
function expectedMultipartEtag(parts: readonly Uint8Array[]): string {
  const md5 = createHash("md5");
  for (const part of parts) md5.update(createHash("md5").update(part).digest());
  return `"${md5.digest("hex")}-${parts.length}"`;
}

/** Every file under `dir`, at any depth; none when it does not exist. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** The files holding object and part bytes (`<dataDir>/blobs`, whatever its layout). */
function blobFiles(dataDir: string): string[] {
  return filesUnder(join(dataDir, "blobs"));
}

/** Bytes still arriving, if the store writes them apart (`<dataDir>/tmp`). */
function temporaryFiles(dataDir: string): string[] {
  return filesUnder(join(dataDir, "tmp"));
}

async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

let keyCounter = 0;
function freshKey(name: string): string {
  return `${name}-${++keyCounter}`;
}

/** A multipart upload driven through the SDK. */
class Upload {
  constructor(
    readonly client: S3Client,
    readonly key: string,
    readonly uploadId: string,
    readonly bucket = BUCKET,
  ) {}

  static async create(
    client: S3Client,
    key: string,
    extra: { ContentType?: string; Metadata?: Record<string, string> } = {},
    bucket = BUCKET,
  ): Promise<Upload> {
    const created = await client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...extra }),
    );
    assert.ok(created.UploadId, "CreateMultipartUpload returned no UploadId");
    return new Upload(client, key, created.UploadId, bucket);
  }

  async part(partNumber: number, body: Uint8Array): Promise<CompletedPart> {
    const result = await this.client.send(
      new UploadPartCommand({
        Bucket: this.bucket,
        Key: this.key,
        UploadId: this.uploadId,
        PartNumber: partNumber,
        Body: body,
      }),
    );
    assert.equal(result.ETag, `"${md5Hex(body)}"`, `ETag of part ${partNumber}`);
    return { PartNumber: partNumber, ETag: result.ETag };
  }

  complete(parts: CompletedPart[]) {
    return this.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: this.key,
        UploadId: this.uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
  }

  listParts(options: { MaxParts?: number; PartNumberMarker?: string } = {}) {
    return this.client.send(
      new ListPartsCommand({
        Bucket: this.bucket,
        Key: this.key,
        UploadId: this.uploadId,
        ...options,
      }),
    );
  }

  abort() {
    return this.client.send(
      new AbortMultipartUploadCommand({
        Bucket: this.bucket,
        Key: this.key,
        UploadId: this.uploadId,
      }),
    );
  }

  /** Part numbers and sizes the store lists, in order. */
  async listed(): Promise<Array<[number, number]>> {
    const parts = (await this.listParts()).Parts ?? [];
    return parts.map((p) => [p.PartNumber ?? -1, p.Size ?? -1]);
  }
}

async function getBytes(client: S3Client, key: string, bucket = BUCKET): Promise<Buffer> {
  const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(
    await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );
}

/** Uploads `sizes` as parts 1..N of a new upload; returns the upload, the bytes and the completed parts. */
async function uploadParts(
  client: S3Client,
  key: string,
  sizes: readonly number[],
): Promise<{ upload: Upload; bodies: Buffer[]; parts: CompletedPart[] }> {
  const upload = await Upload.create(client, key);
  const bodies = sizes.map((size) => randomBytes(size));
  const parts: CompletedPart[] = [];
  for (const [i, body] of bodies.entries()) parts.push(await upload.part(i + 1, body));
  return { upload, bodies, parts };
}

// ---------------------------------------------------------------------------------------

let r2: TestStore;
let s3: TestStore;
let client: S3Client;
let s3Client: S3Client;

before(async () => {
  r2 = await startStore({ flavor: "r2" });
  s3 = await startStore({ flavor: "s3" });
  client = sdkClient(r2.url);
  // AWS answers AuthorizationHeaderMalformed to any region but its own.
  s3Client = sdkClient(s3.url, "WHEN_REQUIRED", { region: "us-east-1" });
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await s3Client.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

after(async () => {
  client?.destroy();
  s3Client?.destroy();
  await r2?.close();
  await s3?.close();
  await rm(r2.dataDir, { recursive: true, force: true });
  await rm(s3.dataDir, { recursive: true, force: true });
});

describe("part numbers", () => {
  test("refuses part numbers 0, 10001 and non-integers with 400 InvalidArgument naming partNumber", async () => {
    const upload = await Upload.create(client, freshKey("numbers"));
    for (const value of ["0", "10001", "-1", "1.5", "abc", ""]) {
      const response = await signedFetch(
        "PUT",
        `${r2.url}/${BUCKET}/${upload.key}?partNumber=${value}&uploadId=${upload.uploadId}`,
        { body: "x" },
      );
      await answersWith(response, {
        status: 400,
        code: "InvalidArgument",
        message: "Part number must be an integer between 1 and 10000, inclusive",
        fields: { ArgumentName: "partNumber", ArgumentValue: value },
      });
    }
    // The SDK sends what it is given: the same refusal reaches it.
    await rejectsWith(upload.part(10001, Buffer.from("x")), {
      status: 400,
      code: "InvalidArgument",
      message: "Part number must be an integer between 1 and 10000, inclusive",
      fields: { ArgumentName: "partNumber", ArgumentValue: "10001" },
    });
    assert.deepEqual(await upload.listed(), [], "a refused part was stored");
  });

  test("accepts part numbers 1 and 10000 and completes with them", async () => {
    const upload = await Upload.create(client, freshKey("edges"));
    const first = randomBytes(MIN_PART);
    const last = randomBytes(10);
    const parts = [await upload.part(1, first), await upload.part(10_000, last)];
    const done = await upload.complete(parts);
    assert.equal(done.ETag, expectedMultipartEtag([first, last]));
    assert.deepEqual(await getBytes(client, upload.key), Buffer.concat([first, last]));
  });
});

describe("completion checks the part list", () => {
  test("refuses a non-last part under 5 MiB with EntityTooSmall, naming its size", async () => {
    const { upload, parts } = await uploadParts(client, freshKey("small"), [MIN_PART - 1, 1]);
    await rejectsWith(upload.complete(parts), {
      status: 400,
      code: "EntityTooSmall",
      message: "Your proposed upload is smaller than the minimum allowed size",
      fields: {
        ProposedSize: String(MIN_PART - 1),
        MinSizeAllowed: "5242880",
        PartNumber: "1",
      },
    });
    // Refused, not consumed: the upload is still there to fix.
    assert.deepEqual(await upload.listed(), [
      [1, MIN_PART - 1],
      [2, 1],
    ]);
  });

  test("accepts a last part of one byte, and a single part under 5 MiB", async () => {
    const { upload, bodies, parts } = await uploadParts(client, freshKey("tail"), [MIN_PART, 1]);
    assert.equal((await upload.complete(parts)).ETag, expectedMultipartEtag(bodies));
    assert.deepEqual(await getBytes(client, upload.key), Buffer.concat(bodies));

    const single = await uploadParts(client, freshKey("single"), [1234]);
    assert.equal(
      (await single.upload.complete(single.parts)).ETag,
      expectedMultipartEtag(single.bodies),
    );
  });

  test("refuses parts listed out of order, or twice, with InvalidPartOrder (s3; r2 sorts them)", async () => {
    const { upload, parts } = await uploadParts(s3Client, freshKey("order"), [MIN_PART, MIN_PART]);
    const [one, two] = parts as [CompletedPart, CompletedPart];
    for (const list of [
      [two, one],
      [one, one, two],
    ]) {
      await rejectsWith(upload.complete(list), {
        status: 400,
        code: "InvalidPartOrder",
        message:
          "The list of parts was not in ascending order. Parts must be ordered by part number.",
        fields: { UploadId: upload.uploadId },
      });
    }
  });

  test("refuses an unknown part or a wrong ETag with InvalidPart and S3's two-space message", async () => {
    const { upload, parts } = await uploadParts(client, freshKey("invalid-part"), [MIN_PART, 7]);
    const [one, two] = parts as [CompletedPart, CompletedPart];
    await rejectsWith(upload.complete([one, two, { PartNumber: 3, ETag: two.ETag }]), {
      status: 400,
      code: "InvalidPart",
      message: INVALID_PART_MESSAGE,
      fields: { UploadId: upload.uploadId, PartNumber: "3" },
    });
    const wrong = `"${md5Hex(Buffer.from("not this part"))}"`;
    await rejectsWith(upload.complete([one, { PartNumber: 2, ETag: wrong }]), {
      status: 400,
      code: "InvalidPart",
      message: INVALID_PART_MESSAGE,
      fields: { UploadId: upload.uploadId, PartNumber: "2" },
    });
    // The right list still works afterwards.
    await upload.complete([one, two]);
  });

  test("takes part ETags quoted, unquoted or as &quot; entities", async () => {
    const { upload, bodies } = await uploadParts(client, freshKey("etag-forms"), [MIN_PART, 5]);
    const [one, two] = bodies.map(md5Hex) as [string, string];
    const body =
      '<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      `<Part><PartNumber>1</PartNumber><ETag>&quot;${one}&quot;</ETag></Part>` +
      `<Part><PartNumber>2</PartNumber><ETag>${two}</ETag></Part>` +
      "</CompleteMultipartUpload>";
    const response = await signedFetch(
      "POST",
      `${r2.url}/${BUCKET}/${upload.key}?uploadId=${upload.uploadId}`,
      { body },
    );
    const text = await response.text();
    assert.equal(response.status, 200, text);
    assert.equal(
      /<ETag>([^<]*)<\/ETag>/.exec(text)?.[1]?.replaceAll("&quot;", '"'),
      expectedMultipartEtag(bodies),
    );
  });

  test("refuses an empty part list with InvalidRequest", async () => {
    const { upload } = await uploadParts(client, freshKey("empty"), [10]);
    await rejectsWith(upload.complete([]), {
      status: 400,
      code: "InvalidRequest",
      message: "You must specify at least one part",
    });
    const raw = await signedFetch(
      "POST",
      `${r2.url}/${BUCKET}/${upload.key}?uploadId=${upload.uploadId}`,
      {
        body: "<CompleteMultipartUpload></CompleteMultipartUpload>",
      },
    );
    await answersWith(raw, {
      status: 400,
      code: "InvalidRequest",
      message: "You must specify at least one part",
    });
  });

  test("refuses a part list that is not well-formed XML with MalformedXML", async () => {
    const { upload, parts } = await uploadParts(client, freshKey("malformed"), [10]);
    const etag = parts[0]?.ETag as string;
    for (const body of [
      "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>",
      "not xml at all",
      `<Other><Part><PartNumber>1</PartNumber><ETag>${etag}</ETag></Part></Other>`,
      `<CompleteMultipartUpload><Part><ETag>${etag}</ETag></Part></CompleteMultipartUpload>`,
      `<CompleteMultipartUpload><Part><PartNumber>one</PartNumber><ETag>${etag}</ETag></Part></CompleteMultipartUpload>`,
    ]) {
      const response = await signedFetch(
        "POST",
        `${r2.url}/${BUCKET}/${upload.key}?uploadId=${upload.uploadId}`,
        { body },
      );
      await answersWith(response, {
        status: 400,
        code: "MalformedXML",
        message:
          "The XML you provided was not well-formed or did not validate against our published schema",
      });
    }
    assert.deepEqual(await upload.listed(), [[1, 10]], "a refused completion consumed the upload");
  });
});

describe("upload ids", () => {
  const noSuchUpload = (uploadId: string): ExpectedError => ({
    status: 404,
    code: "NoSuchUpload",
    message: NO_SUCH_UPLOAD_MESSAGE,
    fields: { UploadId: uploadId },
  });

  test("answers NoSuchUpload to every operation on an unknown upload id", async () => {
    const key = freshKey("unknown");
    const ghost = new Upload(client, key, "no-such-upload-id");
    await rejectsWith(ghost.part(1, Buffer.from("x")), noSuchUpload(ghost.uploadId));
    await rejectsWith(ghost.listParts(), noSuchUpload(ghost.uploadId));
    await rejectsWith(
      ghost.complete([{ PartNumber: 1, ETag: `"${md5Hex(Buffer.from("x"))}"` }]),
      noSuchUpload(ghost.uploadId),
    );
    await rejectsWith(ghost.abort(), noSuchUpload(ghost.uploadId));
  });

  test("refuses CreateMultipartUpload in a bucket that does not exist with NoSuchBucket", async () => {
    await rejectsWith(
      client.send(new CreateMultipartUploadCommand({ Bucket: "no-such-bucket", Key: "k" })),
      {
        status: 404,
        code: "NoSuchBucket",
        message: "The specified bucket does not exist",
        fields: { BucketName: "no-such-bucket" },
      },
    );
  });

  test("answers NoSuchUpload when the upload id belongs to another key", async () => {
    const { upload, parts } = await uploadParts(client, freshKey("owner"), [10]);
    const elsewhere = new Upload(client, freshKey("other"), upload.uploadId);
    await rejectsWith(elsewhere.part(1, Buffer.from("x")), noSuchUpload(upload.uploadId));
    await rejectsWith(elsewhere.complete(parts), noSuchUpload(upload.uploadId));
    await rejectsWith(elsewhere.abort(), noSuchUpload(upload.uploadId));
    assert.deepEqual(await upload.listed(), [[1, 10]]);
  });

  test("answers NoSuchUpload after an abort, to parts, listing, completion and a second abort", async () => {
    const { upload, parts } = await uploadParts(client, freshKey("aborted"), [10]);
    const aborted = await upload.abort();
    assert.equal(aborted.$metadata.httpStatusCode, 204);
    await rejectsWith(upload.part(2, Buffer.from("x")), noSuchUpload(upload.uploadId));
    await rejectsWith(upload.listParts(), noSuchUpload(upload.uploadId));
    await rejectsWith(upload.complete(parts), noSuchUpload(upload.uploadId));
    await rejectsWith(upload.abort(), noSuchUpload(upload.uploadId));
  });

  test("completing twice with the same list succeeds both times with the same ETag", async () => {
    const { upload, bodies, parts } = await uploadParts(client, freshKey("twice"), [MIN_PART, 3]);
    const first = await upload.complete(parts);
    const second = await upload.complete(parts);
    assert.equal(first.ETag, expectedMultipartEtag(bodies));
    assert.equal(second.ETag, first.ETag);
    assert.equal(second.Key, upload.key);
    assert.deepEqual(await getBytes(client, upload.key), Buffer.concat(bodies));
  });

  test("answers NoSuchUpload to a completed upload given a different list, and to its parts", async () => {
    const { upload, parts } = await uploadParts(client, freshKey("done"), [MIN_PART, 3]);
    await upload.complete(parts);
    await rejectsWith(upload.complete(parts.slice(0, 1)), noSuchUpload(upload.uploadId));
    await rejectsWith(upload.listParts(), noSuchUpload(upload.uploadId));
    await rejectsWith(upload.part(3, Buffer.from("late")), noSuchUpload(upload.uploadId));
  });
});

describe("R2's equal part sizes", () => {
  test("--flavor r2 refuses non-trailing parts of different sizes with R2's InvalidPart", async () => {
    const { upload, parts } = await uploadParts(client, freshKey("r2-unequal"), [
      MIN_PART + 1,
      MIN_PART,
      100,
    ]);
    await rejectsWith(upload.complete(parts), {
      status: 400,
      code: "InvalidPart",
      message: R2_UNEQUAL_PARTS,
      fields: { UploadId: upload.uploadId, PartNumber: "2" },
    });
    assert.equal((await upload.listed()).length, 3, "the refusal consumed the upload");
  });

  test("--flavor r2 refuses a last part larger than the others with R2's InvalidPart", async () => {
    const { upload, parts } = await uploadParts(client, freshKey("r2-big-tail"), [
      MIN_PART,
      MIN_PART + 1,
    ]);
    await rejectsWith(upload.complete(parts), {
      status: 400,
      code: "InvalidPart",
      message: R2_UNEQUAL_PARTS,
      fields: { UploadId: upload.uploadId, PartNumber: "2" },
    });
  });

  test("--flavor r2 accepts equal parts with a smaller last one", async () => {
    const { upload, bodies, parts } = await uploadParts(client, freshKey("r2-equal"), [
      MIN_PART,
      MIN_PART,
      MIN_PART - 1,
    ]);
    assert.equal((await upload.complete(parts)).ETag, expectedMultipartEtag(bodies));
  });

  test("--flavor s3 accepts the same unequal sizes R2 refuses", async () => {
    for (const sizes of [
      [MIN_PART + 1, MIN_PART, 100],
      [MIN_PART, MIN_PART + 1],
    ]) {
      const key = freshKey("s3-unequal");
      const { upload, bodies, parts } = await uploadParts(s3Client, key, sizes);
      assert.equal((await upload.complete(parts)).ETag, expectedMultipartEtag(bodies));
      assert.deepEqual(await getBytes(s3Client, key), Buffer.concat(bodies));
    }
  });
});

describe("the completed object", () => {
  test("has S3's multipart ETag, the exact bytes, its attributes and PartsCount", async () => {
    const key = freshKey("object");
    const upload = await Upload.create(client, key, {
      ContentType: "video/mp4",
      Metadata: { origin: "multipart-test" },
    });
    const bodies = [randomBytes(MIN_PART), randomBytes(MIN_PART), randomBytes(123_457)];
    const parts: CompletedPart[] = [];
    for (const [i, body] of bodies.entries()) parts.push(await upload.part(i + 1, body));
    const done = await upload.complete(parts);
    const etag = expectedMultipartEtag(bodies);
    assert.match(etag, /^"[0-9a-f]{32}-3"$/);
    assert.equal(done.ETag, etag);
    assert.equal(done.Bucket, BUCKET);
    assert.equal(done.Key, key);

    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    assert.equal(head.ETag, etag);
    assert.equal(head.PartsCount, 3);
    assert.equal(head.ContentLength, 2 * MIN_PART + 123_457);
    assert.equal(head.ContentType, "video/mp4");
    assert.deepEqual(head.Metadata, { origin: "multipart-test" });
    assert.deepEqual(await getBytes(client, key), Buffer.concat(bodies));
  });

  test("completes an upload whose key has spaces, unicode and XML's special characters", async () => {
    const key = `dir/naïve résumé & <co> "q" 'a'+b=c ${freshKey("😀")}`;
    const { upload, bodies, parts } = await uploadParts(client, key, [MIN_PART, 9]);
    const listed = await client.send(
      new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: "dir/" }),
    );
    assert.deepEqual(
      (listed.Uploads ?? []).map((u) => [u.Key, u.UploadId]),
      [[key, upload.uploadId]],
    );
    const done = await upload.complete(parts);
    assert.equal(done.Key, key);
    assert.deepEqual(await getBytes(client, key), Buffer.concat(bodies));
  });

  test("GET with partNumber returns exactly that part, with the part count and its range", async () => {
    const { upload, bodies, parts } = await uploadParts(client, freshKey("part-get"), [
      MIN_PART,
      MIN_PART,
      1234,
    ]);
    await upload.complete(parts);
    const total = 2 * MIN_PART + 1234;
    const got = await client.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: upload.key, PartNumber: 2 }),
    );
    assert.equal(got.$metadata.httpStatusCode, 206);
    assert.equal(got.PartsCount, 3);
    assert.equal(got.ContentLength, MIN_PART);
    assert.equal(got.ContentRange, `bytes ${MIN_PART}-${2 * MIN_PART - 1}/${total}`);
    assert.equal(got.ETag, expectedMultipartEtag(bodies));
    assert.deepEqual(
      Buffer.from(
        await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      ),
      bodies[1],
    );
    const head = await client.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: upload.key, PartNumber: 3 }),
    );
    assert.equal(head.ContentLength, 1234);
    assert.equal(head.PartsCount, 3);
    await rejectsWith(
      client.send(new GetObjectCommand({ Bucket: BUCKET, Key: upload.key, PartNumber: 4 })),
      {
        status: 416,
        code: "InvalidPartNumber",
        message: "The requested partnumber is not satisfiable",
        fields: { PartNumberRequested: "4", ActualPartCount: "3" },
      },
    );
  });

  test("a Range GET and an UploadPartCopy range across part boundaries read the right bytes", async () => {
    const { upload, bodies, parts } = await uploadParts(client, freshKey("span"), [
      MIN_PART,
      MIN_PART,
      MIN_PART,
    ]);
    await upload.complete(parts);
    const whole = Buffer.concat(bodies);
    const first = MIN_PART - 10;
    const last = 2 * MIN_PART + 10;
    const got = await client.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: upload.key, Range: `bytes=${first}-${last}` }),
    );
    assert.deepEqual(
      Buffer.from(
        await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      ),
      whole.subarray(first, last + 1),
    );

    const copy = await Upload.create(client, freshKey("span-copy"));
    const copied = await client.send(
      new UploadPartCopyCommand({
        Bucket: BUCKET,
        Key: copy.key,
        UploadId: copy.uploadId,
        PartNumber: 1,
        CopySource: `${BUCKET}/${upload.key}`,
        CopySourceRange: `bytes=${first}-${last}`,
      }),
    );
    assert.equal(copied.CopyPartResult?.ETag, `"${md5Hex(whole.subarray(first, last + 1))}"`);
    // A whole multipart object copied as one part.
    const all = await client.send(
      new UploadPartCopyCommand({
        Bucket: BUCKET,
        Key: copy.key,
        UploadId: copy.uploadId,
        PartNumber: 2,
        CopySource: `${BUCKET}/${upload.key}`,
      }),
    );
    assert.equal(all.CopyPartResult?.ETag, `"${md5Hex(whole)}"`);
  });

  test("refuses a part listed with a checksum other than the one it was uploaded with", async () => {
    const defaults = sdkClient(r2.url, "SDK default");
    try {
      const upload = await Upload.create(defaults, freshKey("checksum-list"));
      const body = randomBytes(100);
      const result = await defaults.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: upload.key,
          UploadId: upload.uploadId,
          PartNumber: 1,
          Body: body,
        }),
      );
      assert.equal(result.ChecksumCRC32, crc32Base64(body));
      await rejectsWith(
        upload.complete([
          { PartNumber: 1, ETag: result.ETag, ChecksumCRC32: crc32Base64(Buffer.from("other")) },
        ]),
        { status: 400, code: "InvalidPart", fields: { PartNumber: "1" } },
      );
      await upload.complete([
        { PartNumber: 1, ETag: result.ETag, ChecksumCRC32: result.ChecksumCRC32 },
      ]);
    } finally {
      defaults.destroy();
    }
  });

  test("a part uploaded twice is replaced: the object has the second bytes, the first blob is freed", async () => {
    const upload = await Upload.create(client, freshKey("replace"));
    const blobsBefore = blobFiles(r2.dataDir).length;
    const first = randomBytes(MIN_PART);
    const second = randomBytes(MIN_PART);
    const tail = randomBytes(99);
    await upload.part(1, first);
    const replaced = await upload.part(1, second);
    const two = await upload.part(2, tail);
    assert.deepEqual(await upload.listed(), [
      [1, MIN_PART],
      [2, 99],
    ]);
    assert.equal(blobFiles(r2.dataDir).length, blobsBefore + 2, "the replaced part's blob remains");
    // The first upload's ETag no longer names part 1.
    await rejectsWith(upload.complete([{ PartNumber: 1, ETag: `"${md5Hex(first)}"` }, two]), {
      status: 400,
      code: "InvalidPart",
      message: INVALID_PART_MESSAGE,
    });
    assert.equal(
      (await upload.complete([replaced, two])).ETag,
      expectedMultipartEtag([second, tail]),
    );
    assert.deepEqual(await getBytes(client, upload.key), Buffer.concat([second, tail]));
  });

  test("parts uploaded concurrently and out of order complete into the right bytes", async () => {
    const upload = await Upload.create(client, freshKey("concurrent"));
    const bodies = Array.from({ length: 6 }, (_, i) => randomBytes(i === 5 ? 4321 : MIN_PART));
    // Last part first, then the rest all at once; part 3 twice at the same time.
    const order = [6, 3, 1, 5, 3, 2, 4];
    const results = await Promise.all(order.map((n) => upload.part(n, bodies[n - 1] as Buffer)));
    const parts = [1, 2, 3, 4, 5, 6].map(
      (n) => results.find((r) => r.PartNumber === n) as CompletedPart,
    );
    assert.deepEqual(
      (await upload.listed()).map(([n]) => n),
      [1, 2, 3, 4, 5, 6],
    );
    assert.equal((await upload.complete(parts)).ETag, expectedMultipartEtag(bodies));
    assert.deepEqual(await getBytes(client, upload.key), Buffer.concat(bodies));
  });

  test("completion frees the blobs of parts it leaves out and of the object it replaces", async () => {
    const key = freshKey("leftover");
    // Large enough to be a blob of its own, not a small body kept in the database.
    const old = randomBytes(SMALL_BODY_MAX_BYTES + 1);
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: old }));
    const upload = await Upload.create(client, key);
    const before = blobFiles(r2.dataDir).length;
    const bodies = [randomBytes(MIN_PART), randomBytes(10), randomBytes(20)];
    const one = await upload.part(1, bodies[0] as Buffer);
    await upload.part(2, bodies[1] as Buffer);
    const three = await upload.part(3, bodies[2] as Buffer);
    assert.equal(blobFiles(r2.dataDir).length, before + 3);
    await upload.complete([one, three]);
    // Parts 1 and 3 are the object now; part 2 and the old object's blob are gone.
    await eventually(
      () => blobFiles(r2.dataDir).length === before + 1,
      "part 2's and the old object's blobs removed",
    );
    assert.deepEqual(
      await getBytes(client, upload.key),
      Buffer.concat([bodies[0] as Buffer, bodies[2] as Buffer]),
    );
  });
});

describe("listing", () => {
  test("ListParts pages by max-parts and part-number-marker", async () => {
    const upload = await Upload.create(client, freshKey("list-parts"));
    const numbers = [1, 2, 5, 7, 10_000];
    const bodies = new Map(numbers.map((n) => [n, randomBytes(100 + n)]));
    for (const [n, body] of bodies) await upload.part(n, body);

    const pages: Array<{ numbers: number[]; truncated: boolean; next: string | undefined }> = [];
    let marker: string | undefined;
    for (let guard = 0; guard < 10; guard++) {
      const page = await upload.listParts({
        MaxParts: 2,
        ...(marker === undefined ? {} : { PartNumberMarker: marker }),
      });
      assert.equal(page.MaxParts, 2);
      assert.equal(page.UploadId, upload.uploadId);
      for (const part of page.Parts ?? []) {
        const body = bodies.get(part.PartNumber ?? -1) as Buffer;
        assert.equal(part.Size, body.length);
        assert.equal(part.ETag, `"${md5Hex(body)}"`);
      }
      pages.push({
        numbers: (page.Parts ?? []).map((p) => p.PartNumber ?? -1),
        truncated: page.IsTruncated ?? false,
        next: page.NextPartNumberMarker,
      });
      if (!page.IsTruncated) break;
      marker = page.NextPartNumberMarker;
    }
    assert.deepEqual(pages, [
      { numbers: [1, 2], truncated: true, next: "2" },
      { numbers: [5, 7], truncated: true, next: "7" },
      { numbers: [10_000], truncated: false, next: "10000" },
    ]);
    // A marker between part numbers starts after it.
    const fromThree = await upload.listParts({ PartNumberMarker: "3" });
    assert.deepEqual(
      (fromThree.Parts ?? []).map((p) => p.PartNumber),
      [5, 7, 10_000],
    );
    assert.equal(fromThree.IsTruncated, false);
  });

  test("ListMultipartUploads filters by prefix, groups by delimiter and pages by key and upload-id markers", async () => {
    const bucket = "listing-uploads";
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    const keys = [
      "docs/a.txt",
      "docs/b.txt",
      "docs/b.txt",
      "docs/sub/c.txt",
      "img/x.png",
      "readme",
    ];
    const created: Array<{ key: string; uploadId: string }> = [];
    for (const key of keys) {
      const upload = await Upload.create(client, key, {}, bucket);
      created.push({ key, uploadId: upload.uploadId });
    }
    const sorted = [...created].sort((a, b) =>
      a.key === b.key ? (a.uploadId < b.uploadId ? -1 : 1) : a.key < b.key ? -1 : 1,
    );
    const list = (input: {
      Prefix?: string;
      Delimiter?: string;
      KeyMarker?: string;
      UploadIdMarker?: string;
      MaxUploads?: number;
    }) => client.send(new ListMultipartUploadsCommand({ Bucket: bucket, ...input }));
    const pairs = (uploads: { Key?: string; UploadId?: string }[] | undefined) =>
      (uploads ?? []).map((u) => ({ key: u.Key as string, uploadId: u.UploadId as string }));

    const all = await list({});
    assert.deepEqual(pairs(all.Uploads), sorted);
    assert.equal(all.IsTruncated, false);

    const docs = await list({ Prefix: "docs/" });
    assert.deepEqual(
      pairs(docs.Uploads),
      sorted.filter((u) => u.key.startsWith("docs/")),
    );

    const grouped = await list({ Prefix: "docs/", Delimiter: "/" });
    assert.deepEqual(
      pairs(grouped.Uploads).map((u) => u.key),
      ["docs/a.txt", "docs/b.txt", "docs/b.txt"],
    );
    assert.deepEqual(
      (grouped.CommonPrefixes ?? []).map((p) => p.Prefix),
      ["docs/sub/"],
    );

    const top = await list({ Delimiter: "/" });
    assert.deepEqual(
      pairs(top.Uploads).map((u) => u.key),
      ["readme"],
    );
    assert.deepEqual(
      (top.CommonPrefixes ?? []).map((p) => p.Prefix),
      ["docs/", "img/"],
    );

    // Pages of two: the boundary falls between docs/b.txt's two uploads.
    const paged: Array<{ key: string; uploadId: string }> = [];
    let markers: { KeyMarker?: string; UploadIdMarker?: string } = {};
    let pageCount = 0;
    for (;;) {
      const page = await list({ MaxUploads: 2, ...markers });
      pageCount++;
      assert.ok((page.Uploads ?? []).length <= 2);
      paged.push(...pairs(page.Uploads));
      if (!page.IsTruncated) break;
      assert.ok(page.NextKeyMarker, "a truncated page without NextKeyMarker");
      markers = {
        KeyMarker: page.NextKeyMarker,
        ...(page.NextUploadIdMarker ? { UploadIdMarker: page.NextUploadIdMarker } : {}),
      };
      assert.ok(pageCount < 10, "pagination does not end");
    }
    assert.deepEqual(paged, sorted);
    assert.equal(pageCount, 3);

    // Pages of one with a delimiter: a common prefix counts as one entry, and its
    // NextKeyMarker resumes past every key under it.
    const groupedPages: string[][] = [];
    let keyMarker: string | undefined;
    for (let guard = 0; guard < 10; guard++) {
      const page = await list({
        Delimiter: "/",
        MaxUploads: 1,
        ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
      });
      groupedPages.push([
        ...(page.CommonPrefixes ?? []).map((p) => p.Prefix as string),
        ...(page.Uploads ?? []).map((u) => u.Key as string),
      ]);
      if (!page.IsTruncated) break;
      keyMarker = page.NextKeyMarker;
    }
    assert.deepEqual(groupedPages, [["docs/"], ["img/"], ["readme"]]);

    // A key marker alone skips every upload of that key.
    const afterB = await list({ KeyMarker: "docs/b.txt" });
    assert.deepEqual(
      pairs(afterB.Uploads).map((u) => u.key),
      ["docs/sub/c.txt", "img/x.png", "readme"],
    );
    // With an upload-id marker, the key's later uploads come first.
    const firstB = sorted[1] as { key: string; uploadId: string };
    const afterFirstB = await list({ KeyMarker: "docs/b.txt", UploadIdMarker: firstB.uploadId });
    assert.deepEqual(pairs(afterFirstB.Uploads), sorted.slice(2));

    // Completed and aborted uploads are no longer listed.
    await new Upload(
      client,
      "readme",
      (created[5] as { uploadId: string }).uploadId,
      bucket,
    ).abort();
    assert.deepEqual(
      pairs((await list({})).Uploads),
      sorted.filter((u) => u.key !== "readme"),
    );
  });
});

describe("If-None-Match: * at CreateMultipartUpload", () => {
  async function createIfAbsent(key: string): Promise<Upload> {
    const response = await signedFetch("POST", `${r2.url}/${BUCKET}/${key}?uploads`, {
      headers: { "if-none-match": "*" },
    });
    const text = await response.text();
    assert.equal(response.status, 200, text);
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(text)?.[1];
    assert.ok(uploadId, text);
    return new Upload(client, key, uploadId);
  }

  test("fails completion with 412 PreconditionFailed when the key was created meanwhile", async () => {
    const key = freshKey("if-none-match");
    const upload = await createIfAbsent(key);
    const part = await upload.part(1, randomBytes(10));
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: "meanwhile" }));
    await rejectsWith(upload.complete([part]), {
      status: 412,
      code: "PreconditionFailed",
      message: "At least one of the pre-conditions you specified did not hold",
      fields: { Condition: "If-None-Match" },
    });
    assert.equal((await getBytes(client, key)).toString(), "meanwhile");
  });

  test("If-None-Match: * on CompleteMultipartUpload itself fails 412 when the key exists", async () => {
    const key = freshKey("complete-if-none-match");
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: "already" }));
    const { upload, parts } = await uploadParts(client, key, [10]);
    await rejectsWith(
      client.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId: upload.uploadId,
          MultipartUpload: { Parts: parts },
          IfNoneMatch: "*",
        }),
      ),
      {
        status: 412,
        code: "PreconditionFailed",
        message: "At least one of the pre-conditions you specified did not hold",
        fields: { Condition: "If-None-Match" },
      },
    );
    assert.equal((await getBytes(client, key)).toString(), "already");
  });

  test("completes when the key is still absent", async () => {
    const key = freshKey("if-none-match-ok");
    const upload = await createIfAbsent(key);
    const body = randomBytes(10);
    const part = await upload.part(1, body);
    assert.equal((await upload.complete([part])).ETag, expectedMultipartEtag([body]));
  });
});

describe("space", () => {
  test("AbortMultipartUpload removes the parts' blobs", async () => {
    const before = blobFiles(r2.dataDir).length;
    const { upload } = await uploadParts(client, freshKey("abort-space"), [MIN_PART, MIN_PART, 5]);
    assert.equal(blobFiles(r2.dataDir).length, before + 3);
    await upload.abort();
    assert.equal(blobFiles(r2.dataDir).length, before);
  });
});

describe("races", () => {
  test("a part still streaming when its upload is aborted is refused with NoSuchUpload and leaves nothing", async () => {
    const { upload } = await uploadParts(client, freshKey("abort-mid-part"), [10]);
    const blobsBefore = blobFiles(r2.dataDir).length;
    const size = 4 * MiB;
    const signed = sign({
      method: "PUT",
      url: `${r2.url}/${BUCKET}/${upload.key}?partNumber=2&uploadId=${upload.uploadId}`,
      headers: { "content-length": String(size) },
      credentials: CREDENTIALS,
      region: "auto",
      payloadHash: "UNSIGNED-PAYLOAD",
    });
    const request = httpRequest(signed.url, { method: "PUT", headers: signed.headers });
    const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
      request.once("response", (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          body += chunk;
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      });
      request.once("error", reject);
    });
    request.write(randomBytes(MiB));
    // The part is being written to a file of its own when the abort comes.
    const known = new Set([...blobFiles(r2.dataDir), ...temporaryFiles(r2.dataDir)]);
    await eventually(
      () => [...blobFiles(r2.dataDir), ...temporaryFiles(r2.dataDir)].some((f) => !known.has(f)),
      "the part's file appears",
    );
    await upload.abort();
    request.end(randomBytes(size - MiB));
    const { status, body } = await answered;
    assert.equal(status, 404, body);
    assert.match(body, /<Code>NoSuchUpload<\/Code>/);
    assert.equal(blobFiles(r2.dataDir).length, blobsBefore - 1, "the streamed part's blob remains");
    assert.deepEqual(temporaryFiles(r2.dataDir), []);
  });
});

describe("abandoned uploads (--flavor r2)", () => {
  const folders: string[] = [];
  const opened: Store[] = [];
  after(async () => {
    for (const store of opened) await store.close(1_000).catch(() => {});
    for (const dir of folders) await rm(dir, { recursive: true, force: true });
  });

  /**
   * A store whose clock is `offsetMs` ahead of the real one, and a client whose clock is
   * too: the signature check compares the two, the reaper reads the store's.
   */
  async function open(dataDir: string, offsetMs: number, abandonedUploadMs?: number) {
    const store = createStore({
      dataDir,
      credentials: CREDENTIALS,
      flavor: "r2",
      now: () => new Date(Date.now() + offsetMs),
      ...(abandonedUploadMs === undefined ? {} : { abandonedUploadMs }),
    });
    opened.push(store);
    const url = await store.listen(0);
    const client = sdkClient(url, "WHEN_REQUIRED", { systemClockOffset: offsetMs });
    // The SDK resets its offset from each response's Date header, which Node writes from
    // the real clock: pin it back before every request is signed.
    client.middlewareStack.add(
      (next) => (args) => {
        client.config.systemClockOffset = offsetMs;
        return next(args);
      },
      { step: "build", name: "pinClockOffset" },
    );
    return { store, client };
  }

  test("CreateMultipartUpload reports an AbortDate 7 days after initiation", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "sluice-"));
    folders.push(dataDir);
    // A whole second, the resolution of an HTTP date.
    const initiated = Math.floor(Date.now() / 1000) * 1000;
    const store = createStore({
      dataDir,
      credentials: CREDENTIALS,
      flavor: "r2",
      now: () => new Date(initiated),
    });
    opened.push(store);
    const c = sdkClient(await store.listen(0));
    await c.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const created = await c.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: "k" }));
    assert.equal(created.AbortDate?.getTime(), initiated + 7 * DAY_MS);
    assert.equal(created.AbortRuleId, "Default Multipart Abort Rule");
    c.destroy();
    await store.close();
  });

  test("--flavor s3 reports no AbortDate", async () => {
    const created = await s3Client.send(
      new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: freshKey("s3-abort-date") }),
    );
    assert.equal(created.AbortDate, undefined);
  });

  test("an upload older than abandonedUploadMs is reaped at start; a younger one stays", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "sluice-"));
    folders.push(dataDir);
    const HOUR = 60 * 60 * 1000;
    const first = await open(dataDir, 0, 2 * HOUR);
    await first.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const old = await uploadParts(first.client, "old", [MIN_PART, 10]);
    first.client.destroy();
    await first.store.close();
    const oldBlobs = blobFiles(dataDir);
    assert.equal(oldBlobs.length, 2);

    const second = await open(dataDir, HOUR, 2 * HOUR);
    const young = await uploadParts(second.client, "young", [10]);
    second.client.destroy();
    await second.store.close();

    // Two hours and a minute after the first: the old upload has expired, the young has not.
    const third = await open(dataDir, 2 * HOUR + 60_000, 2 * HOUR);
    const reopenedOld = new Upload(third.client, "old", old.upload.uploadId);
    await rejectsWith(reopenedOld.listParts(), {
      status: 404,
      code: "NoSuchUpload",
      message: NO_SUCH_UPLOAD_MESSAGE,
    });
    await eventually(
      () => oldBlobs.every((path) => !existsSync(path)),
      "the old parts' blobs removed",
    );
    assert.deepEqual(await new Upload(third.client, "young", young.upload.uploadId).listed(), [
      [1, 10],
    ]);
    assert.equal(blobFiles(dataDir).length, 1);
    third.client.destroy();
    await third.store.close();
  });

  test("a store closed while its start-up reaper runs has still reaped every expired upload", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "sluice-"));
    folders.push(dataDir);
    const HOUR = 60 * 60 * 1000;
    const first = await open(dataDir, 0, HOUR);
    await first.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const uploads = [];
    for (const key of ["a", "b", "c"])
      uploads.push((await uploadParts(first.client, key, [10])).upload);
    first.client.destroy();
    await first.store.close();

    // Opened two hours on, so all three have expired, and closed at once.
    const logged: unknown[][] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => logged.push(args);
    try {
      const reaping = createStore({
        dataDir,
        credentials: CREDENTIALS,
        flavor: "r2",
        now: () => new Date(Date.now() + 2 * HOUR),
        abandonedUploadMs: HOUR,
      });
      await reaping.close();
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      console.error = consoleError;
    }
    assert.deepEqual(logged, [], "the reaper failed");

    // Reopened with no expiry in reach: what the reaper left is still there.
    const after = await open(dataDir, 2 * HOUR, 100 * DAY_MS);
    for (const upload of uploads) {
      await rejectsWith(new Upload(after.client, upload.key, upload.uploadId).listParts(), {
        status: 404,
        code: "NoSuchUpload",
      });
    }
    assert.deepEqual(blobFiles(dataDir), []);
    after.client.destroy();
    await after.store.close();
  });

  test("by default an upload is reaped after R2's 7 days, not before", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "sluice-"));
    folders.push(dataDir);
    const first = await open(dataDir, 0);
    await first.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const { upload } = await uploadParts(first.client, "week", [10]);
    first.client.destroy();
    await first.store.close();

    const sixDays = await open(dataDir, 6 * DAY_MS);
    assert.deepEqual(await new Upload(sixDays.client, "week", upload.uploadId).listed(), [[1, 10]]);
    sixDays.client.destroy();
    await sixDays.store.close();

    const eightDays = await open(dataDir, 8 * DAY_MS);
    await rejectsWith(new Upload(eightDays.client, "week", upload.uploadId).listParts(), {
      status: 404,
      code: "NoSuchUpload",
    });
    await eventually(() => blobFiles(dataDir).length === 0, "the reaped upload's blob removed");
    eightDays.client.destroy();
    await eightDays.store.close();
  });
});

describe("UploadPartCopy", () => {
  test("copies a whole object and a byte range into parts", async () => {
    const sourceKey = freshKey("copy-source");
    const source = randomBytes(MIN_PART + 1000);
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: sourceKey, Body: source }));
    const small = randomBytes(777);
    const smallKey = freshKey("copy-small");
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: smallKey, Body: small }));

    const upload = await Upload.create(client, freshKey("copied"));
    const range = source.subarray(500, 500 + MIN_PART);
    const ranged = await client.send(
      new UploadPartCopyCommand({
        Bucket: BUCKET,
        Key: upload.key,
        UploadId: upload.uploadId,
        PartNumber: 1,
        CopySource: `${BUCKET}/${sourceKey}`,
        CopySourceRange: `bytes=500-${500 + MIN_PART - 1}`,
      }),
    );
    assert.equal(ranged.CopyPartResult?.ETag, `"${md5Hex(range)}"`);
    const whole = await client.send(
      new UploadPartCopyCommand({
        Bucket: BUCKET,
        Key: upload.key,
        UploadId: upload.uploadId,
        PartNumber: 2,
        CopySource: `${BUCKET}/${smallKey}`,
      }),
    );
    assert.equal(whole.CopyPartResult?.ETag, `"${md5Hex(small)}"`);
    assert.ok(whole.CopyPartResult?.LastModified instanceof Date);

    const done = await upload.complete([
      { PartNumber: 1, ETag: ranged.CopyPartResult?.ETag },
      { PartNumber: 2, ETag: whole.CopyPartResult?.ETag },
    ]);
    assert.equal(done.ETag, expectedMultipartEtag([range, small]));
    assert.deepEqual(await getBytes(client, upload.key), Buffer.concat([range, small]));
  });

  test("refuses an invalid x-amz-copy-source-range with InvalidArgument", async () => {
    const sourceKey = freshKey("copy-range-source");
    await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: sourceKey, Body: randomBytes(100) }),
    );
    const upload = await Upload.create(client, freshKey("copy-range"));
    for (const range of ["bytes=10-5", "bytes=0-100", "bytes=-10", "bytes=5-", "items=0-1"]) {
      await rejectsWith(
        client.send(
          new UploadPartCopyCommand({
            Bucket: BUCKET,
            Key: upload.key,
            UploadId: upload.uploadId,
            PartNumber: 1,
            CopySource: `${BUCKET}/${sourceKey}`,
            CopySourceRange: range,
          }),
        ),
        {
          status: 400,
          code: "InvalidArgument",
          message: "Range specified is not valid for source object of size: 100",
          fields: { ArgumentName: "x-amz-copy-source-range", ArgumentValue: range },
        },
      );
    }
    assert.deepEqual(await upload.listed(), []);
  });
});

describe("part bodies and their checksums", () => {
  test("takes aws-chunked part bodies with CRC32 trailers from the SDK's default checksum mode", async () => {
    const defaults = sdkClient(r2.url, "SDK default");
    const sent = recordRequests(defaults);
    try {
      const upload = await Upload.create(defaults, freshKey("chunked"));
      const bodies = [randomBytes(MIN_PART + 17), randomBytes(MIN_PART)];
      const parts: CompletedPart[] = [];
      for (const [i, body] of bodies.entries()) {
        // A stream body: the SDK sends it aws-chunked, the CRC32 in a trailer.
        const result = await defaults.send(
          new UploadPartCommand({
            Bucket: BUCKET,
            Key: upload.key,
            UploadId: upload.uploadId,
            PartNumber: i + 1,
            Body: Readable.from([body.subarray(0, 1_000_000), body.subarray(1_000_000)]),
            ContentLength: body.length,
          }),
        );
        const request = sent.at(-1) ?? {};
        assert.equal(request["content-encoding"], "aws-chunked");
        assert.equal(request["x-amz-trailer"], "x-amz-checksum-crc32");
        assert.equal(result.ETag, `"${md5Hex(body)}"`);
        assert.equal(result.ChecksumCRC32, crc32Base64(body));
        parts.push({ PartNumber: i + 1, ETag: result.ETag, ChecksumCRC32: result.ChecksumCRC32 });
      }
      const listed = await upload.listParts();
      assert.deepEqual(
        (listed.Parts ?? []).map((p) => [p.PartNumber, p.Size, p.ChecksumCRC32]),
        bodies.map((b, i) => [i + 1, b.length, crc32Base64(b)]),
      );
      assert.equal(
        (await upload.complete(parts.map((p) => ({ ...p })))).ETag,
        expectedMultipartEtag(bodies),
      );
      assert.deepEqual(await getBytes(client, upload.key), Buffer.concat(bodies));
    } finally {
      defaults.destroy();
    }
  });

  test("refuses a part whose Content-MD5 or x-amz-checksum-crc32 does not match with BadDigest, storing nothing", async () => {
    const upload = await Upload.create(client, freshKey("bad-digest"));
    const good = randomBytes(1000);
    const goodPart = await upload.part(1, good);
    const blobsBefore = blobFiles(r2.dataDir).length;
    const other = randomBytes(1000);
    const base = { Bucket: BUCKET, Key: upload.key, UploadId: upload.uploadId };

    await rejectsWith(
      client.send(
        new UploadPartCommand({
          ...base,
          PartNumber: 1,
          Body: other,
          ContentMD5: createHash("md5").update(good).digest("base64"),
        }),
      ),
      {
        status: 400,
        code: "BadDigest",
        message: "The Content-MD5 you specified did not match what we received.",
      },
    );
    await rejectsWith(
      client.send(
        new UploadPartCommand({
          ...base,
          PartNumber: 1,
          Body: other,
          ChecksumCRC32: crc32Base64(good),
        }),
      ),
      {
        status: 400,
        code: "BadDigest",
        message: "The CRC32 you specified did not match the calculated checksum.",
      },
    );
    await rejectsWith(
      client.send(
        new UploadPartCommand({
          ...base,
          PartNumber: 2,
          Body: other,
          ChecksumCRC32: crc32Base64(good),
        }),
      ),
      { status: 400, code: "BadDigest" },
    );
    // An aws-chunked body whose trailer names another CRC32.
    const chunked = Buffer.concat([
      Buffer.from(`${other.length.toString(16)}\r\n`),
      other,
      Buffer.from(`\r\n0\r\nx-amz-checksum-crc32:${crc32Base64(good)}\r\n\r\n`),
    ]);
    const trailed = await signedFetch(
      "PUT",
      `${r2.url}/${BUCKET}/${upload.key}?partNumber=3&uploadId=${upload.uploadId}`,
      {
        headers: {
          "content-encoding": "aws-chunked",
          "x-amz-decoded-content-length": String(other.length),
          "x-amz-trailer": "x-amz-checksum-crc32",
        },
        payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        body: chunked,
      },
    );
    await answersWith(trailed, {
      status: 400,
      code: "BadDigest",
      message: "The CRC32 you specified did not match the calculated checksum.",
    });

    // Part 1 is still the good one; parts 2 and 3 do not exist; nothing was left on disk.
    const listed = await upload.listParts();
    assert.deepEqual(
      (listed.Parts ?? []).map((p) => [p.PartNumber, p.ETag]),
      [[1, goodPart.ETag]],
    );
    assert.equal(blobFiles(r2.dataDir).length, blobsBefore, "a refused part left a blob");
    assert.deepEqual(temporaryFiles(r2.dataDir), [], "a refused part left a temporary file");
  });
});
