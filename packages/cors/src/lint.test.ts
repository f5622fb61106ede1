import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type LintFinding, lintCors } from "./lint.js";
import type { CorsRuleInput } from "./model.js";
import { validateCors } from "./validate.js";

const strict: CorsRuleInput = {
  allowedOrigins: ["https://app.example.com"],
  allowedMethods: ["PUT"],
  allowedHeaders: ["content-type"],
  exposeHeaders: ["ETag"],
  maxAgeSeconds: 3600,
};
const lint = (rules: Partial<CorsRuleInput>[], requiredHeaders?: string[]) =>
  lintCors(validateCors({ rules: rules.map((r) => ({ ...strict, ...r })) }), { requiredHeaders });
const summary = (findings: LintFinding[]) => findings.map((f) => `${f.level} ${f.rule} ${f.code}`);

describe("lintCors", () => {
  it("finds nothing in a strict upload configuration", () => {
    assert.deepEqual(lint([{}]), []);
  });

  const cases: [name: string, rules: Partial<CorsRuleInput>[], expected: string[]][] = [
    ["flags the origin * as an error", [{ allowedOrigins: ["*"] }], ["error 0 wildcard-origin"]],
    ["flags the origin null as an error", [{ allowedOrigins: ["null"] }], ["error 0 null-origin"]],
    [
      "flags a plain-http origin as an error",
      [{ allowedOrigins: ["http://app.example.com"] }],
      ["error 0 insecure-origin"],
    ],
    [
      "flags http://localhost:3000 only as a warning",
      [{ allowedOrigins: ["http://localhost:3000"] }],
      ["warning 0 loopback-origin"],
    ],
    [
      "flags http://127.0.0.1:3000 only as a warning",
      [{ allowedOrigins: ["http://127.0.0.1:3000"] }],
      ["warning 0 loopback-origin"],
    ],
    [
      "flags http://[::1]:3000 only as a warning",
      [{ allowedOrigins: ["http://[::1]:3000"] }],
      ["warning 0 loopback-origin"],
    ],
    [
      "flags a *.localhost origin only as a warning",
      [{ allowedOrigins: ["http://app.localhost:3000"] }],
      ["warning 0 loopback-origin"],
    ],
    [
      "flags an https loopback origin as a warning too",
      [{ allowedOrigins: ["https://localhost:4200"] }],
      ["warning 0 loopback-origin"],
    ],
    [
      "flags an origin with a trailing slash as unmatchable",
      [{ allowedOrigins: ["https://app.example.com/"] }],
      ["error 0 unmatchable-origin"],
    ],
    [
      "flags an origin with a path as unmatchable",
      [{ allowedOrigins: ["https://app.example.com/upload"] }],
      ["error 0 unmatchable-origin"],
    ],
    [
      "flags an origin in upper case as unmatchable",
      [{ allowedOrigins: ["https://App.example.com"] }],
      ["error 0 unmatchable-origin"],
    ],
    [
      "flags an origin without a scheme as unmatchable",
      [{ allowedOrigins: ["app.example.com"] }],
      ["error 0 unmatchable-origin"],
    ],
    [
      "flags an empty origin as unmatchable",
      [{ allowedOrigins: [""] }],
      ["error 0 unmatchable-origin"],
    ],
    [
      "warns about writes from a subdomain wildcard origin",
      [{ allowedOrigins: ["https://*.example.com"] }],
      ["warning 0 wildcard-origin-write"],
    ],
    [
      "does not warn about reads from a subdomain wildcard origin",
      [
        {},
        { allowedOrigins: ["https://*.example.com"], allowedMethods: ["GET"], exposeHeaders: [] },
      ],
      [],
    ],
    [
      "warns about a wildcard that can match other domains",
      [{}, { allowedOrigins: ["https://*example.com"], allowedMethods: ["GET"] }],
      ["warning 1 broad-wildcard-origin"],
    ],
    [
      "warns about a wildcard scheme, which lets http in",
      [{}, { allowedOrigins: ["*.example.com"], allowedMethods: ["GET"] }],
      ["warning 1 broad-wildcard-origin"],
    ],
    [
      "accepts a port wildcard on one host as confined",
      [{}, { allowedOrigins: ["http://localhost:*"], allowedMethods: ["GET"] }],
      ["warning 1 loopback-origin"],
    ],
    ["flags the header * as an error", [{ allowedHeaders: ["*"] }], ["error 0 wildcard-header"]],
    [
      "flags a PUT rule that does not allow content-type as an error",
      [{ allowedHeaders: ["x-amz-date"] }],
      ["error 0 missing-required-header"],
    ],
    [
      "flags a PUT rule without AllowedHeaders as an error",
      [{ allowedHeaders: [] }],
      ["error 0 missing-required-header"],
    ],
    ["accepts content-type allowed through a pattern", [{ allowedHeaders: ["Content-*"] }], []],
    [
      "warns when a PUT rule does not expose ETag",
      [{ exposeHeaders: ["x-amz-request-id"] }],
      ["warning 0 missing-expose-etag"],
    ],
    ["accepts ETag exposed in any case", [{ exposeHeaders: ["etag"] }], []],
    [
      "warns when MaxAgeSeconds is missing",
      [{ maxAgeSeconds: undefined }],
      ["warning 0 missing-max-age"],
    ],
    [
      "warns when no rule allows PUT, about the configuration as a whole",
      [{ allowedMethods: ["GET"], exposeHeaders: [] }],
      ["warning undefined no-upload-rule"],
    ],
    [
      "reports findings per rule with its index",
      [{}, { allowedOrigins: ["*"], allowedHeaders: ["*"] }],
      ["error 1 wildcard-origin", "error 1 wildcard-header"],
    ],
    [
      "reports everything wrong with the permissive configuration people paste",
      [
        {
          allowedOrigins: ["*"],
          allowedMethods: ["GET", "PUT", "POST", "DELETE", "HEAD"],
          allowedHeaders: ["*"],
          exposeHeaders: [],
          maxAgeSeconds: undefined,
        },
      ],
      [
        "error 0 wildcard-origin",
        "error 0 wildcard-header",
        "warning 0 missing-expose-etag",
        "warning 0 missing-max-age",
      ],
    ],
  ];
  for (const [name, rules, expected] of cases) {
    it(name, () => assert.deepEqual(summary(lint(rules)), expected));
  }

  it("checks the headers named in requiredHeaders, case-insensitively", () => {
    assert.deepEqual(summary(lint([{}], ["Content-Type", "x-amz-meta-owner"])), [
      "error 0 missing-required-header",
    ]);
    assert.deepEqual(
      lint(
        [{ allowedHeaders: ["content-type", "x-amz-meta-*"] }],
        ["Content-Type", "x-amz-meta-owner"],
      ),
      [],
    );
  });

  it("names the rule 1-based and the cause in its messages", () => {
    const [finding] = lint([{}, { allowedHeaders: ["x-amz-date"] }]);
    assert.deepEqual(finding, {
      level: "error",
      rule: 1,
      code: "missing-required-header",
      message:
        "rule 2 allows PUT but not the header content-type, which signed uploads send: the browser's preflight will be refused",
    });
  });
});
