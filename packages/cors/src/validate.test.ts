import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CorsConfigError } from "./cors-config-error.js";
import type { CorsConfigurationInput, CorsFlavor, CorsRuleInput } from "./model.js";
import { validateCors } from "./validate.js";

const MALFORMED =
  "The XML you provided was not well-formed or did not validate against our published schema";

const ok: CorsRuleInput = { allowedOrigins: ["https://app.example"], allowedMethods: ["PUT"] };
const rule = (overrides: Partial<CorsRuleInput>): CorsRuleInput => ({ ...ok, ...overrides });
const one = (overrides: Partial<CorsRuleInput>): CorsConfigurationInput => ({
  rules: [rule(overrides)],
});

function rejects(
  input: CorsConfigurationInput,
  code: string,
  message: string,
  flavor: CorsFlavor = "s3",
  detail?: RegExp,
) {
  assert.throws(
    () => validateCors(input, { flavor }),
    (error: unknown) => {
      assert.ok(error instanceof CorsConfigError, String(error));
      assert.equal(error.code, code);
      assert.equal(error.message, message);
      if (detail) assert.match(error.detail, detail);
      return true;
    },
  );
}

describe("validateCors: S3's rules", () => {
  const cases: [string, CorsConfigurationInput, string, string, RegExp?][] = [
    [
      "rejects a configuration with no rules as MalformedXML",
      { rules: [] },
      "MalformedXML",
      MALFORMED,
      /no CORSRule/,
    ],
    [
      "rejects more than 100 rules as MalformedXML",
      { rules: Array.from({ length: 101 }, () => ok) },
      "MalformedXML",
      MALFORMED,
      /101 CORSRules; the limit is 100/,
    ],
    [
      "rejects a rule without AllowedOrigin as MalformedXML",
      one({ allowedOrigins: [] }),
      "MalformedXML",
      MALFORMED,
      /rule 1 has no AllowedOrigin/,
    ],
    [
      "rejects a rule without AllowedMethod as MalformedXML",
      one({ allowedMethods: [] }),
      "MalformedXML",
      MALFORMED,
      /rule 1 has no AllowedMethod/,
    ],
    [
      "rejects PATCH as an unsupported method",
      one({ allowedMethods: ["GET", "PATCH"] }),
      "InvalidRequest",
      "Found unsupported HTTP method in CORS config. Unsupported method is PATCH",
    ],
    [
      "rejects a lower-case method, since methods are case-sensitive",
      one({ allowedMethods: ["get"] }),
      "InvalidRequest",
      "Found unsupported HTTP method in CORS config. Unsupported method is get",
    ],
    [
      "rejects OPTIONS as an unsupported method",
      one({ allowedMethods: ["OPTIONS"] }),
      "InvalidRequest",
      "Found unsupported HTTP method in CORS config. Unsupported method is OPTIONS",
    ],
    [
      "rejects an origin with two wildcards",
      one({ allowedOrigins: ["https://*.*.example.com"] }),
      "InvalidRequest",
      'AllowedOrigin "https://*.*.example.com" can not have more than one wildcard.',
    ],
    [
      "rejects an AllowedHeader with two wildcards",
      one({ allowedHeaders: ["x-*-*"] }),
      "InvalidRequest",
      'AllowedHeader "x-*-*" can not have more than one wildcard.',
    ],
    [
      "rejects an AllowedHeader with a space",
      one({ allowedHeaders: ["x foo"] }),
      "InvalidRequest",
      'AllowedHeader "x foo" contains invalid character.',
    ],
    [
      "rejects an AllowedHeader with a colon",
      one({ allowedHeaders: ["content-type:"] }),
      "InvalidRequest",
      'AllowedHeader "content-type:" contains invalid character.',
    ],
    [
      "rejects an ExposeHeader that would inject a response header line",
      one({ exposeHeaders: ["ETag\r\nSet-Cookie: a=b"] }),
      "InvalidRequest",
      'ExposeHeader "ETag\r\nSet-Cookie: a=b" contains invalid character.',
    ],
    [
      "rejects a negative MaxAgeSeconds",
      one({ maxAgeSeconds: -1 }),
      "MalformedXML",
      MALFORMED,
      /MaxAgeSeconds/,
    ],
    [
      "rejects a fractional MaxAgeSeconds",
      one({ maxAgeSeconds: 1.5 }),
      "MalformedXML",
      MALFORMED,
      /MaxAgeSeconds/,
    ],
    [
      "rejects a MaxAgeSeconds beyond xsd:int",
      one({ maxAgeSeconds: 2 ** 31 }),
      "MalformedXML",
      MALFORMED,
      /MaxAgeSeconds/,
    ],
    [
      "rejects NaN as MaxAgeSeconds",
      one({ maxAgeSeconds: Number.NaN }),
      "MalformedXML",
      MALFORMED,
      /MaxAgeSeconds/,
    ],
    [
      "rejects an ID over 255 characters",
      one({ id: "x".repeat(256) }),
      "MalformedXML",
      MALFORMED,
      /ID is 256 characters/,
    ],
    [
      "rejects a character XML cannot carry",
      one({ allowedOrigins: ["https://a\u0001.example"] }),
      "MalformedXML",
      MALFORMED,
      /AllowedOrigin .* contains a character XML cannot carry/,
    ],
    [
      "reports schema errors of any rule before value errors of an earlier rule",
      { rules: [rule({ allowedMethods: ["PATCH"] }), rule({ allowedOrigins: [] })] },
      "MalformedXML",
      MALFORMED,
      /rule 2 has no AllowedOrigin/,
    ],
  ];
  for (const [name, input, code, message, detail] of cases) {
    it(name, () => rejects(input, code, message, "s3", detail));
  }

  it("names the rule in the detail of an InvalidRequest", () => {
    rejects(
      { rules: [ok, rule({ allowedMethods: ["PATCH"] })] },
      "InvalidRequest",
      "Found unsupported HTTP method in CORS config. Unsupported method is PATCH",
      "s3",
      /^rule 2: Found unsupported/,
    );
  });

  const accepted: [string, CorsConfigurationInput][] = [
    ["accepts exactly 100 rules", { rules: Array.from({ length: 100 }, () => ok) }],
    ["accepts an empty AllowedOrigin, as S3 does", one({ allowedOrigins: [""] })],
    [
      "accepts one wildcard in an origin and in a header",
      one({ allowedOrigins: ["https://*.example"], allowedHeaders: ["x-amz-*"] }),
    ],
    ["accepts all five methods", one({ allowedMethods: ["GET", "PUT", "POST", "DELETE", "HEAD"] })],
    ["accepts a 255-character ID", one({ id: "x".repeat(255) })],
    [
      "accepts MaxAgeSeconds 0 and a day and more",
      { rules: [rule({ maxAgeSeconds: 0 }), rule({ maxAgeSeconds: 86_401 })] },
    ],
    [
      "accepts any origin text with S3's rules, such as http://localhost:*",
      one({ allowedOrigins: ["http://localhost:*", "app.example"] }),
    ],
  ];
  for (const [name, input] of accepted) {
    it(name, () => {
      const config = validateCors(input);
      assert.equal(config.rules.length, input.rules.length);
    });
  }

  it("returns a copy with defaults, independent of its input", () => {
    const origins = ["https://app.example"];
    const config = validateCors({ rules: [{ allowedOrigins: origins, allowedMethods: ["GET"] }] });
    origins.push("https://evil.example");
    assert.deepEqual(config, {
      rules: [
        {
          allowedOrigins: ["https://app.example"],
          allowedMethods: ["GET"],
          allowedHeaders: [],
          exposeHeaders: [],
        },
      ],
    });
  });
});

describe("validateCors: R2's additional rules", () => {
  it("rejects MaxAgeSeconds over a day", () => {
    rejects(one({ maxAgeSeconds: 86_401 }), "MalformedXML", MALFORMED, "r2", /R2's limit of 86400/);
  });

  it("rejects a wildcard port such as http://localhost:* with MalformedXML", () => {
    rejects(
      one({ allowedOrigins: ["http://localhost:*"] }),
      "MalformedXML",
      MALFORMED,
      "r2",
      /wildcard port/,
    );
  });

  for (const origin of [
    "https://app.example/",
    "https://app.example/path",
    "app.example",
    "https://",
    "null",
  ]) {
    it(`rejects ${JSON.stringify(origin)}, which is not scheme://host[:port]`, () => {
      rejects(
        one({ allowedOrigins: [origin] }),
        "MalformedXML",
        MALFORMED,
        "r2",
        /is not an origin/,
      );
    });
  }

  for (const origin of [
    "*",
    "https://app.example",
    "http://localhost:3000",
    "https://*.sub.workers.dev",
    "http://[::1]:8080",
    "http://127.0.0.1:5173",
  ]) {
    it(`accepts ${origin}`, () => {
      assert.deepEqual(
        validateCors(one({ allowedOrigins: [origin] }), { flavor: "r2" }).rules[0]?.allowedOrigins,
        [origin],
      );
    });
  }

  it("accepts MaxAgeSeconds of exactly a day", () => {
    assert.equal(
      validateCors(one({ maxAgeSeconds: 86_400 }), { flavor: "r2" }).rules[0]?.maxAgeSeconds,
      86_400,
    );
  });
});
