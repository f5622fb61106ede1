/**
 * `sluice presign` and `sluice explain` against the embedded store. The URLs come from
 * Sluice's presigner and from `@aws-sdk/s3-request-presigner` (its defaults and with
 * checksums off); the error documents are the store's real answers. `explain` must name
 * the difference in each case, and exit 1 exactly when the request fails or would.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { PutObjectCommand, S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { presign } from "@sluice/sigv4";
import { CREDENTIALS, sluice, startStore, type TestStore, userEnv, workdir } from "./helpers.js";

const BUCKET = "explain";
const BODY = "hello";

let server: TestStore;
/** A second store that holds another secret for the same access key id. */
let otherSecret: TestStore;

before(async () => {
  server = await startStore();
  await server.bucket(BUCKET);
  otherSecret = await startStore({
    accessKeyId: CREDENTIALS.accessKeyId,
    secretAccessKey: "the-store-was-given-another-secret",
  });
});

after(async () => {
  await server?.close();
  await otherSecret?.close();
});

/** A Sluice presigned PUT binding Content-Type (and Content-Length when given). */
function sluiceUrl(
  key: string,
  options: {
    length?: number;
    region?: string;
    signingDate?: Date;
    expiresIn?: number;
    endpoint?: string;
  } = {},
): string {
  return presign({
    method: "PUT",
    url: `${options.endpoint ?? server.url}/${BUCKET}/${key}`,
    headers: {
      "content-type": "image/jpeg",
      ...(options.length !== undefined ? { "content-length": options.length } : {}),
    },
    credentials: CREDENTIALS,
    region: options.region ?? "auto",
    expiresIn: options.expiresIn ?? 300,
    ...(options.signingDate ? { signingDate: options.signingDate } : {}),
  }).url;
}

function sdkUrl(key: string, config: Partial<S3ClientConfig> = {}): Promise<string> {
  const client = new S3Client({
    endpoint: server.url,
    region: "auto",
    credentials: CREDENTIALS,
    forcePathStyle: true,
    ...config,
  });
  return getSignedUrl(
    client,
    new PutObjectCommand({ Bucket: BUCKET, Key: key, ContentType: "image/jpeg" }),
    {
      expiresIn: 300,
    },
  );
}

/** PUTs `BODY` with these headers; the store's status and body. */
async function put(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { method: "PUT", headers, body: BODY });
  return { status: response.status, body: await response.text() };
}

/** Writes the store's error answer where `sluice explain --error` reads it. */
function errorFile(body: string): { cwd: string; file: string } {
  const cwd = workdir();
  writeFileSync(join(cwd, "error.xml"), body);
  return { cwd, file: "error.xml" };
}

const explain = (...args: string[]) => sluice(["explain", ...args]);

describe("sluice presign", { concurrency: true }, () => {
  const storage = () => ["--endpoint-url", server.url, "--bucket", BUCKET];

  it("prints a PUT URL that binds the type and size, and the exact headers; the store takes it", async () => {
    const result = await sluice([
      "presign",
      "put",
      ...storage(),
      "--key",
      "photos/cat 1.jpg",
      "--content-type",
      "image/jpeg",
      "--content-length",
      String(BODY.length),
      "--expires-in",
      "120",
      "--json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const presigned = JSON.parse(result.stdout);
    assert.equal(presigned.method, "PUT");
    assert.match(
      presigned.url,
      /\/explain\/photos\/cat%201\.jpg\?X-Amz-Algorithm=AWS4-HMAC-SHA256&/,
    );
    assert.match(presigned.url, /X-Amz-Expires=120&/);
    assert.deepEqual(presigned.headers, { "content-length": "5", "content-type": "image/jpeg" });
    assert.deepEqual(presigned.signedHeaders, ["content-length", "content-type", "host"]);

    const { "content-length": _length, ...headers } = presigned.headers;
    assert.equal((await put(presigned.url, headers)).status, 200);
    const refused = await put(presigned.url, { "content-type": "image/png" });
    assert.equal(refused.status, 403);
    assert.match(refused.body, /SignatureDoesNotMatch/);
  });

  it("prints the URL first, then the headers to send and a curl line", async () => {
    const result = await sluice([
      "presign",
      "put",
      ...storage(),
      "--key",
      "a.png",
      "--content-type",
      "image/png",
      "--header",
      "If-None-Match: *",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const [url] = result.stdout.split("\n");
    assert.match(url ?? "", /^http:\/\/127\.0\.0\.1:\d+\/explain\/a\.png\?X-Amz-Algorithm=/);
    assert.match(
      result.stdout,
      /send exactly these headers \(each is signed\):\n {2}content-type: image\/png\n {2}if-none-match: \*/,
    );
    assert.match(result.stdout, /! the size is not bound/);
    assert.match(
      result.stdout,
      /try: curl --fail-with-body -T FILE -H 'content-type: image\/png' -H 'if-none-match: \*' 'http/,
    );
  });

  it("prints a GET URL that works", async () => {
    const api = await server.bucket("presign-get");
    await api.putObject("notes.txt", "the notes");
    const result = await sluice([
      "presign",
      "get",
      "--endpoint-url",
      server.url,
      "--bucket",
      "presign-get",
      "--key",
      "notes.txt",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const url = result.stdout.split("\n")[0] ?? "";
    const response = await fetch(url);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), "the notes");
  });

  it("refuses what it cannot presign, with exit 2", async () => {
    const cases: [string[], RegExp][] = [
      [["presign", "put", ...storage()], /give the object: --key KEY/],
      [["presign", "post", ...storage(), "--key", "k"], /presign put or get, not post/],
      [
        ["presign", "put", ...storage(), "--key", "k", "--expires-in", "604801"],
        /--expires-in must be a whole number of seconds from 1 to 604800/,
      ],
      [
        ["presign", "get", ...storage(), "--key", "k", "--content-type", "image/png"],
        /bind an upload: use them with put/,
      ],
      [
        ["presign", "put", ...storage(), "--key", "k", "--content-length", "12kb"],
        /--content-length must be a number of bytes/,
      ],
      [["presign", "put", "--bucket", BUCKET, "--key", "k"], /no endpoint: give --endpoint-url/],
    ];
    for (const [args, message] of cases) {
      const result = await sluice(args);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
  });
});

describe("sluice explain names the difference", { concurrency: true }, () => {
  it("wrong content type: the URL was signed for image/jpeg, the request sent image/png", async () => {
    const url = sluiceUrl("type.jpg");
    const result = await explain(url, "--header", "Content-Type: image/png");
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stdout, /binds the headers: content-type, host/);
    assert.match(
      result.stdout,
      /✗ the signature does not match: the request's Content-Type is "image\/png" but the URL was signed for "image\/jpeg"/,
    );

    // The store's own answer, with the URL: the server's view, then the same cause.
    const answer = await put(url, { "content-type": "image/png" });
    assert.equal(answer.status, 403);
    const { cwd, file } = errorFile(answer.body);
    const withError = await sluice(["explain", "--error", file, url], { cwd });
    assert.equal(withError.code, 1);
    assert.match(withError.stdout, /What the server signed \(its canonical request\):/);
    assert.match(withError.stdout, / {2}method: {2}PUT/);
    assert.match(withError.stdout, / {4}content-type: image\/png\n {4}host: 127\.0\.0\.1:\d+/);
    assert.match(
      withError.stdout,
      /the request's Content-Type is "image\/png" but the URL was signed for "image\/jpeg"/,
    );
  });

  it("wrong content length: the URL binds the size, the request sent another", async () => {
    const url = sluiceUrl("length.jpg", { length: 5 });
    const ok = await explain(
      url,
      "--header",
      "Content-Type: image/jpeg",
      "--header",
      "Content-Length: 5",
    );
    assert.equal(ok.code, 0, ok.stdout);
    assert.match(ok.stdout, /✓ the signature verifies for this request/);
    const result = await explain(
      url,
      "--header",
      "Content-Type: image/jpeg",
      "--header",
      "Content-Length: 6",
    );
    assert.equal(result.code, 1, result.stdout);
    assert.match(
      result.stdout,
      /most likely the size — the URL binds Content-Length, and the request sent 6 bytes, so a file of another size needs a new URL/,
    );
    const missing = await explain(url, "--header", "Content-Type: image/jpeg");
    assert.equal(missing.code, 1);
    assert.match(
      missing.stdout,
      /the signature covers content-length, but the request does not send it/,
    );
  });

  it("expired: when, and for how long it was valid", async () => {
    const url = sluiceUrl("expired.jpg", {
      signingDate: new Date(Date.now() - 3_600_000),
      expiresIn: 60,
    });
    const result = await explain(url, "--header", "Content-Type: image/jpeg");
    assert.equal(result.code, 1);
    assert.match(result.stdout, /✗ the URL expired at \S+ \(signed \S+, valid 60 s\); it is now/);
    assert.doesNotMatch(result.stdout, /✗ expired: /);

    const answer = await put(url, { "content-type": "image/jpeg" });
    assert.equal(answer.status, 403);
    const { cwd, file } = errorFile(answer.body);
    const withError = await sluice(["explain", "--error", file], { cwd });
    assert.equal(withError.code, 1);
    assert.match(withError.stdout, /The answer: ExpiredRequest: Request has expired/);
    assert.match(
      withError.stdout,
      /✗ the URL expired at \S+; the server's time was \S+ \(it was valid 60 s\)/,
    );
  });

  it("tampered key: no difference in the request explains it, so the URL was changed", async () => {
    const url = sluiceUrl("mine.jpg").replace("/mine.jpg?", "/yours.jpg?");
    const result = await explain(url, "--header", "Content-Type: image/jpeg");
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      /the URL was changed after it was signed — its key \(path \/explain\/yours\.jpg\)/,
    );

    // A URL that binds only host is checked without any request: it verifies for no method.
    const sdk = (await sdkUrl("mine.jpg", { requestChecksumCalculation: "WHEN_REQUIRED" })).replace(
      "/mine.jpg?",
      "/yours.jpg?",
    );
    const alone = await explain(sdk);
    assert.equal(alone.code, 1);
    assert.match(
      alone.stdout,
      /✗ the signature matches this URL for no method: the URL was changed after it was signed — its key \(path \/explain\/yours\.jpg\)/,
    );
  });

  it("extra header sent: an x-amz-* header the URL does not sign", async () => {
    const url = sluiceUrl("extra.jpg");
    const result = await explain(
      url,
      "--header",
      "Content-Type: image/jpeg",
      "--header",
      "x-amz-meta-note: hi",
    );
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      /✗ the request sends x-amz-meta-note, which the URL does not sign: S3 refuses unsigned x-amz-\* headers/,
    );

    const answer = await put(url, { "content-type": "image/jpeg", "x-amz-meta-note": "hi" });
    assert.equal(answer.status, 403);
    const { cwd, file } = errorFile(answer.body);
    const withError = await sluice(["explain", "--error", file], { cwd });
    assert.equal(withError.code, 1);
    assert.match(
      withError.stdout,
      /✗ the request sent x-amz-meta-note, which the signature does not cover/,
    );
  });

  it("wrong region: signed for eu-west-1 where the store expects auto", async () => {
    const url = sluiceUrl("region.jpg", { region: "eu-west-1" });
    const result = await explain(url, "--header", "Content-Type: image/jpeg");
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      /✗ the URL is signed for region eu-west-1, but 127\.0\.0\.1:\d+ expects auto/,
    );
    const r2 = await explain(
      sluiceUrl("region.jpg", {
        region: "eu-west-1",
        endpoint: "https://0123abcd.r2.cloudflarestorage.com",
      }),
    );
    assert.equal(r2.code, 1);
    assert.match(
      r2.stdout,
      /signed for region eu-west-1, but 0123abcd\.r2\.cloudflarestorage\.com expects auto/,
    );
    const flag = await explain(sluiceUrl("region.jpg"), "--region", "us-west-2");
    assert.match(flag.stdout, /signed for region auto, but 127\.0\.0\.1:\d+ expects us-west-2/);

    const answer = await put(url, { "content-type": "image/jpeg" });
    assert.equal(answer.status, 400);
    const { cwd, file } = errorFile(answer.body);
    const withError = await sluice(["explain", "--error", file], { cwd });
    assert.equal(withError.code, 1);
    assert.match(
      withError.stdout,
      /✗ the request was signed for region eu-west-1, and the endpoint expects auto/,
    );
  });

  it("a Content-Type the URL does not bind (the AWS SDK presigner's default): a warning, and the store takes any type", async () => {
    const url = await sdkUrl("unbound.jpg", { requestChecksumCalculation: "WHEN_REQUIRED" });
    const result = await explain(url);
    assert.equal(result.code, 0, result.stdout);
    assert.match(
      result.stdout,
      /! the Content-Type is not bound: the signature covers only host, so a client may upload any type with this URL/,
    );
    assert.match(result.stdout, /✓ the signature is valid for a PUT of this URL/);
    // "Enforce JPEG" enforced nothing: an HTML page goes through.
    assert.equal((await put(url, { "content-type": "text/html" })).status, 200);
  });

  it("the x-amz-checksum-crc32=AAAAAA== the AWS SDK adds by default: every non-empty upload fails", async () => {
    const url = await sdkUrl("crc.jpg");
    assert.match(url, /x-amz-checksum-crc32=AAAAAA%3D%3D/);
    const result = await explain(url, "--header", "Content-Type: image/jpeg");
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      /✗ the URL binds x-amz-checksum-crc32=AAAAAA==, the CRC32 of an EMPTY body/,
    );
    assert.match(result.stdout, /requestChecksumCalculation: "WHEN_REQUIRED"/);

    const answer = await put(url, { "content-type": "image/jpeg" });
    assert.equal(answer.status, 400);
    const { cwd, file } = errorFile(answer.body);
    const withError = await sluice(["explain", "--error", file, url], { cwd });
    assert.equal(withError.code, 1);
    assert.match(withError.stdout, /The answer: BadDigest/);
    assert.match(withError.stdout, /the CRC32 of an EMPTY body/);
  });
});

describe("sluice explain reads the server's side", { concurrency: true }, () => {
  it("lists what the server signed, and exits 1, without any credentials", async () => {
    const answer = await put(sluiceUrl("server-view.jpg"), { "content-type": "image/png" });
    const { cwd, file } = errorFile(answer.body);
    const result = await sluice(["explain", "--error", file], {
      cwd,
      env: userEnv({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }),
    });
    assert.equal(result.code, 1);
    assert.match(result.stdout, /path: {4}\/explain\/server-view\.jpg/);
    assert.match(result.stdout, /X-Amz-SignedHeaders = content-type;host/);
    assert.match(result.stdout, /signed at \d{8}T\d{6}Z, for region auto, service s3/);
    assert.match(
      result.stdout,
      /✗ the signature the request carried is not the one the server computed; set the credentials/,
    );
  });

  it("says when the server holds another secret than the one the client signed with", async () => {
    // The signature is checked before the bucket is looked up: no bucket is needed.
    const url = sluiceUrl("secret.jpg", { endpoint: otherSecret.url });
    const answer = await put(url, { "content-type": "image/jpeg" });
    assert.equal(answer.status, 403);
    assert.match(answer.body, /SignatureDoesNotMatch/);
    const { cwd, file } = errorFile(answer.body);
    const result = await sluice(["explain", "--error", file], { cwd });
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      /✗ your secret gives exactly the signature the request carried for what the server saw: the client signed this very request, so the server holds another secret for SLUICECLITEST/,
    );
  });

  it("reads standard input with --error -, and prints JSON with --json", async () => {
    const url = sluiceUrl("json.jpg");
    const answer = await put(url, { "content-type": "image/png" });
    const result = await sluice(["explain", "--error", "-", url, "--json"], { stdin: answer.body });
    assert.equal(result.code, 1);
    const parsed = JSON.parse(result.stdout);
    assert.equal(parsed.ok, false);
    assert.equal(parsed.error.code, "SignatureDoesNotMatch");
    assert.equal(parsed.serverSaw.method, "PUT");
    assert.deepEqual(parsed.serverSaw.signedHeaders, ["content-type", "host"]);
    assert.deepEqual(parsed.url.signedHeaders, ["content-type", "host"]);
    assert.ok(
      parsed.findings.some(
        (f: { level: string; message: string }) =>
          f.level === "problem" && /signed for "image\/jpeg"/.test(f.message),
      ),
    );
  });

  it("refuses what it cannot read, with exit 2", async () => {
    const none = await explain();
    assert.equal(none.code, 2);
    assert.match(none.stderr, /give a presigned URL, or --error FILE/);
    const notXml = await sluice(["explain", "--error", "-"], { stdin: "Forbidden" });
    assert.equal(notXml.code, 2);
    assert.match(notXml.stderr, /not an S3 <Error> document/);
    const notUrl = await explain("s3://bucket/key");
    assert.equal(notUrl.code, 2);
    assert.match(notUrl.stderr, /not an http\(s\) URL/);
  });
});
