import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { acceptsDetected, canonicalType, expandTypes, extensionFor } from "./content-types.js";

describe("expandTypes", () => {
  it("expands a family to the table's members, leaving out the ones that can carry scripts", () => {
    const images = expandTypes(["image/*"]);
    assert.ok(images.includes("image/jpeg"));
    assert.ok(images.includes("image/png"));
    assert.ok(images.includes("image/webp"));
    assert.ok(!images.includes("image/svg+xml"), "SVG must be named exactly");
    assert.ok(images.every((type) => type.startsWith("image/")));
    assert.ok(!expandTypes(["text/*"]).includes("text/html"));
    assert.ok(!expandTypes(["application/*"]).includes("application/octet-stream"));
  });

  it("keeps exact types, normalised and without duplicates", () => {
    assert.deepEqual(expandTypes(["Image/PNG", "image/png", " image/svg+xml "]), [
      "image/png",
      "image/svg+xml",
    ]);
    assert.deepEqual(expandTypes(["application/x-custom"]), ["application/x-custom"]);
  });

  for (const [types, pattern] of [
    [["model/*"], /no known members/],
    [["*/*"], /no known members/],
    [["image"], /not a content type/],
    [["text/plain; charset=utf-8"], /not a content type/],
    [[], /at least one/],
  ] as const) {
    it(`refuses ${JSON.stringify(types)} when the route is defined`, () => {
      assert.throws(() => expandTypes(types), pattern);
    });
  }
});

describe("extensionFor", () => {
  const cases: [string, string][] = [
    ["image/jpeg", ".jpg"],
    ["IMAGE/PNG", ".png"],
    ["video/quicktime", ".mov"],
    ["application/x-unknown", ""],
  ];
  for (const [type, extension] of cases) {
    it(`${type} → ${JSON.stringify(extension)}`, () => assert.equal(extensionFor(type), extension));
  }
});

describe("acceptsDetected", () => {
  const cases: [declared: string, detected: string, accepted: boolean][] = [
    ["image/jpeg", "image/jpeg", true],
    ["image/jpg", "image/jpeg", true],
    ["image/png", "image/apng", true],
    ["video/mp4", "video/quicktime", true],
    ["audio/mp4", "audio/x-m4a", true],
    ["audio/ogg", "audio/ogg; codecs=opus", true],
    [
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      "application/zip",
      true,
    ],
    ["image/svg+xml", "application/xml", true],
    ["text/plain", "text/vtt", true],
    ["application/octet-stream", "application/x-elf", true],
    ["image/jpeg", "image/png", false],
    ["image/jpeg", "application/x-elf", false],
    ["text/plain", "application/x-elf", false],
    [
      "application/zip",
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      false,
    ],
    ["text/csv", "application/pdf", false],
  ];
  for (const [declared, detected, accepted] of cases) {
    it(`${declared} ${accepted ? "accepts" : "refuses"} bytes detected as ${detected}`, () => {
      assert.equal(acceptsDetected(declared, detected), accepted);
    });
  }

  it("names each format once", () => {
    assert.equal(canonicalType("image/pjpeg"), "image/jpeg");
    assert.equal(canonicalType("audio/x-wav"), "audio/wav");
    assert.equal(canonicalType("application/x-custom"), "application/x-custom");
  });
});
