/**
 * Headers the store does not implement are refused, never silently ignored: SSE-C over
 * plain HTTP (S3's 400 InvalidRequest), KMS encryption, object lock, website redirects,
 * and under `r2` tagging (501 NotImplemented, in R2's words under `r2`). And
 * `Expect: 100-continue` is answered `100 Continue` only once the request has been
 * authenticated and checked: a refused request never gets it, and its body is not read.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { sign } from "@sluice/sigv4";
import type { FlavorName } from "@sluice/store";
import {
  CREDENTIALS,
  errorOf,
  parseError,
  parseRaw,
  signedFetch,
  startStore,
  type TestStore,
} from "./helpers.js";

const BUCKET = "refused-headers";
const KEY_B64 = Buffer.alloc(32, 7).toString("base64");

const SSE_C = {
  "x-amz-server-side-encryption-customer-algorithm": "AES256",
  "x-amz-server-side-encryption-customer-key": KEY_B64,
  "x-amz-server-side-encryption-customer-key-md5": "aGVsbG8gd29ybGQgaGVsbG8=",
};

/** Each header refused on a write, with a value a client would send. */
const UNSUPPORTED: readonly [string, string][] = [
  ["x-amz-server-side-encryption", "aws:kms"],
  ["x-amz-server-side-encryption-aws-kms-key-id", "arn:aws:kms:us-east-1:1:key/k"],
  ["x-amz-server-side-encryption-context", "e30="],
  ["x-amz-server-side-encryption-bucket-key-enabled", "true"],
  ["x-amz-object-lock-mode", "COMPLIANCE"],
  ["x-amz-object-lock-retain-until-date", "2030-01-01T00:00:00Z"],
  ["x-amz-object-lock-legal-hold", "ON"],
  ["x-amz-website-redirect-location", "/elsewhere"],
];

for (const flavor of ["r2", "s3"] as const satisfies readonly FlavorName[]) {
  describe(`headers the store does not implement (--flavor ${flavor})`, () => {
    let server: TestStore;
    const region = flavor === "r2" ? "auto" : "us-east-1";
    const url = (key: string, query = "") =>
      `${server.url}/${BUCKET}/${key}${query ? `?${query}` : ""}`;
    const send = (method: string, target: string, headers: Record<string, string>, body?: string) =>
      signedFetch(method, target, { headers, region, ...(body !== undefined ? { body } : {}) });

    before(async () => {
      server = await startStore({ flavor });
      assert.equal((await signedFetch("PUT", `${server.url}/${BUCKET}`, { region })).status, 200);
      assert.equal((await send("PUT", url("source"), {}, "source")).status, 200);
    });
    after(async () => {
      await server.close();
    });

    async function assertAbsent(key: string): Promise<void> {
      assert.equal((await send("HEAD", url(key), {})).status, 404, `${key} was stored`);
    }

    it("SSE-C over plain HTTP: 400 InvalidRequest, the secure-connection message, nothing stored", async () => {
      const put = await send("PUT", url("ssec"), SSE_C, "secret");
      const error = await errorOf(put);
      assert.equal(put.status, 400);
      assert.equal(error.code, "InvalidRequest");
      assert.match(error.message, /must be made over a secure connection/);
      await assertAbsent("ssec");

      const get = await send("GET", url("source"), SSE_C);
      assert.equal(get.status, 400, "a read with a customer key is refused as well");
      const copy = await send("PUT", url("ssec-copy"), {
        "x-amz-copy-source": `${BUCKET}/source`,
        "x-amz-copy-source-server-side-encryption-customer-algorithm": "AES256",
      });
      assert.equal(copy.status, 400);
      await assertAbsent("ssec-copy");
    });

    it("SSE-C over TLS (an https request handed to the handler): 501 NotImplemented", async () => {
      const target = url("ssec-tls").replace(/^http:/, "https:");
      const signed = sign({
        method: "PUT",
        url: target,
        credentials: CREDENTIALS,
        region,
        headers: SSE_C,
        body: "secret",
      });
      const response = await server.store.handler(
        new Request(target, { method: "PUT", headers: signed.headers, body: "secret" }),
      );
      const error = parseError(await response.text());
      assert.equal(response.status, 501);
      assert.equal(error.code, "NotImplemented");
      await assertAbsent("ssec-tls");
    });

    for (const [name, value] of UNSUPPORTED) {
      it(`${name}: 501 NotImplemented on PutObject, CopyObject and CreateMultipartUpload, nothing stored`, async () => {
        const attempts: [string, string, Record<string, string>, string | undefined][] = [
          ["PUT", url("put"), { [name]: value }, "body"],
          [
            "PUT",
            url("copy"),
            { [name]: value, "x-amz-copy-source": `${BUCKET}/source` },
            undefined,
          ],
          ["POST", url("mpu", "uploads"), { [name]: value }, undefined],
        ];
        for (const [method, target, headers, body] of attempts) {
          const response = await send(method, target, headers, body);
          const error = await errorOf(response);
          assert.equal(response.status, 501, `${method} ${target}: ${error.message}`);
          assert.equal(error.code, "NotImplemented");
          if (flavor === "r2") {
            assert.equal(error.message, `Header '${name}' with value '${value}' not implemented`);
          } else {
            assert.equal(error.fields.Header, name);
          }
        }
        await assertAbsent("put");
        await assertAbsent("copy");
        const uploads = await send("GET", `${server.url}/${BUCKET}?uploads`, {});
        assert.doesNotMatch(await uploads.text(), /<Key>mpu<\/Key>/);
      });
    }

    it("x-amz-server-side-encryption: AES256 (encryption at rest) is accepted", async () => {
      const put = await send(
        "PUT",
        url("sse-s3"),
        { "x-amz-server-side-encryption": "AES256" },
        "x",
      );
      assert.equal(put.status, 200);
    });

    it(
      flavor === "r2"
        ? "x-amz-tagging: 501 NotImplemented, as R2 lists it"
        : "x-amz-tagging: accepted, as S3 accepts it",
      async () => {
        const put = await send("PUT", url("tagged"), { "x-amz-tagging": "a=b" }, "x");
        if (flavor === "r2") {
          const error = await errorOf(put);
          assert.equal(put.status, 501);
          assert.equal(error.message, "Header 'x-amz-tagging' with value 'a=b' not implemented");
          await assertAbsent("tagged");
        } else {
          assert.equal(put.status, 200);
        }
      },
    );
  });
}

describe("Expect: 100-continue", () => {
  let server: TestStore;

  before(async () => {
    server = await startStore();
    assert.equal((await signedFetch("PUT", `${server.url}/${BUCKET}`)).status, 200);
    assert.equal(
      (await signedFetch("PUT", `${server.url}/${BUCKET}/exists`, { body: "x" })).status,
      200,
    );
  });
  after(async () => {
    await server.close();
  });

  /**
   * Sends the headers of a PUT with `Expect: 100-continue`, then waits: the body goes
   * out only if `100 Continue` arrives. Resolves with all the server sent, and whether
   * the body was sent.
   */
  function putExpecting(
    key: string,
    options: { headers?: Record<string, string>; secret?: string; bucket?: string } = {},
  ): Promise<{ raw: string; bodySent: boolean }> {
    const body = "hello, continue";
    const signed = sign({
      method: "PUT",
      url: `${server.url}/${options.bucket ?? BUCKET}/${key}`,
      credentials: {
        ...CREDENTIALS,
        secretAccessKey: options.secret ?? CREDENTIALS.secretAccessKey,
      },
      region: "auto",
      headers: options.headers ?? {},
      body,
    });
    const lines = [`PUT ${signed.url.slice(server.url.length)} HTTP/1.1`];
    for (const [name, value] of Object.entries(signed.headers)) lines.push(`${name}: ${value}`);
    lines.push(`content-length: ${body.length}`, "expect: 100-continue", "connection: close");
    return new Promise((resolve, reject) => {
      const socket = connect(server.port, "127.0.0.1");
      let raw = "";
      let bodySent = false;
      const timer = setTimeout(() => socket.destroy(), 5_000);
      socket.on("connect", () => socket.write(`${lines.join("\r\n")}\r\n\r\n`));
      socket.on("data", (data) => {
        raw += data.toString("latin1");
        if (!bodySent && raw.startsWith("HTTP/1.1 100 Continue\r\n\r\n")) {
          bodySent = true;
          socket.write(body);
        }
      });
      socket.on("error", (error: NodeJS.ErrnoException) => {
        if (error.code !== "ECONNRESET") reject(error);
      });
      socket.on("close", () => {
        clearTimeout(timer);
        resolve({ raw, bodySent });
      });
    });
  }

  it("sends 100 Continue to an authenticated request, then reads its body", async () => {
    const { raw, bodySent } = await putExpecting("continued");
    assert.ok(bodySent, raw);
    const final = parseRaw(raw.slice("HTTP/1.1 100 Continue\r\n\r\n".length));
    assert.equal(final.status, 200, final.raw);
    const get = await signedFetch("GET", `${server.url}/${BUCKET}/continued`);
    assert.equal(await get.text(), "hello, continue");
  });

  for (const [what, key, options, status, code] of [
    ["a wrong signature", "refused", { secret: "not-the-secret" }, 403, "SignatureDoesNotMatch"],
    ["a bucket that does not exist", "refused", { bucket: "no-such-bucket" }, 404, "NoSuchBucket"],
    [
      "If-None-Match: * over an existing object",
      "exists",
      { headers: { "if-none-match": "*" } },
      412,
      "PreconditionFailed",
    ],
    [
      "a header the store does not implement",
      "refused",
      { headers: { "x-amz-object-lock-mode": "GOVERNANCE" } },
      501,
      "NotImplemented",
    ],
  ] as const) {
    it(`refuses ${what} with ${status} ${code}, never sends 100 Continue, never reads the body`, async () => {
      const { raw, bodySent } = await putExpecting(key, options);
      assert.equal(bodySent, false, raw);
      assert.doesNotMatch(raw, /100 Continue/);
      const answer = parseRaw(raw);
      assert.equal(answer.status, status, raw);
      assert.equal(parseError(answer.body).code, code);
      assert.equal(answer.headers.connection, "close");
    });
  }
});
