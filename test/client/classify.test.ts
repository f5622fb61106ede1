/**
 * `classify()`: every decision the uploader makes about a failed request, as a table.
 * Pure, so it runs in Node; the Chromium scenarios show the same decisions live.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type ClassifyContext,
  classify,
  type Failure,
} from "../../packages/client/src/classify.js";

const URL = "http://127.0.0.1:9000/uploads/avatar/alice/abc.png?X-Amz-Signature=00";
const context = (attempt: number, extra: Partial<ClassifyContext> = {}): ClassifyContext => ({
  attempt,
  maxAttempts: 6,
  pageOrigin: "http://localhost:3000",
  random: () => 0.5,
  ...extra,
});
const store = (
  status: number,
  extra: Partial<Extract<Failure, { source: "store" }>> = {},
): Failure => ({
  source: "store",
  what: "Part 3 of 8 of clip.mp4",
  url: URL,
  status,
  ...extra,
});
const api = (
  status: number,
  code?: string,
  extra: Partial<Extract<Failure, { source: "api" }>> = {},
): Failure => ({
  source: "api",
  what: "Starting the upload of clip.mp4",
  status,
  code,
  message: code ? `the API says ${code}` : undefined,
  ...extra,
});

describe("classify: requests to the store", () => {
  const cases: [string, Failure, number, string, string?][] = [
    ["offline waits for the network", store(0, { diagnosis: "offline" }), 1, "wait-online"],
    ["a dropped connection is retried", store(0, { diagnosis: "dropped" }), 1, "retry"],
    ["an unreachable store is retried", store(0, { diagnosis: "unreachable" }), 3, "retry"],
    ["a stalled request is retried", store(0, { diagnosis: "stalled" }), 2, "retry"],
    [
      "a first block is retried once (a lost connection looks the same)",
      store(0, { diagnosis: "blocked" }),
      1,
      "retry",
    ],
    ["a second block is CORS", store(0, { diagnosis: "blocked" }), 2, "fail", "cors"],
    [
      "network errors fail once attempts run out",
      store(0, { diagnosis: "dropped" }),
      6,
      "fail",
      "network",
    ],
    ["500 is retried", store(500, { s3: { code: "InternalError", message: "x" } }), 1, "retry"],
    ["503 SlowDown is retried", store(503, { s3: { code: "SlowDown", message: "x" } }), 2, "retry"],
    ["429 is retried", store(429), 1, "retry"],
    ["5xx fails once attempts run out", store(500), 6, "fail", "storage"],
    [
      "R2's expired URL is re-signed",
      store(403, { s3: { code: "ExpiredRequest", message: "Request has expired" } }),
      1,
      "resign",
    ],
    [
      "S3's expired URL is re-signed",
      store(403, { s3: { code: "AccessDenied", message: "Request has expired" } }),
      1,
      "resign",
    ],
    [
      "AccessDenied otherwise fails",
      store(403, { s3: { code: "AccessDenied", message: "Access Denied" } }),
      1,
      "fail",
      "storage",
    ],
    [
      "SignatureDoesNotMatch fails at once",
      store(403, { s3: { code: "SignatureDoesNotMatch", message: "m" } }),
      1,
      "fail",
      "storage",
    ],
    [
      "412 on a conditional single PUT: it landed before",
      store(412, { conditional: true }),
      2,
      "proceed",
    ],
    ["412 elsewhere fails", store(412), 1, "fail", "storage"],
    [
      "NoSuchUpload: the upload is gone",
      store(404, { s3: { code: "NoSuchUpload", message: "m" } }),
      1,
      "fail",
      "expired",
    ],
    [
      "EntityTooSmall fails at once",
      store(400, { s3: { code: "EntityTooSmall", message: "m" } }),
      1,
      "fail",
      "storage",
    ],
  ];
  for (const [name, failure, attempt, action, kind] of cases) {
    test(name, () => {
      const decision = classify(failure, context(attempt));
      assert.equal(decision.action, action);
      if (decision.action === "fail") assert.equal(decision.error.kind, kind);
    });
  }

  describe("a blocked request once the URL has expired", () => {
    // Signed 2026-12-01 10:00:00Z for 300 s: it stops working at 10:05:00Z.
    const signed = `${URL}&X-Amz-Date=20261201T100000Z&X-Amz-Expires=300`;
    const expiry = Date.UTC(2026, 11, 1, 10, 5, 0);
    const blocked = (diagnosis: "blocked" | "dropped" | "offline") =>
      store(0, { url: signed, diagnosis });
    test("is re-signed: a store without CORS on its errors (Ceph RGW) looks blocked", () => {
      for (const diagnosis of ["blocked", "dropped"] as const) {
        assert.equal(classify(blocked(diagnosis), context(2, { nowMs: expiry })).action, "resign");
      }
    });
    test("is retried as before while the URL is still valid", () => {
      const decision = classify(blocked("dropped"), context(1, { nowMs: expiry - 1 }));
      assert.equal(decision.action, "retry");
    });
    test("is not judged without a clock, and waits when offline", () => {
      assert.equal(classify(blocked("dropped"), context(1)).action, "retry");
      assert.equal(
        classify(blocked("offline"), context(1, { nowMs: expiry + 1 })).action,
        "wait-online",
      );
    });
    test("fails as expired once attempts run out", () => {
      const decision = classify(blocked("blocked"), context(6, { nowMs: expiry + 1 }));
      assert.equal(decision.action, "fail");
      if (decision.action === "fail") {
        assert.equal(decision.error.kind, "expired");
        assert.match(decision.error.message, /expired at 2026-12-01T10:05:00\.000Z/);
      }
    });
  });

  test("a CORS refusal says which origin, and how to check the rules", () => {
    const decision = classify(store(0, { diagnosis: "blocked" }), context(2));
    assert.equal(decision.action, "fail");
    if (decision.action !== "fail") return;
    assert.equal(decision.error.status, 0);
    assert.match(
      decision.error.message,
      /CORS rules do not allow this page's origin \(http:\/\/localhost:3000\)/,
    );
    assert.match(
      decision.error.message,
      /sluice cors check --endpoint-url http:\/\/127\.0\.0\.1:9000 --bucket uploads --origin http:\/\/localhost:3000 --method PUT$/,
    );
  });

  test("SignatureDoesNotMatch shows the store's words, which name the header that differed", () => {
    const decision = classify(
      store(403, {
        s3: {
          code: "SignatureDoesNotMatch",
          message:
            'The request signature we calculated does not match the signature you provided. Likely cause: the request sent content-type more than once ("image/png, image/png")',
        },
      }),
      context(1),
    );
    assert.equal(decision.action, "fail");
    if (decision.action !== "fail") return;
    assert.equal(decision.error.code, "SignatureDoesNotMatch");
    assert.match(decision.error.message, /content-type more than once/);
    assert.match(decision.error.message, /exactly the headers the upload API returned, each once/);
  });

  test("retries wait a full-jitter delay, or longer when the store says Retry-After", () => {
    const early = classify(store(500), context(1, { random: () => 0.999 }));
    assert.ok(early.action === "retry" && early.delayMs < 500);
    const later = classify(store(500), context(4, { random: () => 0.999 }));
    assert.ok(later.action === "retry" && later.delayMs >= 3_000 && later.delayMs < 4_000);
    const told = classify(store(503, { retryAfterMs: 7_000 }), context(1));
    assert.ok(told.action === "retry" && told.delayMs === 7_000);
  });

  test("an expired URL is re-signed until the attempts run out", () => {
    const expired = store(403, { s3: { code: "ExpiredRequest", message: "Request has expired" } });
    const decision = classify(expired, context(6));
    assert.ok(decision.action === "fail" && decision.error.kind === "expired");
  });
});

describe("classify: requests to the upload API", () => {
  const cases: [string, Failure, number, string, string?][] = [
    ["401 asks the user to sign in", api(401, "unauthenticated"), 1, "fail", "unauthenticated"],
    ["415 is a refusal", api(415, "type_not_allowed"), 1, "fail", "refused"],
    ["413 is a refusal", api(413, "too_large"), 1, "fail", "refused"],
    [
      "429 too_many_pending is a refusal, not a rate limit",
      api(429, "too_many_pending"),
      1,
      "fail",
      "refused",
    ],
    ["429 otherwise is retried", api(429, "slow_down"), 1, "retry"],
    ["409 completion_in_progress is waited for", api(409, "completion_in_progress"), 1, "retry"],
    ["409 otherwise is a refusal", api(409, "parts_missing"), 1, "fail", "refused"],
    ["410 is expired", api(410, "expired"), 1, "fail", "expired"],
    ["422 is a rejection of the bytes", api(422, "verification_failed"), 1, "fail", "rejected"],
    ["502 is retried", api(502, "storage_error"), 1, "retry"],
    ["502 fails once attempts run out", api(502, "storage_error"), 6, "fail", "server"],
    ["501 fails at once", api(501), 1, "fail", "server"],
    ["a network error is retried", api(0), 1, "retry"],
    ["offline waits for the network", api(0, undefined, { offline: true }), 1, "wait-online"],
  ];
  for (const [name, failure, attempt, action, kind] of cases) {
    test(name, () => {
      const decision = classify(failure, context(attempt));
      assert.equal(decision.action, action);
      if (decision.action === "fail") assert.equal(decision.error.kind, kind);
    });
  }

  test("the API's own message and code become the error's", () => {
    const decision = classify(api(415, "type_not_allowed"), context(1));
    assert.ok(decision.action === "fail");
    if (decision.action !== "fail") return;
    assert.equal(decision.error.message, "the API says type_not_allowed");
    assert.equal(decision.error.code, "type_not_allowed");
    assert.equal(decision.error.status, 415);
  });

  test("completion in progress waits at least a second (or what Retry-After says)", () => {
    const decision = classify(
      api(409, "completion_in_progress", { retryAfterMs: 2_000 }),
      context(1),
    );
    assert.ok(decision.action === "retry" && decision.delayMs === 2_000);
  });
});
