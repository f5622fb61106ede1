import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkMagicBytes, describe as describeBytes, detectable } from "./magic-bytes.js";

const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b55",
  "hex",
);
const JPEG = Buffer.concat([
  Buffer.from("ffd8ffe000104a46494600010100000100010000", "hex"),
  Buffer.alloc(64),
]);
const ELF = Buffer.concat([
  Buffer.from("7f454c46020101000000000000000000", "hex"),
  Buffer.alloc(64),
]);
const PDF = Buffer.from("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "latin1");
const HTML = Buffer.from("<!doctype html><html><body><script>steal()</script></body></html>");
const CSV = Buffer.from("name,size\nphoto.jpg,1000\n");

describe("checkMagicBytes", () => {
  const cases: [string, string, Buffer, RegExp | undefined][] = [
    ["a PNG as image/png", "image/png", PNG, undefined],
    ["a JPEG as image/jpg (an alias)", "image/jpg", JPEG, undefined],
    ["a PDF as application/pdf", "application/pdf", PDF, undefined],
    ["CSV as text/csv (nothing to detect)", "text/csv", CSV, undefined],
    ["an ELF as application/octet-stream", "application/octet-stream", ELF, undefined],
    ["an ELF as image/jpeg", "image/jpeg", ELF, /application\/x-elf \(\.elf\), not image\/jpeg/],
    ["an ELF as text/csv", "text/csv", ELF, /application\/x-elf/],
    ["a PNG as image/jpeg", "image/jpeg", PNG, /image\/png \(\.png\), not image\/jpeg/],
    ["HTML as image/jpeg", "image/jpeg", HTML, /no image\/jpeg signature; they look like HTML/],
    ["text as application/pdf", "application/pdf", CSV, /look like text/],
    ["an empty file as image/png", "image/png", Buffer.alloc(0), /an empty file/],
  ];
  for (const [what, declared, bytes, refusal] of cases) {
    it(`${refusal ? "refuses" : "accepts"} ${what}`, async () => {
      const result = await checkMagicBytes(declared, bytes);
      if (refusal === undefined) assert.equal(result, undefined);
      else assert.match(result ?? "(accepted)", refusal);
    });
  }
});

describe("detectable", () => {
  it("knows which declared types detection can hold to their bytes", () => {
    assert.equal(detectable("image/jpeg"), true);
    assert.equal(detectable("image/jpg"), true);
    assert.equal(detectable("video/x-matroska"), true);
    assert.equal(detectable("text/plain"), false);
    assert.equal(detectable("image/svg+xml"), false);
  });
});

describe("describe", () => {
  it("says HTML, text or binary", () => {
    assert.equal(describeBytes(HTML), "HTML");
    assert.equal(describeBytes(CSV), "text");
    assert.equal(
      describeBytes(Buffer.from([0, 1, 2, 3, 250, 251, 252, 253])),
      "binary data of no known type",
    );
  });
});
