import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type CorsHeader, compileCors } from "./compile.js";
import {
  type ActualRequest,
  type ActualResult,
  evaluateActual,
  evaluatePreflight,
  type PreflightRequest,
  type PreflightResult,
} from "./evaluate.js";
import type { CorsConfiguration, CorsRuleInput } from "./model.js";
import { describeRefusal } from "./reasons.js";
import { validateCors } from "./validate.js";

// AWS's texts, written out independently of the implementation.
const NOT_ALLOWED =
  "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.";
const NOT_ENABLED = "CORSResponse: CORS is not enabled for this bucket.";
const NO_ORIGIN = "Insufficient information. Origin request header needed.";
const VARY = ["Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"];

function cors(...rules: CorsRuleInput[]): CorsConfiguration {
  return validateCors({ rules });
}

function preflight(
  origin: string | undefined,
  method: string | undefined,
  headers?: string,
  resource: "OBJECT" | "BUCKET" = "OBJECT",
): PreflightRequest {
  return {
    origin,
    accessControlRequestMethod: method,
    accessControlRequestHeaders: headers,
    resource,
  };
}

function allowedHeaders(result: PreflightResult | ActualResult): CorsHeader[] {
  if ("allowed" in result ? !result.allowed : !result.matched) {
    assert.fail(`expected a match, got ${JSON.stringify(result)}`);
  }
  return (result as { headers: CorsHeader[] }).headers;
}

function header(headers: readonly CorsHeader[], name: string): string | undefined {
  return headers.find(([n]) => n === name)?.[1];
}

// The rule of the AWS-validated recording of a preflight (LocalStack test_cors snapshots).
const recorded = cors({
  allowedOrigins: ["https://localhost:4200"],
  allowedMethods: ["GET", "PUT"],
  allowedHeaders: ["*"],
  exposeHeaders: ["x-amz-id-2", "x-amz-request-id"],
  maxAgeSeconds: 3000,
});
const partialOrigin = cors({ allowedOrigins: ["http://*.origin.com"], allowedMethods: ["GET"] });
const anyOrigin = cors({
  allowedOrigins: ["*"],
  allowedMethods: ["GET", "PUT"],
  allowedHeaders: ["content-type"],
  exposeHeaders: ["ETag"],
});
const noAllowedHeaders = cors({ allowedOrigins: ["https://app.example"], allowedMethods: ["GET"] });
const expectedOwner = cors({
  allowedOrigins: ["https://app.example"],
  allowedMethods: ["GET"],
  allowedHeaders: ["x-amz-expected-bucket-owner", "x-amz-request-payer"],
});
const amzPattern = cors({
  allowedOrigins: ["https://app.example"],
  allowedMethods: ["PUT"],
  allowedHeaders: ["x-amz-*"],
});

describe("evaluatePreflight: allowed", () => {
  const cases: {
    name: string;
    config: CorsConfiguration;
    request: PreflightRequest;
    rule: number;
    headers: string[][];
  }[] = [
    {
      name: "answers with AWS's exact header set and order: echoed origin, methods, credentials, max age, requested headers, expose, Vary",
      config: recorded,
      request: preflight(
        "https://localhost:4200",
        "PUT",
        "X-Amz-Request-Payer, x-amz-expected-bucket-owner",
      ),
      rule: 0,
      headers: [
        ["Access-Control-Allow-Origin", "https://localhost:4200"],
        ["Access-Control-Allow-Methods", "GET, PUT"],
        ["Access-Control-Allow-Credentials", "true"],
        ["Access-Control-Max-Age", "3000"],
        ["Access-Control-Allow-Headers", "x-amz-request-payer, x-amz-expected-bucket-owner"],
        ["Access-Control-Expose-Headers", "x-amz-id-2, x-amz-request-id"],
        VARY,
      ],
    },
    {
      name: "answers Allow-Origin * and no Allow-Credentials when the rule lists the origin *",
      config: anyOrigin,
      request: preflight("https://anyone.example", "PUT", "content-type"),
      rule: 0,
      headers: [
        ["Access-Control-Allow-Origin", "*"],
        ["Access-Control-Allow-Methods", "GET, PUT"],
        ["Access-Control-Allow-Headers", "content-type"],
        ["Access-Control-Expose-Headers", "ETag"],
        VARY,
      ],
    },
    {
      name: "echoes the origin with Allow-Credentials when a partial wildcard matches it",
      config: partialOrigin,
      request: preflight("http://test.origin.com", "GET"),
      rule: 0,
      headers: [
        ["Access-Control-Allow-Origin", "http://test.origin.com"],
        ["Access-Control-Allow-Methods", "GET"],
        ["Access-Control-Allow-Credentials", "true"],
        VARY,
      ],
    },
    {
      name: "matches requested headers case-insensitively and answers them lower-cased",
      config: expectedOwner,
      request: preflight("https://app.example", "GET", "x-AMZ-expected-BUCKET-owner"),
      rule: 0,
      headers: [
        ["Access-Control-Allow-Origin", "https://app.example"],
        ["Access-Control-Allow-Methods", "GET"],
        ["Access-Control-Allow-Credentials", "true"],
        ["Access-Control-Allow-Headers", "x-amz-expected-bucket-owner"],
        VARY,
      ],
    },
    {
      name: "accepts a requested-header list without spaces and answers it ', '-joined in request order",
      config: expectedOwner,
      request: preflight(
        "https://app.example",
        "GET",
        "x-amz-request-payer,x-amz-expected-bucket-owner",
      ),
      rule: 0,
      headers: [
        ["Access-Control-Allow-Origin", "https://app.example"],
        ["Access-Control-Allow-Methods", "GET"],
        ["Access-Control-Allow-Credentials", "true"],
        ["Access-Control-Allow-Headers", "x-amz-request-payer, x-amz-expected-bucket-owner"],
        VARY,
      ],
    },
    {
      name: "trims requested names and drops empty ones",
      config: recorded,
      request: preflight("https://localhost:4200", "GET", " Content-Type ,, x-foo\t,"),
      rule: 0,
      headers: [
        ["Access-Control-Allow-Origin", "https://localhost:4200"],
        ["Access-Control-Allow-Methods", "GET, PUT"],
        ["Access-Control-Allow-Credentials", "true"],
        ["Access-Control-Max-Age", "3000"],
        ["Access-Control-Allow-Headers", "content-type, x-foo"],
        ["Access-Control-Expose-Headers", "x-amz-id-2, x-amz-request-id"],
        VARY,
      ],
    },
    {
      name: "allows a rule without AllowedHeaders when no headers are requested, and sends no Allow-Headers",
      config: noAllowedHeaders,
      request: preflight("https://app.example", "GET"),
      rule: 0,
      headers: [
        ["Access-Control-Allow-Origin", "https://app.example"],
        ["Access-Control-Allow-Methods", "GET"],
        ["Access-Control-Allow-Credentials", "true"],
        VARY,
      ],
    },
    {
      name: "lets x-amz-* match x-amz-date",
      config: amzPattern,
      request: preflight("https://app.example", "PUT", "X-Amz-Date"),
      rule: 0,
      headers: [
        ["Access-Control-Allow-Origin", "https://app.example"],
        ["Access-Control-Allow-Methods", "PUT"],
        ["Access-Control-Allow-Credentials", "true"],
        ["Access-Control-Allow-Headers", "x-amz-date"],
        VARY,
      ],
    },
    {
      name: "sends Max-Age 0 when MaxAgeSeconds is set to 0",
      config: cors({
        allowedOrigins: ["https://a.example"],
        allowedMethods: ["GET"],
        maxAgeSeconds: 0,
      }),
      request: preflight("https://a.example", "GET"),
      rule: 0,
      headers: [
        ["Access-Control-Allow-Origin", "https://a.example"],
        ["Access-Control-Allow-Methods", "GET"],
        ["Access-Control-Allow-Credentials", "true"],
        ["Access-Control-Max-Age", "0"],
        VARY,
      ],
    },
    {
      name: "lists every method of the matched rule in configuration order",
      config: cors({
        allowedOrigins: ["https://a.example"],
        allowedMethods: ["PUT", "HEAD", "GET", "DELETE", "POST"],
      }),
      request: preflight("https://a.example", "HEAD"),
      rule: 0,
      headers: [
        ["Access-Control-Allow-Origin", "https://a.example"],
        ["Access-Control-Allow-Methods", "PUT, HEAD, GET, DELETE, POST"],
        ["Access-Control-Allow-Credentials", "true"],
        VARY,
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = evaluatePreflight(c.config, c.request);
      assert.equal(result.allowed, true, JSON.stringify(result));
      assert.equal((result as { rule: number }).rule, c.rule);
      assert.deepEqual(allowedHeaders(result), c.headers);
    });
  }

  it("answers Allow-Origin * when the rule lists * even if another of its origins is the exact one", () => {
    const config = cors({
      allowedOrigins: ["https://app.example", "*"],
      allowedMethods: ["GET"],
    });
    const headers = allowedHeaders(
      evaluatePreflight(config, preflight("https://app.example", "GET")),
    );
    assert.equal(header(headers, "Access-Control-Allow-Origin"), "*");
    assert.equal(header(headers, "Access-Control-Allow-Credentials"), undefined);
  });

  it("matches an AllowedHeader configured in mixed case and answers the requested name (opt-get-allowed-diff-casing)", () => {
    const config = cors({
      allowedOrigins: ["https://localhost:4200"],
      allowedMethods: ["GET"],
      allowedHeaders: ["x-amz-expected-bucket-owner", "x-AMZ-server-SIDE-encryption"],
    });
    const result = evaluatePreflight(
      config,
      preflight(
        "https://localhost:4200",
        "GET",
        "x-amz-expected-bucket-owner, x-amz-server-side-encryption",
      ),
    );
    assert.equal(
      header(allowedHeaders(result), "Access-Control-Allow-Headers"),
      "x-amz-expected-bucket-owner, x-amz-server-side-encryption",
    );
  });

  it("lets * in an origin match zero characters (start*end matches startend)", () => {
    const config = cors({ allowedOrigins: ["start*end"], allowedMethods: ["GET"] });
    for (const origin of ["startend", "startXend", "start.a.b.end"]) {
      assert.equal(evaluatePreflight(config, preflight(origin, "GET")).allowed, true, origin);
    }
    for (const origin of ["startendX", "Xstartend", "starten", "tartend"]) {
      assert.equal(evaluatePreflight(config, preflight(origin, "GET")).allowed, false, origin);
    }
  });

  it("uses the first rule that matches all three parts, skipping an earlier rule that matches only the origin", () => {
    const config = cors(
      { allowedOrigins: ["https://app.example"], allowedMethods: ["GET"], maxAgeSeconds: 10 },
      {
        allowedOrigins: ["https://app.example"],
        allowedMethods: ["PUT"],
        allowedHeaders: ["content-type"],
        maxAgeSeconds: 20,
      },
      { allowedOrigins: ["*"], allowedMethods: ["PUT"], allowedHeaders: ["*"], maxAgeSeconds: 30 },
    );
    const result = evaluatePreflight(
      config,
      preflight("https://app.example", "PUT", "content-type"),
    );
    assert.equal(result.allowed && result.rule, 1);
    const headers = allowedHeaders(result);
    assert.equal(header(headers, "Access-Control-Allow-Methods"), "PUT");
    assert.equal(header(headers, "Access-Control-Max-Age"), "20");
  });

  it("uses the earlier of two rules that both match", () => {
    const config = cors(
      { allowedOrigins: ["https://*.example"], allowedMethods: ["GET"], maxAgeSeconds: 10 },
      { allowedOrigins: ["https://app.example"], allowedMethods: ["GET"], maxAgeSeconds: 20 },
    );
    const result = evaluatePreflight(config, preflight("https://app.example", "GET"));
    assert.equal(result.allowed && result.rule, 0);
    assert.equal(header(allowedHeaders(result), "Access-Control-Max-Age"), "10");
  });
});

describe("evaluatePreflight: refused", () => {
  const cases: {
    name: string;
    config: CorsConfiguration | undefined;
    request: PreflightRequest;
    status: 400 | 403;
    code: "BadRequest" | "AccessForbidden";
    message: string;
    method?: string;
    resourceType?: "OBJECT" | "BUCKET";
  }[] = [
    {
      name: "refuses a preflight whose origin has a trailing slash with 403 AccessForbidden",
      config: partialOrigin,
      request: preflight("http://test.origin.com/", "GET", undefined, "BUCKET"),
      status: 403,
      code: "AccessForbidden",
      message: NOT_ALLOWED,
      method: "GET",
      resourceType: "BUCKET",
    },
    {
      name: "refuses an http origin when the rule allows its https twin",
      config: cors({ allowedOrigins: ["https://app.example"], allowedMethods: ["GET"] }),
      request: preflight("http://app.example", "GET"),
      status: 403,
      code: "AccessForbidden",
      message: NOT_ALLOWED,
      method: "GET",
      resourceType: "OBJECT",
    },
    {
      name: "refuses an https origin when the rule allows its http twin",
      config: cors({ allowedOrigins: ["http://app.example"], allowedMethods: ["GET"] }),
      request: preflight("https://app.example", "GET"),
      status: 403,
      code: "AccessForbidden",
      message: NOT_ALLOWED,
      method: "GET",
      resourceType: "OBJECT",
    },
    {
      name: "compares origins case-sensitively",
      config: cors({ allowedOrigins: ["https://app.example"], allowedMethods: ["GET"] }),
      request: preflight("https://APP.example", "GET"),
      status: 403,
      code: "AccessForbidden",
      message: NOT_ALLOWED,
      method: "GET",
      resourceType: "OBJECT",
    },
    {
      name: "refuses requested headers with 403 when the rule has no AllowedHeaders",
      config: noAllowedHeaders,
      request: preflight("https://app.example", "GET", "x-amz-request-payer"),
      status: 403,
      code: "AccessForbidden",
      message: NOT_ALLOWED,
      method: "GET",
      resourceType: "OBJECT",
    },
    {
      name: "refuses x-amz against the pattern x-amz-* (the * needs the dash before it)",
      config: amzPattern,
      request: preflight("https://app.example", "PUT", "x-amz"),
      status: 403,
      code: "AccessForbidden",
      message: NOT_ALLOWED,
      method: "PUT",
      resourceType: "OBJECT",
    },
    {
      name: "refuses x-amz-date,content-length against x-amz-* because content-length is not allowed",
      config: amzPattern,
      request: preflight("https://app.example", "PUT", "x-amz-date,content-length"),
      status: 403,
      code: "AccessForbidden",
      message: NOT_ALLOWED,
      method: "PUT",
      resourceType: "OBJECT",
    },
    {
      name: "refuses a method the rule does not list",
      config: partialOrigin,
      request: preflight("http://test.origin.com", "DELETE"),
      status: 403,
      code: "AccessForbidden",
      message: NOT_ALLOWED,
      method: "DELETE",
      resourceType: "OBJECT",
    },
    {
      name: "refuses a requested header name with invalid characters, even under AllowedHeader *",
      config: recorded,
      request: preflight("https://localhost:4200", "PUT", "x-ok, bad name"),
      status: 403,
      code: "AccessForbidden",
      message: NOT_ALLOWED,
      method: "PUT",
      resourceType: "OBJECT",
    },
    {
      name: "answers 400 BadRequest when there is no Origin, before looking at the configuration",
      config: recorded,
      request: preflight(undefined, "GET"),
      status: 400,
      code: "BadRequest",
      message: NO_ORIGIN,
    },
    {
      name: "answers 400 BadRequest for a missing Origin even when the bucket has no configuration",
      config: undefined,
      request: preflight(undefined, undefined),
      status: 400,
      code: "BadRequest",
      message: NO_ORIGIN,
    },
    {
      name: "treats an empty Origin as missing",
      config: recorded,
      request: preflight("", "GET"),
      status: 400,
      code: "BadRequest",
      message: NO_ORIGIN,
    },
    {
      name: "answers 403 'not enabled' with ResourceType BUCKET when the bucket has no configuration",
      config: undefined,
      request: preflight("https://app.example", "PUT", "content-type", "OBJECT"),
      status: 403,
      code: "AccessForbidden",
      message: NOT_ENABLED,
      method: "PUT",
      resourceType: "BUCKET",
    },
    {
      name: "reports Method OPTIONS in 'not enabled' when no method was requested",
      config: undefined,
      request: preflight("https://app.example", undefined),
      status: 403,
      code: "AccessForbidden",
      message: NOT_ENABLED,
      method: "OPTIONS",
      resourceType: "BUCKET",
    },
    {
      name: "answers 400 'Invalid Access-Control-Request-Method: null' to an OPTIONS without ACRM",
      config: recorded,
      request: preflight("https://localhost:4200", undefined),
      status: 400,
      code: "BadRequest",
      message: "Invalid Access-Control-Request-Method: null",
    },
    {
      name: "answers 400 to a lower-case ACRM",
      config: recorded,
      request: preflight("https://localhost:4200", "get"),
      status: 400,
      code: "BadRequest",
      message: "Invalid Access-Control-Request-Method: get",
    },
    {
      name: "answers 400 to a mixed-case ACRM",
      config: recorded,
      request: preflight("https://localhost:4200", "Get"),
      status: 400,
      code: "BadRequest",
      message: "Invalid Access-Control-Request-Method: Get",
    },
    {
      name: "answers 400 to ACRM PATCH, which S3 never allows",
      config: recorded,
      request: preflight("https://localhost:4200", "PATCH"),
      status: 400,
      code: "BadRequest",
      message: "Invalid Access-Control-Request-Method: PATCH",
    },
    {
      name: "answers 400 to ACRM OPTIONS",
      config: recorded,
      request: preflight("https://localhost:4200", "OPTIONS"),
      status: 400,
      code: "BadRequest",
      message: "Invalid Access-Control-Request-Method: OPTIONS",
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = evaluatePreflight(c.config, c.request);
      assert.equal(result.allowed, false);
      if (result.allowed) return;
      assert.equal(result.status, c.status);
      assert.equal(result.code, c.code);
      assert.equal(result.message, c.message);
      // A refusal carries no CORS headers at all, Vary included.
      assert.equal("headers" in result, false);
      if (result.code === "AccessForbidden") {
        assert.equal(result.method, c.method);
        assert.equal(result.resourceType, c.resourceType);
      } else {
        assert.equal(c.method, undefined);
        assert.deepEqual(result.reasons, []);
      }
    });
  }
});

describe("evaluatePreflight: reasons", () => {
  const config = cors(
    {
      allowedOrigins: ["https://app.example.com"],
      allowedMethods: ["GET", "PUT"],
      allowedHeaders: ["content-type"],
    },
    { allowedOrigins: ["https://*.example.com"], allowedMethods: ["GET", "PUT"] },
  );

  function reasonsOf(result: PreflightResult) {
    assert.equal(result.allowed, false);
    return result.allowed ? [] : result.reasons;
  }

  it("names, per rule and part, what failed", () => {
    const result = evaluatePreflight(
      config,
      preflight("https://evil.example", "DELETE", "content-type, x-amz-meta-foo"),
    );
    assert.deepEqual(reasonsOf(result), [
      {
        rule: 0,
        part: "origin",
        message:
          "origin https://evil.example matches no AllowedOrigins of rule 1 (https://app.example.com)",
      },
      {
        rule: 0,
        part: "method",
        message: "method DELETE is not in AllowedMethods of rule 1 (GET, PUT)",
      },
      {
        rule: 0,
        part: "headers",
        message: "header x-amz-meta-foo is not in AllowedHeaders of rule 1 (content-type)",
      },
      {
        rule: 1,
        part: "origin",
        message:
          "origin https://evil.example matches no AllowedOrigins of rule 2 (https://*.example.com)",
      },
      {
        rule: 1,
        part: "method",
        message: "method DELETE is not in AllowedMethods of rule 2 (GET, PUT)",
      },
      {
        rule: 1,
        part: "headers",
        message:
          "rule 2 has no AllowedHeaders, so it matches only requests that ask for no headers",
      },
    ]);
  });

  it("names only the failing header when the others are allowed", () => {
    const result = evaluatePreflight(
      config,
      preflight("https://app.example.com", "PUT", "Content-Type, X-Foo"),
    );
    assert.deepEqual(
      reasonsOf(result).map((r) => r.message),
      [
        "header x-foo is not in AllowedHeaders of rule 1 (content-type)",
        "rule 2 has no AllowedHeaders, so it matches only requests that ask for no headers",
      ],
    );
  });

  const hints: [string, string, string, RegExp][] = [
    [
      "a trailing slash on the Origin",
      "http://*.origin.com",
      "http://test.origin.com/",
      /without its trailing slash it would match/,
    ],
    [
      "a trailing slash on the AllowedOrigin",
      "https://app.example/",
      "https://app.example",
      /ends with a slash/,
    ],
    ["letter case", "https://App.example", "https://app.example", /differs only in letter case/],
    ["the scheme", "https://app.example", "http://app.example", /has the other scheme/],
  ];
  for (const [what, allowed, origin, hint] of hints) {
    it(`points out a near miss caused by ${what}`, () => {
      const result = evaluatePreflight(
        cors({ allowedOrigins: [allowed], allowedMethods: ["GET"] }),
        preflight(origin, "GET"),
      );
      const [reason] = reasonsOf(result);
      assert.match(reason?.message ?? "", hint);
    });
  }

  it("says a header name with invalid characters is not a header name", () => {
    const result = evaluatePreflight(
      recorded,
      preflight("https://localhost:4200", "PUT", "bad name"),
    );
    assert.deepEqual(
      reasonsOf(result).map((r) => r.message),
      ['header "bad name" is not a valid header name, so no AllowedHeader of rule 1 matches it'],
    );
  });

  it("formats a refusal for the CLI with S3's answer first, then one reason per line", () => {
    const result = evaluatePreflight(config, preflight("https://evil.example", "GET"));
    assert.equal(result.allowed, false);
    if (result.allowed) return;
    assert.equal(
      describeRefusal(result),
      [
        `403 AccessForbidden: ${NOT_ALLOWED} (Method GET, ResourceType OBJECT)`,
        "  - origin https://evil.example matches no AllowedOrigins of rule 1 (https://app.example.com)",
        "  - origin https://evil.example matches no AllowedOrigins of rule 2 (https://*.example.com)",
      ].join("\n"),
    );
  });

  it("formats a 400 refusal with its message alone", () => {
    const result = evaluatePreflight(config, preflight("https://app.example.com", undefined));
    assert.equal(result.allowed, false);
    if (result.allowed) return;
    assert.equal(
      describeRefusal(result),
      "400 BadRequest: Invalid Access-Control-Request-Method: null",
    );
  });
});

describe("evaluateActual", () => {
  const getOnly = cors({
    allowedOrigins: ["https://app.example"],
    allowedMethods: ["GET"],
    exposeHeaders: ["ETag"],
    maxAgeSeconds: 600,
  });
  const actual = (request: Partial<ActualRequest>): ActualRequest => ({
    origin: "https://app.example",
    method: "GET",
    ...request,
  });

  it("adds the preflight's headers except Allow-Headers to a matched request", () => {
    const result = evaluateActual(getOnly, actual({}));
    assert.deepEqual(result, {
      matched: true,
      rule: 0,
      headers: [
        ["Access-Control-Allow-Origin", "https://app.example"],
        ["Access-Control-Allow-Methods", "GET"],
        ["Access-Control-Allow-Credentials", "true"],
        ["Access-Control-Max-Age", "600"],
        ["Access-Control-Expose-Headers", "ETag"],
        VARY,
      ],
    });
  });

  it("answers Allow-Origin * without credentials for a rule listing *", () => {
    const headers = allowedHeaders(
      evaluateActual(anyOrigin, actual({ origin: "https://x.example" })),
    );
    assert.equal(header(headers, "Access-Control-Allow-Origin"), "*");
    assert.equal(header(headers, "Access-Control-Allow-Credentials"), undefined);
    assert.equal(header(headers, "Access-Control-Allow-Headers"), undefined);
  });

  const unmatched: {
    name: string;
    config: CorsConfiguration | undefined;
    request: ActualRequest;
    cause: string;
    reason?: string;
  }[] = [
    {
      name: "adds nothing, not even Vary, when the origin matches no rule",
      config: getOnly,
      request: actual({ origin: "https://evil.example" }),
      cause: "no-rule",
      reason:
        "origin https://evil.example matches no AllowedOrigins of rule 1 (https://app.example)",
    },
    {
      name: "adds nothing to a request without Origin",
      config: getOnly,
      request: actual({ origin: undefined }),
      cause: "no-origin",
    },
    {
      name: "adds nothing when the bucket has no configuration",
      config: undefined,
      request: actual({}),
      cause: "not-enabled",
    },
    {
      name: "matches a GET carrying Access-Control-Request-Method by that method instead (get-wrong-op)",
      config: getOnly,
      request: actual({ accessControlRequestMethod: "PUT" }),
      cause: "no-rule",
      reason: "method PUT is not in AllowedMethods of rule 1 (GET)",
    },
    {
      name: "checks Access-Control-Request-Headers on a GET that carries them, like a preflight",
      config: getOnly,
      request: actual({ accessControlRequestHeaders: "x-amz-request-payer" }),
      cause: "no-rule",
      reason: "rule 1 has no AllowedHeaders, so it matches only requests that ask for no headers",
    },
    {
      name: "does not match a method S3 never allows",
      config: getOnly,
      request: actual({ method: "PATCH" }),
      cause: "no-rule",
      reason: "method PATCH is not in AllowedMethods of rule 1 (GET)",
    },
  ];
  for (const c of unmatched) {
    it(c.name, () => {
      const result = evaluateActual(c.config, c.request);
      assert.equal(result.matched, false);
      if (result.matched) return;
      assert.equal(result.cause, c.cause);
      assert.equal("headers" in result, false);
      assert.deepEqual(
        result.reasons.map((r) => r.message),
        c.reason === undefined ? [] : [c.reason],
      );
    });
  }

  it("matches a PUT carrying ACRM GET against a GET-only rule, since ACRM replaces the method", () => {
    const result = evaluateActual(
      getOnly,
      actual({ method: "PUT", accessControlRequestMethod: "GET" }),
    );
    assert.equal(result.matched, true);
  });

  it("matches a GET that sends a disallowed header itself but no Access-Control-Request-Headers (get-non-allowed)", () => {
    // The evaluator never sees ordinary request headers: only ACRH takes part.
    assert.equal(evaluateActual(getOnly, actual({})).matched, true);
  });

  it("describes an unmatched actual request for the CLI", () => {
    const result = evaluateActual(getOnly, actual({ origin: "https://evil.example" }));
    assert.equal(result.matched, false);
    if (result.matched) return;
    assert.equal(
      describeRefusal(result),
      "no CORS rule matches, so the response carries no CORS headers\n" +
        "  - origin https://evil.example matches no AllowedOrigins of rule 1 (https://app.example)",
    );
  });
});

describe("compileCors", () => {
  it("compiles a configuration once and reuses it", () => {
    const config = cors({ allowedOrigins: ["https://a.example"], allowedMethods: ["GET"] });
    const compiled = compileCors(config);
    assert.equal(compileCors(config), compiled);
    assert.equal(compileCors(compiled), compiled);
    assert.notEqual(
      compileCors(cors({ allowedOrigins: ["https://a.example"], allowedMethods: ["GET"] })),
      compiled,
    );
  });

  it("gives the same answers for a compiled configuration as for the plain one", () => {
    const request = preflight("https://localhost:4200", "PUT", "content-type");
    assert.deepEqual(
      evaluatePreflight(compileCors(recorded), request),
      evaluatePreflight(recorded, request),
    );
  });

  it("answers correctly for more distinct origins than it remembers, and for very long ones", () => {
    const config = cors({ allowedOrigins: ["https://*.example"], allowedMethods: ["GET"] });
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 600; i++) {
        assert.equal(
          evaluatePreflight(config, preflight(`https://a${i}.example`, "GET")).allowed,
          true,
        );
        assert.equal(
          evaluatePreflight(config, preflight(`https://a${i}.evil`, "GET")).allowed,
          false,
        );
      }
      const long = `https://${"a".repeat(300)}.example`;
      assert.equal(evaluatePreflight(config, preflight(long, "GET")).allowed, true);
      assert.equal(evaluatePreflight(config, preflight(`${long}.evil`, "GET")).allowed, false);
    }
  });

  it("shows a refusal's reasons when it is logged as JSON", () => {
    const config = cors({ allowedOrigins: ["https://app.example"], allowedMethods: ["GET"] });
    const result = evaluatePreflight(config, preflight("https://evil.example", "GET"));
    assert.deepEqual(JSON.parse(JSON.stringify(result)), {
      allowed: false,
      status: 403,
      code: "AccessForbidden",
      message: NOT_ALLOWED,
      method: "GET",
      resourceType: "OBJECT",
      reasons: [
        {
          rule: 0,
          part: "origin",
          message:
            "origin https://evil.example matches no AllowedOrigins of rule 1 (https://app.example)",
        },
      ],
    });
    const actual = evaluateActual(config, { origin: "https://evil.example", method: "GET" });
    assert.deepEqual(JSON.parse(JSON.stringify(actual)).cause, "no-rule");
    assert.equal(JSON.parse(JSON.stringify(actual)).reasons.length, 1);
  });

  it("finds the last of 100 rules", () => {
    const rules: CorsRuleInput[] = Array.from({ length: 100 }, (_, i) => ({
      allowedOrigins: [`https://app${i}.example`, `https://*.tenant${i}.example`],
      allowedMethods: ["PUT"],
      allowedHeaders: ["content-type", "x-amz-meta-*"],
    }));
    const config = validateCors({ rules });
    const result = evaluatePreflight(
      config,
      preflight("https://a.tenant99.example", "PUT", "content-type, x-amz-meta-owner"),
    );
    assert.equal(result.allowed && result.rule, 99);
  });
});
