import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CorsConfigError } from "./cors-config-error.js";
import { evaluatePreflight } from "./evaluate.js";
import { generateUploadCors } from "./generate.js";
import { lintCors } from "./lint.js";

describe("generateUploadCors", () => {
  it("generates one strict PUT rule: content-type only, ETag exposed, an hour of preflight cache", () => {
    assert.deepEqual(generateUploadCors({ origins: ["https://app.example.com"] }), {
      rules: [
        {
          id: "sluice-uploads",
          allowedOrigins: ["https://app.example.com"],
          allowedMethods: ["PUT"],
          allowedHeaders: ["content-type"],
          exposeHeaders: ["ETag"],
          maxAgeSeconds: 3600,
        },
      ],
    });
  });

  it("adds GET and HEAD for pages that read, and extra signed headers once each", () => {
    const [rule] = generateUploadCors({
      origins: ["https://app.example.com", "https://app.example.com", "https://admin.example.com"],
      read: true,
      headers: ["x-amz-meta-owner", "Content-Type", "X-Amz-Meta-Owner"],
      maxAgeSeconds: 600,
    }).rules;
    assert.deepEqual(rule?.allowedOrigins, [
      "https://app.example.com",
      "https://admin.example.com",
    ]);
    assert.deepEqual(rule?.allowedMethods, ["PUT", "GET", "HEAD"]);
    assert.deepEqual(rule?.allowedHeaders, ["content-type", "x-amz-meta-owner"]);
    assert.equal(rule?.maxAgeSeconds, 600);
  });

  it("passes its own lint without a single finding", () => {
    const config = generateUploadCors({
      origins: ["https://app.example.com"],
      read: true,
      headers: ["x-amz-meta-owner"],
    });
    assert.deepEqual(
      lintCors(config, { requiredHeaders: ["content-type", "x-amz-meta-owner"] }),
      [],
    );
  });

  it("allows a development origin, which lint only warns about", () => {
    const config = generateUploadCors({ origins: ["http://localhost:3000"] });
    assert.deepEqual(
      lintCors(config).map((f) => `${f.level} ${f.code}`),
      ["warning loopback-origin"],
    );
  });

  it("lets through the preflight a browser sends for a signed upload", () => {
    const config = generateUploadCors({ origins: ["https://app.example.com"] });
    const result = evaluatePreflight(config, {
      origin: "https://app.example.com",
      accessControlRequestMethod: "PUT",
      accessControlRequestHeaders: "content-type",
      resource: "OBJECT",
    });
    assert.equal(result.allowed, true);
  });

  for (const [what, origin, code] of [
    ["the origin *", "*", /wildcard-origin/],
    ["a plain-http origin", "http://app.example.com", /insecure-origin/],
    [
      "an origin with a trailing slash",
      "https://app.example.com/",
      /unmatchable-origin|not an origin/,
    ],
  ] as const) {
    it(`refuses ${what}`, () => {
      assert.throws(
        () => generateUploadCors({ origins: [origin] }),
        (error: Error) => {
          const text = error instanceof CorsConfigError ? error.detail : error.message;
          assert.match(text, code);
          return true;
        },
      );
    });
  }

  it("refuses an empty origin list", () => {
    assert.throws(() => generateUploadCors({ origins: [] }), RangeError);
  });

  it("refuses a wildcard header among the extra headers", () => {
    assert.throws(
      () => generateUploadCors({ origins: ["https://a.example"], headers: ["*"] }),
      /wildcard-header/,
    );
  });

  it("validates with R2's limits, so the result applies to R2 as well as S3", () => {
    assert.throws(
      () => generateUploadCors({ origins: ["https://a.example"], maxAgeSeconds: 90_000 }),
      {
        code: "MalformedXML",
      },
    );
  });
});
