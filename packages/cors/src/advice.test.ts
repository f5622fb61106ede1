import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  describeRule,
  judgePreflightAnswer,
  originHints,
  ruleLabel,
  suggestCorsFix,
} from "./advice.js";
import { compileCors } from "./compile.js";
import { evaluatePreflight } from "./evaluate.js";
import { validateCors } from "./validate.js";

function answer(status: number, headers: Record<string, string>) {
  const map = new Map(Object.entries(headers).map(([n, v]) => [n.toLowerCase(), v]));
  return { status, headers: { get: (name: string) => map.get(name.toLowerCase()) ?? null } };
}

const rules = compileCors(
  validateCors({
    rules: [
      { id: "reads", allowedOrigins: ["https://app.example.com"], allowedMethods: ["GET"] },
      {
        allowedOrigins: ["https://app.example.com", "http://localhost:3000"],
        allowedMethods: ["PUT"],
        allowedHeaders: ["content-type"],
        exposeHeaders: ["ETag"],
        maxAgeSeconds: 600,
      },
    ],
  }),
);

describe("judging a preflight answer as a browser does", () => {
  it("passes an answer that allows the origin, the method and every header", () => {
    const ok = answer(200, {
      "Access-Control-Allow-Origin": "https://app.example.com",
      "Access-Control-Allow-Methods": "PUT",
      "Access-Control-Allow-Headers": "Content-Type, If-None-Match",
    });
    assert.deepEqual(
      judgePreflightAnswer(ok, "https://app.example.com", "PUT", ["content-type", "if-none-match"]),
      [],
    );
  });

  it("names each thing a browser holds against it", () => {
    assert.deepEqual(judgePreflightAnswer(answer(403, {}), "https://a.example", "PUT", []), [
      "the answer is 403, and a preflight needs 2xx",
      "the answer has no Access-Control-Allow-Origin",
    ]);
    assert.deepEqual(
      judgePreflightAnswer(
        answer(200, {
          "access-control-allow-origin": "https://b.example",
          "access-control-allow-methods": "GET",
        }),
        "https://a.example",
        "PUT",
        ["content-type"],
      ),
      [
        "Access-Control-Allow-Origin is https://b.example, not https://a.example",
        "Access-Control-Allow-Methods (GET) lacks PUT",
        "Access-Control-Allow-Headers (none) lacks content-type",
      ],
    );
    // GET, HEAD and POST need not be listed (CORS-safelisted methods).
    assert.deepEqual(
      judgePreflightAnswer(
        answer(204, { "access-control-allow-origin": "*" }),
        "https://a.example",
        "GET",
        [],
      ),
      [],
    );
  });
});

describe("suggesting the fix for refused rules", () => {
  const refused = (origin: string, method: string, headers: string[]) => {
    const result = evaluatePreflight(rules, {
      origin,
      accessControlRequestMethod: method,
      accessControlRequestHeaders: headers.join(","),
      resource: "OBJECT",
    });
    assert.equal(result.allowed, false);
    return suggestCorsFix(rules, result.allowed ? [] : result.reasons, { origin, method, headers });
  };

  it("changes the closest rule: the one with the fewest failing parts", () => {
    assert.deepEqual(refused("https://app.example.com", "PUT", ["content-type", "x-amz-meta-a"]), {
      kind: "change-rule",
      rule: 1,
      changes: ["add x-amz-meta-a to AllowedHeaders"],
    });
    assert.deepEqual(refused("https://other.example.com", "GET", []), {
      kind: "change-rule",
      rule: 0,
      changes: ["add https://other.example.com to AllowedOrigins"],
    });
  });

  it("says to serve a plain-http page over https rather than allow it", () => {
    assert.deepEqual(refused("http://app.example.com", "PUT", ["content-type"]), {
      kind: "serve-over-https",
      secureOrigin: "https://app.example.com",
      allowingRule: 0,
    });
  });

  it("regenerates when there are no rules", () => {
    assert.deepEqual(
      suggestCorsFix(undefined, [], { origin: "https://a.example", method: "PUT", headers: [] }),
      { kind: "regenerate" },
    );
  });
});

describe("near misses and rule names", () => {
  it("says localhost, 127.0.0.1 and another port are other origins", () => {
    const hints = originHints(rules, "http://127.0.0.1:3000");
    assert.equal(hints.length, 1);
    assert.match(
      hints[0] ?? "",
      /^hint: rule 2 allows http:\/\/localhost:3000, not http:\/\/127\.0\.0\.1:3000/,
    );
    assert.match(
      originHints(rules, "http://localhost:5173").join("\n"),
      /the port is part of the origin/,
    );
    assert.deepEqual(originHints(rules, "https://unrelated.example"), []);
  });

  it("names rules as people count them, with their ID", () => {
    assert.equal(ruleLabel(rules, 0), "rule 1 (reads)");
    assert.equal(ruleLabel(rules, 1), "rule 2");
    assert.equal(
      describeRule(rules.rules[1]?.rule ?? assert.fail(), 1),
      "rule 2: PUT from https://app.example.com, http://localhost:3000; headers content-type; exposes ETag; max age 600 s",
    );
  });
});
