/**
 * Every XML body the store reads (DeleteObjects, CompleteMultipartUpload, PutBucketCors,
 * CreateBucket's configuration) is decoded as UTF-8 with errors fatal, capped by size
 * before a byte is read, and refused when nested deeper than S3's documents ever are,
 * before it is parsed. Each refusal leaves everything as it was.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  errorOf,
  parseError,
  parseRaw,
  rawExchange,
  signedFetch,
  signedRawRequest,
  startStore,
  type TestStore,
} from "./helpers.js";

const BUCKET = "xml-bodies";
const md5 = (bytes: Buffer | string) => createHash("md5").update(bytes).digest("base64");
/** `caf` and the Latin-1 byte of `é`: not UTF-8. */
const NOT_UTF8 = Buffer.from([0x63, 0x61, 0x66, 0xe9]);
const REPLACED_KEY = "caf\uFFFD";

let server: TestStore;
let uploadId: string;

before(async () => {
  server = await startStore();
  assert.equal((await signedFetch("PUT", `${server.url}/${BUCKET}`)).status, 200);
  const put = await signedFetch(
    "PUT",
    `${server.url}/${BUCKET}/${encodeURIComponent(REPLACED_KEY)}`,
    {
      body: "kept",
    },
  );
  assert.equal(put.status, 200);
  const created = await signedFetch("POST", `${server.url}/${BUCKET}/big?uploads`);
  uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(await created.text())?.[1] ?? "";
  assert.notEqual(uploadId, "");
});

after(async () => {
  await server.close();
});

const xml = (before: string, after: string) =>
  Buffer.concat([Buffer.from(before), NOT_UTF8, Buffer.from(after)]);

async function assertRefused(response: Response, code: string): Promise<void> {
  const error = await errorOf(response);
  assert.equal(response.status, 400, `${error.code}: ${error.message}`);
  assert.equal(error.code, code);
}

async function stillThere(): Promise<void> {
  const kept = await signedFetch(
    "GET",
    `${server.url}/${BUCKET}/${encodeURIComponent(REPLACED_KEY)}`,
  );
  assert.equal(kept.status, 200);
  assert.equal(await kept.text(), "kept");
  const parts = await signedFetch("GET", `${server.url}/${BUCKET}/big?uploadId=${uploadId}`);
  assert.equal(parts.status, 200, "the upload is still open");
}

describe("XML bodies that are not UTF-8", () => {
  it("DeleteObjects: 400 MalformedXML, and the key U+FFFD would have named is not deleted", async () => {
    const body = xml("<Delete><Object><Key>", "</Key></Object></Delete>");
    const response = await signedFetch("POST", `${server.url}/${BUCKET}?delete`, {
      body,
      headers: { "content-md5": md5(body) },
    });
    await assertRefused(response, "MalformedXML");
    await stillThere();
  });

  it("PutBucketCors: 400 MalformedXML, and no configuration is stored", async () => {
    const body = xml(
      "<CORSConfiguration><CORSRule><AllowedOrigin>https://",
      ".example</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
    );
    const response = await signedFetch("PUT", `${server.url}/${BUCKET}?cors`, {
      body,
      headers: { "content-md5": md5(body) },
    });
    await assertRefused(response, "MalformedXML");
    const cors = await signedFetch("GET", `${server.url}/${BUCKET}?cors`);
    assert.equal(cors.status, 404);
  });

  it("CompleteMultipartUpload: 400 MalformedXML, and the upload stays open", async () => {
    const body = xml(
      "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>",
      "</ETag></Part></CompleteMultipartUpload>",
    );
    const response = await signedFetch("POST", `${server.url}/${BUCKET}/big?uploadId=${uploadId}`, {
      body,
    });
    await assertRefused(response, "MalformedXML");
    await stillThere();
  });

  it("CreateBucket: 400 MalformedXML, and no bucket is made", async () => {
    const body = xml(
      "<CreateBucketConfiguration><LocationConstraint>",
      "</LocationConstraint></CreateBucketConfiguration>",
    );
    const response = await signedFetch("PUT", `${server.url}/not-utf8`, { body });
    await assertRefused(response, "MalformedXML");
    assert.equal((await signedFetch("HEAD", `${server.url}/not-utf8`)).status, 404);
  });

  it("CreateBucket: a body that is not a CreateBucketConfiguration is MalformedXML", async () => {
    const response = await signedFetch("PUT", `${server.url}/not-a-config`, {
      body: "<Delete/>",
    });
    await assertRefused(response, "MalformedXML");
    assert.equal((await signedFetch("HEAD", `${server.url}/not-a-config`)).status, 404);
  });
});

describe("XML bodies capped before they are read", () => {
  for (const [what, method, path, cap] of [
    ["DeleteObjects", "POST", `/${BUCKET}?delete`, 2 * 1024 * 1024],
    ["CompleteMultipartUpload", "POST", `/${BUCKET}/big?uploadId=UPLOAD`, 2 * 1024 * 1024],
    ["PutBucketCors", "PUT", `/${BUCKET}?cors`, 64 * 1024],
    ["CreateBucket", "PUT", "/too-big-config", 64 * 1024],
  ] as const) {
    it(`${what}: a declared length over ${cap} bytes is 400 MaxMessageLengthExceeded, answered without the body`, async () => {
      const url = `${server.url}${path.replace("UPLOAD", uploadId)}`;
      // Only the headers go out: the answer must not wait for the body.
      const request = signedRawRequest(method, url, {
        payloadHash: "UNSIGNED-PAYLOAD",
        headers: { "content-md5": md5("") },
        extraHeaders: [["content-length", String(cap + 1)]],
      });
      const answer = parseRaw(await rawExchange(server.port, request, { timeoutMs: 3_000 }));
      assert.equal(answer.status, 400, answer.raw);
      assert.equal(parseError(answer.body).code, "MaxMessageLengthExceeded");
      await stillThere();
    });
  }
});

describe("XML bodies nested deeper than S3's documents", () => {
  it("CompleteMultipartUpload of 100,000 nested elements is MalformedXML, decided before the parse", async () => {
    const depth = 100_000;
    const body = `<CompleteMultipartUpload>${"<a>".repeat(depth)}${"</a>".repeat(depth)}</CompleteMultipartUpload>`;
    const response = await signedFetch("POST", `${server.url}/${BUCKET}/big?uploadId=${uploadId}`, {
      body,
    });
    await assertRefused(response, "MalformedXML");
    await stillThere();
  });

  it("DeleteObjects nested deeply is MalformedXML, and deletes nothing", async () => {
    const body = `<Delete><Object><Key>${REPLACED_KEY}</Key></Object>${"<a>".repeat(50)}${"</a>".repeat(50)}</Delete>`;
    const response = await signedFetch("POST", `${server.url}/${BUCKET}?delete`, {
      body,
      headers: { "content-md5": md5(body) },
    });
    await assertRefused(response, "MalformedXML");
    await stillThere();
  });

  it("a document as S3's clients write it still reads (comments, a declaration, quoted '>')", async () => {
    const body = `<?xml version="1.0" encoding="UTF-8"?><!-- <a><a><a> --><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/" x='a>b'><Quiet>true</Quiet><Object><Key>absent</Key></Object></Delete>`;
    const response = await signedFetch("POST", `${server.url}/${BUCKET}?delete`, {
      body,
      headers: { "content-md5": md5(body) },
    });
    assert.equal(response.status, 200, await response.clone().text());
  });
});
