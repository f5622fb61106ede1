/**
 * `sluice cors put|get|delete|generate` against the embedded store, with the `aws` CLI as
 * the independent judge: what one sets, the other reads back, rule for rule.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  aws,
  requireAwsCli,
  sluice,
  startStore,
  type TestStore,
  userEnv,
  workdir,
} from "./helpers.js";

const CORS_JSON = {
  CORSRules: [
    {
      ID: "uploads",
      AllowedOrigins: ["https://app.example.com", "https://admin.example.com"],
      AllowedMethods: ["PUT", "GET"],
      AllowedHeaders: ["Content-Type", "if-none-match"],
      ExposeHeaders: ["ETag"],
      MaxAgeSeconds: 3600,
    },
    {
      AllowedOrigins: ["https://*.example.com"],
      AllowedMethods: ["GET", "HEAD"],
      MaxAgeSeconds: 600,
    },
  ],
};

const hasAws = requireAwsCli();
let server: TestStore;

before(async () => {
  server = await startStore();
});

after(async () => {
  await server?.close();
});

const storage = (bucket: string) => ["--endpoint-url", server.url, "--bucket", bucket];

describe("sluice cors, judged by the aws CLI", {
  concurrency: true,
  skip: !hasAws && "the aws CLI is not installed",
}, () => {
  it("sluice cors put, then aws s3api get-bucket-cors returns the same rules", async () => {
    await server.bucket("put-then-aws");
    const cwd = workdir();
    writeFileSync(join(cwd, "cors.json"), JSON.stringify(CORS_JSON));
    const put = await sluice(
      ["cors", "put", ...storage("put-then-aws"), "--cors-configuration", "file://cors.json"],
      { cwd },
    );
    assert.equal(put.code, 0, put.stderr);
    assert.match(put.stdout, /✓ set 2 CORS rules on bucket put-then-aws/);
    const got = await aws(
      server.url,
      ["s3api", "get-bucket-cors", "--bucket", "put-then-aws"],
      cwd,
    );
    assert.equal(got.code, 0, got.stderr);
    assert.deepEqual(JSON.parse(got.stdout), CORS_JSON);
  });

  it("aws s3api put-bucket-cors, then sluice cors get shows the same rules", async () => {
    await server.bucket("aws-then-get");
    const cwd = workdir();
    writeFileSync(join(cwd, "cors.json"), JSON.stringify(CORS_JSON));
    const put = await aws(
      server.url,
      [
        "s3api",
        "put-bucket-cors",
        "--bucket",
        "aws-then-get",
        "--cors-configuration",
        "file://cors.json",
      ],
      cwd,
    );
    assert.equal(put.code, 0, put.stderr);
    const got = await sluice(["cors", "get", ...storage("aws-then-get")], { cwd });
    assert.equal(got.code, 0, got.stderr);
    assert.deepEqual(JSON.parse(got.stdout), CORS_JSON);

    const cloudflare = await sluice([
      "cors",
      "get",
      ...storage("aws-then-get"),
      "--format",
      "cloudflare",
    ]);
    assert.equal(cloudflare.code, 0, cloudflare.stderr);
    assert.deepEqual(JSON.parse(cloudflare.stdout).rules[0], {
      id: "uploads",
      allowed: {
        origins: ["https://app.example.com", "https://admin.example.com"],
        methods: ["PUT", "GET"],
        headers: ["Content-Type", "if-none-match"],
      },
      exposeHeaders: ["ETag"],
      maxAgeSeconds: 3600,
    });
    const xml = await sluice(["cors", "get", ...storage("aws-then-get"), "--format", "xml"]);
    assert.equal(xml.code, 0, xml.stderr);
    assert.match(
      xml.stdout,
      /^<\?xml[^>]*>\s*<CORSConfiguration xmlns="http:\/\/s3\.amazonaws\.com\/doc\/2006-03-01\/">/,
    );
    assert.match(xml.stdout, /<AllowedOrigin>https:\/\/\*\.example\.com<\/AllowedOrigin>/);
  });

  it("takes Cloudflare's JSON form, and the aws CLI reads it back as S3 rules", async () => {
    await server.bucket("cloudflare-form");
    const cwd = workdir();
    const cloudflare = {
      rules: [
        {
          allowed: {
            origins: ["https://app.example.com"],
            methods: ["PUT"],
            headers: ["content-type"],
          },
          exposeHeaders: ["ETag"],
          maxAgeSeconds: 3600,
        },
      ],
    };
    writeFileSync(join(cwd, "r2.json"), JSON.stringify(cloudflare));
    const put = await sluice(
      ["cors", "put", ...storage("cloudflare-form"), "--cors-configuration", "file://r2.json"],
      { cwd },
    );
    assert.equal(put.code, 0, put.stderr);
    const got = await aws(
      server.url,
      ["s3api", "get-bucket-cors", "--bucket", "cloudflare-form"],
      cwd,
    );
    assert.deepEqual(JSON.parse(got.stdout), {
      CORSRules: [
        {
          AllowedOrigins: ["https://app.example.com"],
          AllowedMethods: ["PUT"],
          AllowedHeaders: ["content-type"],
          ExposeHeaders: ["ETag"],
          MaxAgeSeconds: 3600,
        },
      ],
    });
  });

  it("sluice cors generate's rules go through aws s3api put-bucket-cors unchanged", async () => {
    await server.bucket("generated");
    const cwd = workdir();
    const generated = await sluice(
      [
        "cors",
        "generate",
        "--origin",
        "https://app.example.com",
        "--origin",
        "http://localhost:3000",
        "--read",
      ],
      { cwd },
    );
    assert.equal(generated.code, 0, generated.stderr);
    // The loopback origin is fine for development, and said so.
    assert.match(generated.stderr, /local development origin http:\/\/localhost:3000/);
    writeFileSync(join(cwd, "cors.json"), generated.stdout);
    const put = await aws(
      server.url,
      [
        "s3api",
        "put-bucket-cors",
        "--bucket",
        "generated",
        "--cors-configuration",
        "file://cors.json",
      ],
      cwd,
    );
    assert.equal(put.code, 0, put.stderr);
    const got = await aws(server.url, ["s3api", "get-bucket-cors", "--bucket", "generated"], cwd);
    assert.deepEqual(JSON.parse(got.stdout), {
      CORSRules: [
        {
          ID: "sluice-uploads",
          AllowedOrigins: ["https://app.example.com", "http://localhost:3000"],
          AllowedMethods: ["PUT", "GET", "HEAD"],
          AllowedHeaders: ["content-type", "if-none-match", "x-amz-checksum-sha256"],
          ExposeHeaders: ["ETag"],
          MaxAgeSeconds: 3600,
        },
      ],
    });
  });

  it("sluice cors delete removes the rules, and the aws CLI finds none", async () => {
    const s3 = await server.bucket("deleted");
    await s3.putBucketCors(
      "<CORSConfiguration><CORSRule><AllowedOrigin>https://app.example.com</AllowedOrigin><AllowedMethod>PUT</AllowedMethod></CORSRule></CORSConfiguration>",
    );
    const cwd = workdir();
    const deleted = await sluice(["cors", "delete", ...storage("deleted")], { cwd });
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stdout, /✓ removed the CORS rules of bucket deleted/);
    const got = await aws(server.url, ["s3api", "get-bucket-cors", "--bucket", "deleted"], cwd);
    assert.notEqual(got.code, 0);
    assert.match(got.stderr, /NoSuchCORSConfiguration/);
  });
});

describe("sluice cors put lints before it sends", { concurrency: true }, () => {
  const refusals: [string, object, RegExp][] = [
    [
      "a * origin",
      { AllowedOrigins: ["*"], AllowedMethods: ["PUT"], AllowedHeaders: ["content-type"] },
      /allows any origin \(\*\)/,
    ],
    [
      "an http:// origin",
      {
        AllowedOrigins: ["http://app.example.com"],
        AllowedMethods: ["PUT"],
        AllowedHeaders: ["content-type"],
      },
      /over plain http/,
    ],
    [
      "a wildcard header",
      {
        AllowedOrigins: ["https://app.example.com"],
        AllowedMethods: ["PUT"],
        AllowedHeaders: ["*"],
      },
      /allows any request header \(\*\)/,
    ],
  ];
  for (const [what, rule, message] of refusals) {
    it(`refuses ${what} with exit 1 and sets nothing, unless --allow-insecure`, async () => {
      const bucket = `lint-${what.replace(/[^a-z]+/g, "-").replace(/^-|-$/g, "")}`;
      const s3 = await server.bucket(bucket);
      const rules = JSON.stringify({
        CORSRules: [{ ...rule, ExposeHeaders: ["ETag"], MaxAgeSeconds: 60 }],
      });
      const refused = await sluice([
        "cors",
        "put",
        ...storage(bucket),
        "--cors-configuration",
        rules,
      ]);
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, message);
      assert.match(refused.stderr, /refused: 1 lint error in the rules.*--allow-insecure/);
      assert.equal(await s3.getBucketCors(), undefined);

      const forced = await sluice([
        "cors",
        "put",
        ...storage(bucket),
        "--cors-configuration",
        rules,
        "--allow-insecure",
      ]);
      assert.equal(forced.code, 0, forced.stderr);
      assert.match(forced.stderr, message);
      assert.notEqual(await s3.getBucketCors(), undefined);
    });
  }

  it("sets rules that do not expose ETag, with a warning", async () => {
    const s3 = await server.bucket("lint-etag-warning");
    const rules = JSON.stringify({
      CORSRules: [
        {
          AllowedOrigins: ["https://app.example.com"],
          AllowedMethods: ["PUT"],
          AllowedHeaders: ["content-type"],
          MaxAgeSeconds: 60,
        },
      ],
    });
    const put = await sluice([
      "cors",
      "put",
      ...storage("lint-etag-warning"),
      "--cors-configuration",
      rules,
    ]);
    assert.equal(put.code, 0, put.stderr);
    assert.match(put.stderr, /! rule 1 allows PUT but does not expose ETag/);
    assert.notEqual(await s3.getBucketCors(), undefined);
  });

  it("reads the rules from standard input with -, and prints JSON with --json", async () => {
    await server.bucket("stdin-json");
    const put = await sluice(
      ["cors", "put", ...storage("stdin-json"), "--cors-configuration", "-", "--json"],
      { stdin: JSON.stringify(CORS_JSON) },
    );
    assert.equal(put.code, 0, put.stderr);
    const result = JSON.parse(put.stdout);
    assert.equal(result.ok, true);
    assert.equal(result.bucket, "stdin-json");
    assert.deepEqual(result.rules, CORS_JSON.CORSRules);
  });

  it("says which rule and field are wrong in a malformed file (exit 2)", async () => {
    await server.bucket("malformed");
    const bad = JSON.stringify({
      CORSRules: [{ AllowedOrigins: ["https://a.example.com"], AllowedMethods: ["PATCH"] }],
    });
    const put = await sluice(["cors", "put", ...storage("malformed"), "--cors-configuration", bad]);
    assert.equal(put.code, 2);
    assert.match(put.stderr, /InvalidRequest/);
    assert.match(put.stderr, /PATCH/);
    const missing = await sluice([
      "cors",
      "put",
      ...storage("malformed"),
      "--cors-configuration",
      "file://nope.json",
    ]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read nope\.json: no such file/);
  });

  it("refuses a PutBucketCors the endpoint refuses with its code (exit 1)", async () => {
    const put = await sluice([
      "cors",
      "put",
      ...storage("no-such-bucket"),
      "--cors-configuration",
      JSON.stringify(CORS_JSON),
    ]);
    assert.equal(put.code, 1);
    assert.match(put.stderr, /PutBucketCors: 404 NoSuchBucket/);
  });
});

describe("sluice cors get, delete and generate", { concurrency: true }, () => {
  it("cors get exits 1 and says so when the bucket has no rules", async () => {
    await server.bucket("get-none");
    const got = await sluice(["cors", "get", ...storage("get-none")]);
    assert.equal(got.code, 1);
    assert.equal(got.stdout, "");
    assert.match(got.stderr, /bucket get-none has no CORS configuration/);
  });

  it("cors delete of a missing bucket exits 1 with S3's code", async () => {
    const deleted = await sluice(["cors", "delete", ...storage("no-such-bucket"), "--json"]);
    assert.equal(deleted.code, 1);
    assert.equal(JSON.parse(deleted.stdout).ok, false);
    assert.match(JSON.parse(deleted.stdout).error, /NoSuchBucket/);
  });

  it("cors generate binds the upload API's headers and exposes ETag, in each format", async () => {
    const generated = await sluice([
      "cors",
      "generate",
      "--origin",
      "https://app.example.com",
      "--header",
      "x-amz-meta-owner",
      "--max-age",
      "600",
    ]);
    assert.equal(generated.code, 0, generated.stderr);
    assert.equal(generated.stderr, "");
    assert.deepEqual(JSON.parse(generated.stdout), {
      CORSRules: [
        {
          ID: "sluice-uploads",
          AllowedOrigins: ["https://app.example.com"],
          AllowedMethods: ["PUT"],
          AllowedHeaders: [
            "content-type",
            "if-none-match",
            "x-amz-checksum-sha256",
            "x-amz-meta-owner",
          ],
          ExposeHeaders: ["ETag"],
          MaxAgeSeconds: 600,
        },
      ],
    });
    const cloudflare = await sluice([
      "cors",
      "generate",
      "--origin",
      "https://app.example.com",
      "--format",
      "cloudflare",
    ]);
    assert.deepEqual(JSON.parse(cloudflare.stdout).rules[0].allowed.methods, ["PUT"]);
    const xml = await sluice([
      "cors",
      "generate",
      "--origin",
      "https://app.example.com",
      "--format",
      "xml",
    ]);
    assert.match(xml.stdout, /<ExposeHeader>ETag<\/ExposeHeader>/);
  });

  it("cors generate refuses what would not be strict, and origins browsers never send (exit 2)", async () => {
    const cases: [string[], RegExp][] = [
      [["--origin", "http://app.example.com"], /over plain http/],
      [["--origin", "*"], /not an origin as browsers send it/],
      [["--origin", "https://app.example.com/"], /no path or trailing slash/],
      [[], /at least one --origin/],
      [
        ["--origin", "https://app.example.com", "--format", "yaml"],
        /--format must be aws, cloudflare or xml/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await sluice(["cors", "generate", ...args]);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
  });
});

describe("storage options", { concurrency: true }, () => {
  it("names each missing thing, with exit 2: endpoint, bucket, credentials", async () => {
    const result = await sluice(["cors", "get"], {
      env: userEnv({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }),
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /no endpoint: give --endpoint-url/);
    assert.match(result.stderr, /no bucket: give --bucket NAME/);
    assert.match(
      result.stderr,
      /no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \(or SLUICE_ACCESS_KEY_ID and SLUICE_SECRET_ACCESS_KEY\)/,
    );
  });

  it("names the missing half of a credential pair", async () => {
    const result = await sluice(["cors", "get", ...storage("any")], {
      env: userEnv({ AWS_SECRET_ACCESS_KEY: undefined }),
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not/);
  });

  it("takes SLUICE_* credentials, and the endpoint from AWS_ENDPOINT_URL", async () => {
    await server.bucket("sluice-env");
    const result = await sluice(["cors", "get", "--bucket", "sluice-env"], {
      env: userEnv({
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        SLUICE_ACCESS_KEY_ID: "SLUICECLITEST",
        SLUICE_SECRET_ACCESS_KEY: "cli-test-secret/with+odd=chars",
        AWS_ENDPOINT_URL: server.url,
      }),
    });
    // Authenticated and answered: the bucket simply has no rules.
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /bucket sluice-env has no CORS configuration/);
  });

  it("rejects unknown flags and subcommands with exit 2", async () => {
    const flag = await sluice(["cors", "get", "--nope"]);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /--nope/);
    const sub = await sluice(["cors", "frobnicate"]);
    assert.equal(sub.code, 2);
    assert.match(sub.stderr, /unknown subcommand "frobnicate"/);
  });
});
