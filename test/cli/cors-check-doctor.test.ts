/**
 * `sluice cors check` and `sluice doctor` against the embedded store, on the broken setups
 * people meet with browser uploads: each must be found, explained (which rule part, or
 * why no rule), and given a fix; a working setup passes; the temporary object is gone.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { type CorsRuleInput, encodeCorsXml, validateCors } from "@sluice/cors";
import {
  CREDENTIALS,
  type RunResult,
  sluice,
  startStore,
  type TestStore,
  userEnv,
} from "./helpers.js";

interface CheckLine {
  check: string;
  ok: boolean;
  message: string;
  details: string[];
  fix?: string;
}

const UPLOAD_RULE: CorsRuleInput = {
  allowedOrigins: ["https://app.example.com"],
  allowedMethods: ["PUT"],
  allowedHeaders: ["content-type", "if-none-match", "x-amz-checksum-sha256"],
  exposeHeaders: ["ETag"],
  maxAgeSeconds: 3600,
};

interface Setup {
  readonly name: string;
  /** The bucket's rules; none for a bucket without CORS. */
  readonly rules: readonly CorsRuleInput[] | undefined;
  readonly origin: string;
  /** The checks that must fail (doctor's credentials and lint aside). */
  readonly failing: readonly string[];
  /** What the explanation must say, somewhere in the failing lines. */
  readonly says: readonly RegExp[];
  /** What the fix must say. */
  readonly fix: RegExp;
}

const SETUPS: readonly Setup[] = [
  {
    name: "no CORS configuration",
    rules: undefined,
    origin: "https://app.example.com",
    failing: ["cors-configuration", "preflight", "upload", "etag"],
    says: [/bucket \S+ has no CORS configuration/, /CORS is not enabled for this bucket/],
    fix: /sluice cors generate --origin https:\/\/app\.example\.com > cors\.json && sluice cors put/,
  },
  {
    name: "origin missing",
    rules: [{ ...UPLOAD_RULE, allowedOrigins: ["https://other.example.com"] }],
    origin: "https://app.example.com",
    failing: ["preflight", "upload", "etag"],
    says: [
      /origin https:\/\/app\.example\.com matches no AllowedOrigins of rule 1 \(https:\/\/other\.example\.com\)/,
    ],
    fix: /add https:\/\/app\.example\.com to AllowedOrigins of rule 1/,
  },
  {
    name: "http:// vs https:// origin",
    rules: [UPLOAD_RULE],
    origin: "http://app.example.com",
    failing: ["preflight", "upload", "etag"],
    says: [/has the other scheme \(http and https are different origins\)/],
    fix: /serve the page from https:\/\/app\.example\.com, which rule 1 allows/,
  },
  {
    name: "localhost vs 127.0.0.1",
    rules: [{ ...UPLOAD_RULE, allowedOrigins: ["http://localhost:5173"] }],
    origin: "http://127.0.0.1:5173",
    failing: ["preflight", "upload", "etag"],
    says: [
      /rule 1 allows http:\/\/localhost:5173, not http:\/\/127\.0\.0\.1:5173: localhost, 127\.0\.0\.1 and \[::1\] are different origins/,
    ],
    fix: /add http:\/\/127\.0\.0\.1:5173 to AllowedOrigins of rule 1/,
  },
  {
    name: "content-type not allowed",
    rules: [{ ...UPLOAD_RULE, allowedHeaders: ["if-none-match", "x-amz-checksum-sha256"] }],
    origin: "https://app.example.com",
    // The PUT itself matches (actual requests are not matched on headers); its preflight does not.
    failing: ["preflight"],
    says: [
      /header content-type is not in AllowedHeaders of rule 1 \(if-none-match, x-amz-checksum-sha256\)/,
    ],
    fix: /add content-type to AllowedHeaders of rule 1/,
  },
  {
    name: "PUT not allowed",
    rules: [{ ...UPLOAD_RULE, allowedMethods: ["GET", "HEAD"] }],
    origin: "https://app.example.com",
    failing: ["preflight", "upload", "etag"],
    says: [/method PUT is not in AllowedMethods of rule 1 \(GET, HEAD\)/],
    fix: /add PUT to AllowedMethods of rule 1/,
  },
  {
    name: "ETag not exposed",
    rules: [{ ...UPLOAD_RULE, exposeHeaders: [] }],
    origin: "https://app.example.com",
    failing: ["etag"],
    says: [/the answer has no Access-Control-Expose-Headers, so the browser hides its ETag/],
    fix: /add "ETag" to ExposeHeaders of rule 1/,
  },
];

let server: TestStore;
let s3: S3Client;

before(async () => {
  server = await startStore();
  s3 = new S3Client({
    endpoint: server.url,
    region: "auto",
    credentials: CREDENTIALS,
    forcePathStyle: true,
  });
});

after(async () => {
  s3?.destroy();
  await server?.close();
});

async function bucketWith(
  name: string,
  rules: readonly CorsRuleInput[] | undefined,
): Promise<void> {
  const api = await server.bucket(name);
  if (rules) await api.putBucketCors(encodeCorsXml(validateCors({ rules })));
}

async function keysIn(bucket: string): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listed.Contents ?? []).map((o) => o.Key ?? "");
}

function checks(result: RunResult): CheckLine[] {
  const parsed = JSON.parse(result.stdout) as { ok: boolean; checks: CheckLine[] };
  assert.equal(parsed.ok, result.code === 0);
  return parsed.checks;
}

function assertFound(
  lines: readonly CheckLine[],
  setup: Setup,
  expectedFailing: readonly string[],
) {
  const failing = lines.filter((l) => !l.ok).map((l) => l.check);
  assert.deepEqual(failing, expectedFailing, JSON.stringify(lines, null, 2));
  const text = lines
    .filter((l) => !l.ok)
    .map((l) => [l.message, ...l.details].join("\n"))
    .join("\n");
  for (const pattern of setup.says) assert.match(text, pattern);
  const fixes = lines.flatMap((l) => (l.fix ? [l.fix] : [])).join("\n");
  assert.match(fixes, setup.fix);
  for (const line of lines.filter((l) => !l.ok)) assert.ok(line.fix, `${line.check} has no fix`);
}

const bucketName = (prefix: string, setup: Setup) =>
  `${prefix}-${setup.name
    .replace(/[^a-z0-9]+/gi, "-")
    .replace(/^-|-$/g, "")
    .toLowerCase()}`;

describe("sluice cors check", { concurrency: true }, () => {
  for (const setup of SETUPS) {
    it(`finds and explains: ${setup.name} (exit 1)`, async () => {
      const bucket = bucketName("check", setup);
      await bucketWith(bucket, setup.rules);
      const result = await sluice([
        "cors",
        "check",
        "--endpoint-url",
        server.url,
        "--bucket",
        bucket,
        "--origin",
        setup.origin,
        "--json",
      ]);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      const lines = checks(result);
      assertFound(lines, setup, setup.failing);
      assert.deepEqual(await keysIn(bucket), [], "the temporary object is removed");
    });
  }

  it("passes a working setup: which rule matched, Allow-Origin and ETag readable (exit 0)", async () => {
    await bucketWith("check-working", [
      { ...UPLOAD_RULE, id: "reads", allowedMethods: ["GET"] },
      { ...UPLOAD_RULE, id: "uploads" },
    ]);
    const result = await sluice([
      "cors",
      "check",
      "--endpoint-url",
      server.url,
      "--bucket",
      "check-working",
      "--origin",
      "https://app.example.com",
    ]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /✓ bucket check-working has 2 CORS rules/);
    assert.match(
      result.stdout,
      /✓ preflight from https:\/\/app\.example\.com for PUT with content-type, if-none-match, x-amz-checksum-sha256 passes: 200, rule 2 \(uploads\) matches/,
    );
    assert.match(
      result.stdout,
      /Access-Control-Allow-Headers: content-type, if-none-match, x-amz-checksum-sha256/,
    );
    assert.match(
      result.stdout,
      /✓ a signed PUT from https:\/\/app\.example\.com to bucket check-working succeeded \(200\)/,
    );
    assert.match(result.stdout, /✓ the page can read the ETag \("[0-9a-f]{32}"\)/);
    assert.match(result.stdout, /✓ removed the temporary object sluice-check\//);
    assert.doesNotMatch(result.stdout, /✗/);
    assert.deepEqual(await keysIn("check-working"), []);
  });

  it("prints a refusal rule by rule in words, ✗ with the fix", async () => {
    await bucketWith("check-words", [
      { ...UPLOAD_RULE, allowedOrigins: ["https://app.example.com"], allowedMethods: ["GET"] },
      { ...UPLOAD_RULE, allowedOrigins: ["https://admin.example.com"] },
    ]);
    const result = await sluice([
      "cors",
      "check",
      "--endpoint-url",
      server.url,
      "--bucket",
      "check-words",
      "--origin",
      "https://app.example.com",
      "--header",
      "content-type",
    ]);
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      /✗ preflight from https:\/\/app\.example\.com for PUT with content-type is refused: 403 AccessForbidden/,
    );
    assert.match(result.stdout, /- method PUT is not in AllowedMethods of rule 1 \(GET\)/);
    assert.match(
      result.stdout,
      /- origin https:\/\/app\.example\.com matches no AllowedOrigins of rule 2 \(https:\/\/admin\.example\.com\)/,
    );
    assert.match(result.stdout, /fix: add PUT to AllowedMethods of rule 1/);
  });

  it("checks a GET from the origin on a temporary object with --method GET", async () => {
    await bucketWith("check-get", [{ ...UPLOAD_RULE, allowedMethods: ["PUT", "GET", "HEAD"] }]);
    const result = await sluice([
      "cors",
      "check",
      "--endpoint-url",
      server.url,
      "--bucket",
      "check-get",
      "--origin",
      "https://app.example.com",
      "--method",
      "GET",
      "--json",
    ]);
    assert.equal(result.code, 0, result.stdout);
    assert.deepEqual(
      checks(result).map((l) => l.check),
      ["cors-configuration", "preflight", "upload", "cleanup"],
    );
    assert.deepEqual(await keysIn("check-get"), []);
  });

  it("needs --origin, as browsers send it (exit 2)", async () => {
    const none = await sluice(["cors", "check", "--endpoint-url", server.url, "--bucket", "x"]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /give the page's origin: --origin/);
    const slash = await sluice([
      "cors",
      "check",
      "--endpoint-url",
      server.url,
      "--bucket",
      "x",
      "--origin",
      "https://app.example.com/",
    ]);
    assert.equal(slash.code, 2);
    assert.match(slash.stderr, /no path or trailing slash/);
  });
});

describe("sluice doctor", { concurrency: true }, () => {
  for (const setup of SETUPS) {
    it(`finds and explains: ${setup.name} (exit 1)`, async () => {
      const bucket = bucketName("doctor", setup);
      await bucketWith(bucket, setup.rules);
      const result = await sluice([
        "doctor",
        "--endpoint-url",
        server.url,
        "--bucket",
        bucket,
        "--origin",
        setup.origin,
        "--json",
      ]);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      const lines = checks(result);
      assert.equal(lines[0]?.check, "credentials");
      // Doctor's lint also calls a PUT rule without content-type not strict.
      const lint = setup.name === "content-type not allowed" ? ["cors-lint"] : [];
      assertFound(lines, setup, [...lint, ...setup.failing]);
      assert.equal(lines.at(-1)?.check, "cleanup");
      assert.deepEqual(await keysIn(bucket), []);
    });
  }

  it("passes a working setup, every line ✓ (exit 0)", async () => {
    await bucketWith("doctor-working", [UPLOAD_RULE]);
    const result = await sluice([
      "doctor",
      "--endpoint-url",
      server.url,
      "--bucket",
      "doctor-working",
      "--origin",
      "https://app.example.com",
    ]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const lines = result.stdout.split("\n").filter((l) => /^[✓✗]/.test(l));
    assert.equal(lines.length, 7, result.stdout);
    assert.ok(
      lines.every((l) => l.startsWith("✓")),
      result.stdout,
    );
    assert.match(
      result.stdout,
      /✓ credentials work: key SLUICECLITEST \(from AWS_ACCESS_KEY_ID\) may use bucket doctor-working/,
    );
    assert.match(result.stdout, /✓ the CORS rules are strict/);
  });

  it("refuses * origins and wildcard headers as not strict", async () => {
    await bucketWith("doctor-loose", [
      { ...UPLOAD_RULE, allowedOrigins: ["*"], allowedHeaders: ["*"] },
    ]);
    const result = await sluice([
      "doctor",
      "--endpoint-url",
      server.url,
      "--bucket",
      "doctor-loose",
      "--origin",
      "https://app.example.com",
      "--json",
    ]);
    assert.equal(result.code, 1);
    const lint = checks(result).find((l) => l.check === "cors-lint");
    assert.equal(lint?.ok, false);
    assert.match(lint?.details.join("\n") ?? "", /allows any origin \(\*\)/);
    assert.match(lint?.details.join("\n") ?? "", /allows any request header \(\*\)/);
  });

  it("says when the secret is wrong, and stops there", async () => {
    await bucketWith("doctor-secret", [UPLOAD_RULE]);
    const result = await sluice(
      [
        "doctor",
        "--endpoint-url",
        server.url,
        "--bucket",
        "doctor-secret",
        "--origin",
        "https://app.example.com",
      ],
      { env: userEnv({ AWS_SECRET_ACCESS_KEY: "not-the-secret" }) },
    );
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      /✗ credentials refused: key SLUICECLITEST \(from AWS_ACCESS_KEY_ID\) got 403 on HeadBucket doctor-secret; ListBuckets says SignatureDoesNotMatch/,
    );
    assert.match(
      result.stdout,
      /fix: the secret access key is not the one http:\/\/127\.0\.0\.1:\d+ holds for SLUICECLITEST/,
    );
    assert.equal(result.stdout.split("\n").filter((l) => /^[✓✗]/.test(l)).length, 1);
  });

  it("says when the access key is unknown, or the bucket does not exist", async () => {
    const unknown = await sluice(
      [
        "doctor",
        "--endpoint-url",
        server.url,
        "--bucket",
        "doctor-any",
        "--origin",
        "https://app.example.com",
      ],
      { env: userEnv({ AWS_ACCESS_KEY_ID: "NOSUCHKEY" }) },
    );
    assert.equal(unknown.code, 1);
    assert.match(unknown.stdout, /ListBuckets says Unauthorized/);
    assert.match(unknown.stdout, /does not know the access key NOSUCHKEY/);

    const missing = await sluice([
      "doctor",
      "--endpoint-url",
      server.url,
      "--bucket",
      "doctor-missing",
      "--origin",
      "https://app.example.com",
    ]);
    assert.equal(missing.code, 1);
    assert.match(
      missing.stdout,
      /✗ bucket doctor-missing does not exist at http:\/\/127\.0\.0\.1:\d+/,
    );
  });

  it("says when the endpoint cannot be reached", async () => {
    const result = await sluice([
      "doctor",
      "--endpoint-url",
      "http://127.0.0.1:9",
      "--bucket",
      "doctor-any",
      "--origin",
      "https://app.example.com",
    ]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /✗ cannot reach http:\/\/127\.0\.0\.1:9/);
  });
});
