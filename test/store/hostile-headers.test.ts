/**
 * No request takes the store down, whatever its header values hold. Every byte value
 * 0x00-0xFF and a set of strings outside Latin-1 go through every `response-*` parameter
 * of a presigned GET and every header an object stores; each is answered (stored, or
 * refused with S3's `400 InvalidArgument` naming the header), and the store still answers
 * afterwards. A response Node refuses to write fails that request only, and says why.
 */
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { createServer, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { after, before, describe, it } from "node:test";
import {
  ALGORITHM,
  canonicalHeaders,
  canonicalRequest,
  credentialScope,
  presign,
  sign,
  signingKey,
  stringToSign,
  toAmzDate,
} from "@sluice/sigv4";
import { nodeListener } from "@sluice/store";
import {
  CREDENTIALS,
  parseError,
  parseRaw,
  rawExchange,
  signedFetch,
  startStore,
  type TestStore,
} from "./helpers.js";

const BUCKET = "hostile-headers";
const KEY = "file.txt";
const BODY = "hello";

const RESPONSE_PARAMETERS = [
  "response-content-type",
  "response-content-language",
  "response-expires",
  "response-cache-control",
  "response-content-disposition",
  "response-content-encoding",
] as const;

const STORED_HEADERS = [
  "content-type",
  "cache-control",
  "content-disposition",
  "content-encoding",
  "content-language",
  "expires",
  "x-amz-meta-note",
] as const;

/** Text outside Latin-1: CJK, emoji (a surrogate pair), Cyrillic, a right-to-left mark. */
const NON_LATIN1 = ["报告.pdf", "📄 notes", "отчёт", "a\u200fb", "\u2028", "Ā"];

let server: TestStore;

before(async () => {
  server = await startStore();
  const created = await signedFetch("PUT", `${server.url}/${BUCKET}`);
  assert.equal(created.status, 200);
  const put = await signedFetch("PUT", `${server.url}/${BUCKET}/${KEY}`, { body: BODY });
  assert.equal(put.status, 200);
});

after(async () => {
  await server.close();
});

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  readonly body: string;
}

/** A GET through node:http, whose raw headers show the bytes as sent (latin1). */
function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

function presignedGet(query: string): string {
  return presign({
    method: "GET",
    url: `${server.url}/${BUCKET}/${KEY}?${query}`,
    credentials: CREDENTIALS,
    region: "auto",
    expiresIn: 300,
  }).url;
}

async function stillAnswers(): Promise<void> {
  const response = await signedFetch("GET", `${server.url}/${BUCKET}/${KEY}`);
  assert.equal(response.status, 200);
  assert.equal(await response.text(), BODY);
}

function rawHeader(answer: Answer, name: string): string | undefined {
  for (let i = 0; i + 1 < answer.rawHeaders.length; i += 2) {
    if ((answer.rawHeaders[i] as string).toLowerCase() === name) return answer.rawHeaders[i + 1];
  }
  return undefined;
}

function assertInvalidArgument(answer: Answer, argument: string, what: string): void {
  assert.equal(answer.status, 400, `${what}: ${answer.status} ${answer.body}`);
  const error = parseError(answer.body);
  assert.equal(error.code, "InvalidArgument", what);
  assert.equal(error.fields.ArgumentName, argument, what);
}

const isPrintableAscii = (byte: number) => byte === 0x09 || (byte >= 0x20 && byte <= 0x7e);
const hex = (byte: number) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;

describe("response-* overrides", () => {
  for (const parameter of RESPONSE_PARAMETERS) {
    it(`${parameter}: every byte 0x00-0xFF, sent as that byte and as that code point, is sent back or refused with 400 InvalidArgument`, async () => {
      const header = parameter.slice("response-".length);
      for (let byte = 0; byte <= 0xff; byte++) {
        const encodings = [hex(byte), encodeURIComponent(String.fromCharCode(byte))];
        for (const encoded of new Set(encodings)) {
          const what = `${parameter} with ${encoded}`;
          const answer = await get(presignedGet(`${parameter}=a${encoded}b`));
          if (isPrintableAscii(byte)) {
            assert.equal(answer.status, 200, `${what}: ${answer.body}`);
            assert.equal(rawHeader(answer, header), `a${String.fromCharCode(byte)}b`.trim(), what);
          } else {
            assertInvalidArgument(answer, parameter, what);
          }
        }
      }
      await stillAnswers();
    });

    it(`${parameter}: text outside Latin-1 is refused with 400 InvalidArgument`, async () => {
      for (const text of NON_LATIN1) {
        const answer = await get(presignedGet(`${parameter}=${encodeURIComponent(text)}`));
        assertInvalidArgument(answer, parameter, `${parameter}=${text}`);
      }
      await stillAnswers();
    });
  }

  it("carries a file name outside ASCII as RFC 8187's filename*, with an ASCII fallback", async () => {
    const cases: [string, string][] = [
      [
        'attachment; filename="报告.pdf"',
        `attachment; filename="__.pdf"; filename*=UTF-8''%E6%8A%A5%E5%91%8A.pdf`,
      ],
      ["inline; filename=café.txt", `inline; filename="caf_.txt"; filename*=UTF-8''caf%C3%A9.txt`],
      [
        'attachment; filename="📄 a\\"b.txt"; size=5',
        `attachment; filename="__ a_b.txt"; filename*=UTF-8''%F0%9F%93%84%20a%22b.txt; size=5`,
      ],
    ];
    for (const [sent, expected] of cases) {
      const answer = await get(
        presignedGet(`response-content-disposition=${encodeURIComponent(sent)}`),
      );
      assert.equal(answer.status, 200, `${sent}: ${answer.body}`);
      assert.equal(rawHeader(answer, "content-disposition"), expected);
    }
  });

  it("refuses a non-ASCII disposition that is not a file name, and a file name with a control character", async () => {
    for (const sent of [
      "附件; filename=a.txt",
      'attachment; name="名"',
      "attachment; filename*=UTF-8''a.txt; filename=\"é\"",
      'attachment; filename="é\u0001"',
    ]) {
      const answer = await get(
        presignedGet(`response-content-disposition=${encodeURIComponent(sent)}`),
      );
      assertInvalidArgument(answer, "response-content-disposition", sent);
    }
    await stillAnswers();
  });
});

/**
 * Header auth for a PUT of "x" that signs `name: value` whatever the value holds (the
 * project's signer refuses, rightly, what no HTTP client can send).
 */
function signedWith(path: string, name: string, value: string): Record<string, string> {
  const amzDate = toAmzDate(new Date());
  const headers: Record<string, string> = {
    host: new URL(server.url).host,
    "x-amz-content-sha256": createHash("sha256").update("x").digest("hex"),
    "x-amz-date": amzDate,
    [name]: value,
  };
  const names = Object.keys(headers).sort();
  const scope = credentialScope(amzDate.slice(0, 8), "auto", "s3");
  const canonical = canonicalRequest({
    method: "PUT",
    canonicalUri: path,
    canonicalQuery: "",
    canonicalHeaders: canonicalHeaders(headers, names),
    signedHeaders: names.join(";"),
    payloadHash: headers["x-amz-content-sha256"] as string,
  });
  const key = signingKey(CREDENTIALS.secretAccessKey, amzDate.slice(0, 8), "auto", "s3");
  const signature = createHmac("sha256", key)
    .update(stringToSign(amzDate, scope, canonical))
    .digest("hex");
  headers.authorization = `${ALGORITHM} Credential=${CREDENTIALS.accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`;
  return headers;
}

describe("stored headers", () => {
  /** A signed PUT written as raw bytes, the header value as latin1 (one byte per char). */
  async function putWith(name: string, value: string, key: string) {
    const headers = signedWith(`/${BUCKET}/${key}`, name, value);
    const lines = [`PUT /${BUCKET}/${key} HTTP/1.1`];
    for (const [n, v] of Object.entries(headers)) lines.push(`${n}: ${v}`);
    lines.push("content-length: 1", "connection: close");
    const bytes = Buffer.from(`${lines.join("\r\n")}\r\n\r\nx`, "latin1");
    return parseRaw(await rawExchange(server.port, bytes));
  }

  for (const name of STORED_HEADERS) {
    it(`${name}: every byte 0x00-0xFF is stored and sent back byte for byte, or refused with 400`, async () => {
      for (let byte = 0; byte <= 0xff; byte++) {
        // CR and LF would end the header line; they are not a value's bytes.
        if (byte === 0x0a || byte === 0x0d) continue;
        const value = `a${String.fromCharCode(byte)}b`;
        const key = `stored-${name}-${byte}`;
        const what = `${name} with byte 0x${byte.toString(16)}`;
        const put = await putWith(name, value, key);
        if (put.status !== 200) {
          // Node's HTTP parser refuses control characters before the store sees them.
          assert.equal(put.status, 400, `${what}: ${put.raw}`);
          assert.ok(byte < 0x20 || byte === 0x7f, `${what} was refused: ${put.body}`);
          continue;
        }
        const answer = await get(
          `${server.url}/${BUCKET}/${key}`,
          sign({
            method: "GET",
            url: `${server.url}/${BUCKET}/${key}`,
            credentials: CREDENTIALS,
            region: "auto",
          }).headers,
        );
        assert.equal(answer.status, 200, what);
        // Content-Encoding is a list (aws-chunked is taken out of it): kept as one.
        const expected = name === "content-encoding" && byte === 0x2c ? "a, b" : value;
        assert.equal(rawHeader(answer, name), expected, what);
      }
      await stillAnswers();
    });

    it(`${name}: text outside Latin-1, sent as UTF-8 bytes, comes back as the same bytes`, async () => {
      for (const [i, text] of NON_LATIN1.entries()) {
        const latin1 = Buffer.from(text, "utf8").toString("latin1");
        const key = `utf8-${name}-${i}`;
        const put = await putWith(name, latin1, key);
        assert.equal(put.status, 200, `${text}: ${put.raw}`);
        const answer = await get(
          `${server.url}/${BUCKET}/${key}`,
          sign({
            method: "GET",
            url: `${server.url}/${BUCKET}/${key}`,
            credentials: CREDENTIALS,
            region: "auto",
          }).headers,
        );
        assert.equal(answer.status, 200);
        assert.equal(Buffer.from(rawHeader(answer, name) ?? "", "latin1").toString("utf8"), text);
      }
      await stillAnswers();
    });
  }

  it("refuses, through the in-process handler, a control character HTTP itself would have stopped", async () => {
    for (const name of STORED_HEADERS) {
      for (let byte = 1; byte < 0x20; byte++) {
        if (byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
        const value = `a${String.fromCharCode(byte)}b`;
        const headers = signedWith(`/${BUCKET}/in-process`, name, value);
        const response = await server.store.handler(
          new Request(`${server.url}/${BUCKET}/in-process`, { method: "PUT", headers, body: "x" }),
        );
        const text = await response.text();
        assert.equal(response.status, 400, `${name} 0x${byte.toString(16)}: ${text}`);
        const error = parseError(text);
        assert.equal(error.code, "InvalidArgument");
        assert.equal(error.fields.ArgumentName, name);
      }
    }
    const listed = await signedFetch(
      "GET",
      `${server.url}/${BUCKET}?list-type=2&prefix=in-process`,
    );
    assert.doesNotMatch(await listed.text(), /<Key>in-process<\/Key>/);
  });
});

describe("the Node adapter", () => {
  it("answers 500 when Node refuses a response's headers, reports why, and keeps serving", async () => {
    const errors: unknown[] = [];
    const listener = nodeListener(
      async (request) =>
        new URL(request.url).pathname === "/bad"
          ? new Response("never sent", { headers: { "x-bad": "a\u0001b" } })
          : new Response("fine"),
      undefined,
      (error) => errors.push(error),
    );
    const http = createServer(listener);
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    try {
      const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
      const bad = await get(`${base}/bad`);
      assert.equal(bad.status, 500);
      assert.equal(parseError(bad.body).code, "InternalError");
      assert.equal(errors.length, 1);
      assert.equal((errors[0] as NodeJS.ErrnoException).code, "ERR_INVALID_CHAR");
      const good = await get(`${base}/good`);
      assert.equal(good.status, 200);
      assert.equal(good.body, "fine");
    } finally {
      await new Promise((resolve) => http.close(resolve));
    }
  });
  it("lets go of a body whose client went away between two writes", async () => {
    // The body sends one chunk, then waits; the client reads it and hangs up; only then is
    // the second chunk written, to a response that has already closed. The adapter must
    // stop and cancel the body (a store body holds its blobs until it is cancelled).
    let openGate = () => {};
    const gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    let cancelled = false;
    let pulls = 0;
    const listener = nodeListener(async () => {
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          pulls += 1;
          if (pulls === 1) controller.enqueue(new TextEncoder().encode("first"));
          else if (pulls === 2) {
            await gate;
            controller.enqueue(new TextEncoder().encode("second"));
          } else await new Promise(() => {});
        },
        cancel() {
          cancelled = true;
        },
      });
      return new Response(body);
    });
    const http = createServer(listener);
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = http.address() as AddressInfo;
      const client = connect(port, "127.0.0.1");
      client.write("GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      await new Promise<void>((resolve) => {
        let seen = "";
        client.on("data", (chunk) => {
          seen += chunk.toString("latin1");
          if (seen.includes("first")) resolve();
        });
      });
      client.destroy();
      await new Promise((resolve) => setTimeout(resolve, 200));
      openGate();
      const deadline = Date.now() + 3_000;
      while (!cancelled && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.ok(cancelled, "the body was never cancelled");
    } finally {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
  });
});
