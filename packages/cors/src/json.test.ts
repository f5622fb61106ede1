import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeAwsCorsJson, parseAwsCorsJson } from "./aws-json.js";
import { encodeCloudflareCorsJson, parseCloudflareCorsJson } from "./cloudflare-json.js";
import { CorsConfigError } from "./cors-config-error.js";
import { encodeCorsXml } from "./cors-xml.js";
import type { CorsConfiguration } from "./model.js";
import { detectCorsJsonForm, parseCors, parseCorsJson } from "./parse-cors.js";

const config: CorsConfiguration = {
  rules: [
    {
      id: "uploads",
      allowedOrigins: ["https://app.example.com"],
      allowedMethods: ["PUT", "GET"],
      allowedHeaders: ["Content-Type", "x-amz-meta-*"],
      exposeHeaders: ["ETag"],
      maxAgeSeconds: 3600,
    },
    {
      allowedOrigins: ["https://*.example.com"],
      allowedMethods: ["HEAD"],
      allowedHeaders: [],
      exposeHeaders: [],
    },
  ],
};

const awsText = `{
  "CORSRules": [
    {
      "ID": "uploads",
      "AllowedOrigins": [
        "https://app.example.com"
      ],
      "AllowedMethods": [
        "PUT",
        "GET"
      ],
      "AllowedHeaders": [
        "Content-Type",
        "x-amz-meta-*"
      ],
      "ExposeHeaders": [
        "ETag"
      ],
      "MaxAgeSeconds": 3600
    },
    {
      "AllowedOrigins": [
        "https://*.example.com"
      ],
      "AllowedMethods": [
        "HEAD"
      ]
    }
  ]
}`;

const cloudflareText = `{
  "rules": [
    {
      "id": "uploads",
      "allowed": {
        "origins": [
          "https://app.example.com"
        ],
        "methods": [
          "PUT",
          "GET"
        ],
        "headers": [
          "Content-Type",
          "x-amz-meta-*"
        ]
      },
      "exposeHeaders": [
        "ETag"
      ],
      "maxAgeSeconds": 3600
    },
    {
      "allowed": {
        "origins": [
          "https://*.example.com"
        ],
        "methods": [
          "HEAD"
        ]
      }
    }
  ]
}`;

function rejects(parse: () => unknown, code: string, detail: RegExp) {
  assert.throws(parse, (error: unknown) => {
    assert.ok(error instanceof CorsConfigError, String(error));
    assert.equal(error.code, code);
    assert.match(error.detail, detail);
    return true;
  });
}

describe("AWS CLI JSON", () => {
  it("parses the put-bucket-cors form", () => {
    assert.deepEqual(parseAwsCorsJson(awsText), config);
  });

  it("parses the R2 dashboard's bare array form", () => {
    const array = JSON.stringify(JSON.parse(awsText).CORSRules);
    assert.deepEqual(parseAwsCorsJson(array), config);
  });

  it("encodes as the AWS CLI prints, leaving out empty lists and unset fields", () => {
    assert.equal(encodeAwsCorsJson(config), awsText);
  });

  it("encodes the bare array for the R2 dashboard on request", () => {
    assert.deepEqual(
      JSON.parse(encodeAwsCorsJson(config, { bareArray: true })),
      JSON.parse(awsText).CORSRules,
    );
  });

  it("round-trips", () => {
    assert.deepEqual(parseAwsCorsJson(encodeAwsCorsJson(config)), config);
  });

  const shapes: [string, string, RegExp][] = [
    ["text that is not JSON", "{CORSRules:", /not JSON/],
    ["a document without CORSRules", "{}", /CORSRules must be an array/],
    [
      "an unknown top-level key",
      '{"CORSRules":[],"Extra":1}',
      /unknown key "Extra" in the document/,
    ],
    [
      "an unknown rule key",
      '[{"AllowedOrigins":["*"],"AllowedMethods":["GET"],"AllowedOrigin":["*"]}]',
      /unknown key "AllowedOrigin" in CORSRules\[0\]/,
    ],
    [
      "a rule without AllowedOrigins",
      '[{"AllowedMethods":["GET"]}]',
      /CORSRules\[0\] has no "AllowedOrigins"/,
    ],
    [
      "a string where a list belongs",
      '[{"AllowedOrigins":"*","AllowedMethods":["GET"]}]',
      /CORSRules\[0\].AllowedOrigins must be an array/,
    ],
    [
      "a number in a list of strings",
      '[{"AllowedOrigins":["*"],"AllowedMethods":[1]}]',
      /AllowedMethods\[0\] must be a string/,
    ],
    [
      "a MaxAgeSeconds given as a string",
      '[{"AllowedOrigins":["*"],"AllowedMethods":["GET"],"MaxAgeSeconds":"3600"}]',
      /MaxAgeSeconds must be a number/,
    ],
    ["a rule that is not an object", "[null]", /CORSRules\[0\] must be an object/],
  ];
  for (const [what, text, detail] of shapes) {
    it(`rejects ${what} as MalformedJSON`, () =>
      rejects(() => parseAwsCorsJson(text), "MalformedJSON", detail));
  }

  it("answers an empty AllowedOrigins list as S3 answers a rule without AllowedOrigin", () => {
    rejects(
      () => parseAwsCorsJson('[{"AllowedOrigins":[],"AllowedMethods":["GET"]}]'),
      "MalformedXML",
      /rule 1 has no AllowedOrigin/,
    );
  });

  it("validates values with S3's codes", () => {
    rejects(
      () => parseAwsCorsJson('[{"AllowedOrigins":["*"],"AllowedMethods":["PATCH"]}]'),
      "InvalidRequest",
      /Unsupported method is PATCH/,
    );
  });

  it("accepts a byte-order mark", () => {
    assert.deepEqual(parseAwsCorsJson(`\uFEFF${awsText}`), config);
  });
});

describe("Cloudflare API JSON", () => {
  it("parses the rules form", () => {
    assert.deepEqual(parseCloudflareCorsJson(cloudflareText), config);
  });

  it("encodes the rules form", () => {
    assert.equal(encodeCloudflareCorsJson(config), cloudflareText);
  });

  it("round-trips", () => {
    assert.deepEqual(parseCloudflareCorsJson(encodeCloudflareCorsJson(config)), config);
  });

  const shapes: [string, string, RegExp][] = [
    ["a rule without allowed", '{"rules":[{"id":"x"}]}', /rules\[0\].allowed must be an object/],
    [
      "allowed without methods",
      '{"rules":[{"allowed":{"origins":["*"]}}]}',
      /rules\[0\].allowed has no "methods"/,
    ],
    [
      "an AWS key in a Cloudflare rule",
      '{"rules":[{"allowed":{"origins":["*"],"methods":["GET"]},"MaxAgeSeconds":1}]}',
      /unknown key "MaxAgeSeconds" in rules\[0\]/,
    ],
  ];
  for (const [what, text, detail] of shapes) {
    it(`rejects ${what} as MalformedJSON`, () =>
      rejects(() => parseCloudflareCorsJson(text), "MalformedJSON", detail));
  }

  it("applies R2's limits when asked", () => {
    const text = '{"rules":[{"allowed":{"origins":["http://localhost:*"],"methods":["GET"]}}]}';
    assert.equal(parseCloudflareCorsJson(text).rules.length, 1);
    rejects(() => parseCloudflareCorsJson(text, { flavor: "r2" }), "MalformedXML", /wildcard port/);
  });
});

describe("parseCorsJson and parseCors", () => {
  const dashboardText = JSON.stringify(JSON.parse(awsText).CORSRules);

  it("detects each JSON form by its shape", () => {
    assert.equal(detectCorsJsonForm(JSON.parse(awsText)), "aws");
    assert.equal(detectCorsJsonForm(JSON.parse(dashboardText)), "r2-dashboard");
    assert.equal(detectCorsJsonForm(JSON.parse(cloudflareText)), "cloudflare");
    assert.equal(detectCorsJsonForm({ CORSConfiguration: {} }), undefined);
    assert.equal(detectCorsJsonForm("rules"), undefined);
  });

  for (const [form, text] of [
    ["AWS CLI", awsText],
    ["R2 dashboard", dashboardText],
    ["Cloudflare API", cloudflareText],
  ] as const) {
    it(`parses the ${form} form to the same model`, () => {
      assert.deepEqual(parseCorsJson(text), config);
    });
  }

  it("rejects JSON of no known form with MalformedJSON naming the forms", () => {
    rejects(
      () => parseCorsJson('{"CORSConfiguration":{}}'),
      "MalformedJSON",
      /AWS CLI.*R2 dashboard.*Cloudflare API/,
    );
  });

  it("passes the flavor on", () => {
    rejects(
      () =>
        parseCorsJson('[{"AllowedOrigins":["*"],"AllowedMethods":["GET"],"MaxAgeSeconds":86401}]', {
          flavor: "r2",
        }),
      "MalformedXML",
      /86400/,
    );
  });

  it("tells XML from JSON by the first character", () => {
    assert.deepEqual(parseCors(encodeCorsXml(config)), config);
    const bare = encodeCorsXml(config).replace(/^<\?xml[^>]*>/, "");
    assert.deepEqual(parseCors(`\n  ${bare}`), config);
    assert.deepEqual(parseCors(cloudflareText), config);
    rejects(() => parseCors("  <CORSConfiguration>"), "MalformedXML", /not closed/);
  });
});
