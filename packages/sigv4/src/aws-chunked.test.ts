import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { describe, it } from "node:test";
import { AwsChunkedDecoder, type AwsChunkedOptions } from "./aws-chunked.js";
import { EMPTY_SHA256 } from "./crypto.js";
import { signingKey } from "./signing-key.js";
import type { ChunkSigning } from "./verify.js";

const signing: ChunkSigning = {
  signingKey: signingKey("secret", "20261128", "auto", "s3"),
  amzDate: "20261128T120000Z",
  scope: "20261128/auto/s3/aws4_request",
  seedSignature: "a".repeat(64),
};

const hex = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");
const hmac = (data: string) => createHmac("sha256", signing.signingKey).update(data).digest("hex");

/** Encodes a body the way clients do, signed or not, with optional trailers. */
function encode(
  chunks: Uint8Array[],
  options: { signed: boolean; trailers?: [string, string][] },
): Buffer {
  const out: Buffer[] = [];
  let previous = signing.seedSignature;
  for (const chunk of [...chunks, new Uint8Array(0)]) {
    if (options.signed) {
      previous = hmac(
        `AWS4-HMAC-SHA256-PAYLOAD\n${signing.amzDate}\n${signing.scope}\n${previous}\n${EMPTY_SHA256}\n${hex(chunk)}`,
      );
      out.push(Buffer.from(`${chunk.length.toString(16)};chunk-signature=${previous}\r\n`));
    } else {
      out.push(Buffer.from(`${chunk.length.toString(16)}\r\n`));
    }
    if (chunk.length > 0) out.push(Buffer.from(chunk), Buffer.from("\r\n"));
  }
  const trailers = options.trailers ?? [];
  if (trailers.length === 0 && options.signed) {
    out.push(Buffer.from("\r\n"));
  } else {
    let canonical = "";
    for (const [name, value] of trailers) {
      out.push(Buffer.from(`${name}:${value}\r\n`));
      canonical += `${name}:${value}\n`;
    }
    if (options.signed && trailers.length > 0) {
      const signature = hmac(
        `AWS4-HMAC-SHA256-TRAILER\n${signing.amzDate}\n${signing.scope}\n${previous}\n${hex(canonical)}`,
      );
      out.push(Buffer.from(`x-amz-trailer-signature:${signature}\r\n`));
    }
    out.push(Buffer.from("\r\n"));
  }
  return Buffer.concat(out);
}

function decode(
  body: Uint8Array,
  options: Omit<AwsChunkedOptions, "onData">,
  piece = body.length,
): { data: Buffer; trailers: ReadonlyMap<string, string> } {
  const parts: Buffer[] = [];
  const decoder = new AwsChunkedDecoder({ ...options, onData: (d) => parts.push(Buffer.from(d)) });
  for (let i = 0; i < body.length; i += piece) decoder.write(body.subarray(i, i + piece));
  const trailers = decoder.end();
  return { data: Buffer.concat(parts), trailers };
}

const payload = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256));
const chunks = [payload.subarray(0, 65_536), payload.subarray(65_536)];

describe("AwsChunkedDecoder", () => {
  it("decodes STREAMING-UNSIGNED-PAYLOAD-TRAILER as the JS SDK sends it, split anywhere", () => {
    // The JS SDK v3's stream PUT: 11170\r\n<70000 bytes>\r\n0\r\nx-amz-checksum-crc32:...\r\n\r\n
    const body = encode([payload], {
      signed: false,
      trailers: [["x-amz-checksum-crc32", "EiniBA=="]],
    });
    assert.ok(body.subarray(0, 7).equals(Buffer.from("11170\r\n")));
    for (const piece of [1, 2, 3, 1000, body.length]) {
      const { data, trailers } = decode(
        body,
        { expectedTrailers: ["x-amz-checksum-crc32"], decodedLength: 70_000 },
        piece,
      );
      assert.ok(data.equals(payload), `pieces of ${piece}`);
      assert.equal(trailers.get("x-amz-checksum-crc32"), "EiniBA==");
    }
  });

  it("decodes STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER and checks the trailer signature", () => {
    const trailers: [string, string][] = [["x-amz-checksum-sha256", "abc="]];
    const body = encode(chunks, { signed: true, trailers });
    for (const piece of [1, 5, 65_600, body.length]) {
      const result = decode(body, { signing, expectedTrailers: ["x-amz-checksum-sha256"] }, piece);
      assert.ok(result.data.equals(payload));
      assert.equal(result.trailers.get("x-amz-checksum-sha256"), "abc=");
    }
  });

  it("refuses a signed trailer whose value was changed after signing", () => {
    const body = encode(chunks, { signed: true, trailers: [["x-amz-checksum-sha256", "abc="]] });
    const tampered = Buffer.from(body.toString("latin1").replace("abc=", "abd="), "latin1");
    assert.throws(
      () => decode(tampered, { signing, expectedTrailers: ["x-amz-checksum-sha256"] }),
      {
        code: "SignatureDoesNotMatch",
      },
    );
  });

  it("refuses a signed body whose chunk signature is missing", () => {
    const body = encode(chunks, { signed: false });
    assert.throws(() => decode(body, { signing }), { code: "SignatureDoesNotMatch" });
  });

  it("refuses a signed body whose chunks were swapped", () => {
    const x = Buffer.alloc(1000, "x");
    const y = Buffer.alloc(1000, "y");
    const body = encode([x, y], { signed: true });
    assert.doesNotThrow(() => decode(body, { signing }));
    const swapped = Buffer.from(
      body
        .toString("latin1")
        .replace(/x{1000}/, "Z".repeat(1000))
        .replace(/y{1000}/, "x".repeat(1000))
        .replace(/Z{1000}/, "y".repeat(1000)),
      "latin1",
    );
    assert.throws(() => decode(swapped, { signing }), { code: "SignatureDoesNotMatch" });
  });

  it("refuses a body that ends before its final chunk with IncompleteBody", () => {
    const body = encode(chunks, { signed: false });
    assert.throws(() => decode(body.subarray(0, 1000), {}), { code: "IncompleteBody" });
    assert.throws(() => decode(body.subarray(0, body.length - 3), {}), { code: "IncompleteBody" });
  });

  it("refuses a body whose length differs from x-amz-decoded-content-length", () => {
    const body = encode(chunks, { signed: false });
    assert.throws(() => decode(body, { decodedLength: 69_999 }), { code: "IncompleteBody" });
    assert.throws(() => decode(body, { decodedLength: 70_001 }), { code: "IncompleteBody" });
    assert.equal(decode(body, { decodedLength: 70_000 }).data.length, 70_000);
  });

  it("refuses a chunk longer than its declared size", () => {
    const body = Buffer.from("3\r\nabcd\r\n0\r\n\r\n");
    assert.throws(() => decode(body, {}), { code: "InvalidChunkEncoding" });
  });

  it("refuses a chunk size that is not hexadecimal, or absurdly long", () => {
    assert.throws(() => decode(Buffer.from("zz\r\n"), {}), { code: "InvalidChunkEncoding" });
    assert.throws(() => decode(Buffer.from("-1\r\n"), {}), { code: "InvalidChunkEncoding" });
    assert.throws(() => decode(Buffer.from(`${"f".repeat(20)}\r\n`), {}), {
      code: "InvalidChunkEncoding",
    });
  });

  it("refuses a header line that never ends instead of buffering it", () => {
    const decoder = new AwsChunkedDecoder({ onData: () => {} });
    assert.throws(
      () => {
        for (let i = 0; i < 10; i++) decoder.write(Buffer.alloc(1024, "1"));
      },
      { code: "InvalidChunkEncoding" },
    );
  });

  it("refuses bytes after the end of the body", () => {
    const body = Buffer.concat([encode(chunks, { signed: false }), Buffer.from("x")]);
    assert.throws(() => decode(body, {}), { code: "InvalidChunkEncoding" });
  });

  it("refuses a trailer that x-amz-trailer did not declare, and a declared one that is missing", () => {
    const body = encode(chunks, {
      signed: false,
      trailers: [["x-amz-checksum-crc32", "AAAAAA=="]],
    });
    assert.throws(() => decode(body, { expectedTrailers: ["x-amz-checksum-crc32c"] }), {
      code: "MalformedTrailerError",
    });
    const bare = encode(chunks, { signed: false });
    assert.throws(() => decode(bare, { expectedTrailers: ["x-amz-checksum-crc32"] }), {
      code: "MalformedTrailerError",
    });
  });

  it("refuses a malformed trailer line", () => {
    const body = Buffer.from("1\r\na\r\n0\r\nno-colon-here\r\n\r\n");
    assert.throws(() => decode(body, { expectedTrailers: ["x"] }), {
      code: "MalformedTrailerError",
    });
  });

  it("hands data on as it arrives, without waiting for the chunk to end", () => {
    const body = encode([payload], { signed: true });
    let seen = 0;
    const decoder = new AwsChunkedDecoder({ signing, onData: (d) => (seen += d.length) });
    decoder.write(body.subarray(0, 1000));
    assert.ok(seen > 800 && seen < 1000, `saw ${seen}`);
    assert.equal(decoder.decodedBytes, seen);
  });
});
