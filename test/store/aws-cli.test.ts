/**
 * The `aws` CLI (v1, botocore) against the store, exactly as a user types it: credentials
 * and region in the environment, `--endpoint-url`, files by relative path, and
 * `file://cors.json`. The CLI is slow to start (about a second a command), so the three
 * groups run side by side, each in a bucket of its own.
 *
 * The CLI is not optional: when it is missing the suite fails and says how to get it.
 */
import assert from "node:assert/strict";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { awsCli, awsCliInstalled, sdkClient, startStore, type TestStore } from "./helpers.js";

const CORS_JSON = {
  CORSRules: [
    {
      AllowedOrigins: ["https://app.mycompany.com"],
      AllowedMethods: ["PUT", "GET", "HEAD"],
      AllowedHeaders: ["Content-Type", "Content-Length"],
      ExposeHeaders: ["ETag"],
      MaxAgeSeconds: 86400,
    },
  ],
};

let server: TestStore;
let s3: S3Client;

before(async () => {
  server = await startStore();
  s3 = sdkClient(server.url);
  await s3.send(new CreateBucketCommand({ Bucket: "cli-cors" }));
  await s3.send(new CreateBucketCommand({ Bucket: "cli-sync" }));
});

after(async () => {
  s3?.destroy();
  await server?.close();
});

/** A fresh working folder, as a user's current directory. */
const workdir = () => mkdtempSync(join(tmpdir(), "sluice-aws-cli-"));

async function aws(cwd: string, ...args: string[]): Promise<string> {
  const result = await awsCli(server.url, args, cwd);
  assert.equal(result.code, 0, `aws ${args.join(" ")} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

/** Every file under `dir`, relative path → content. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[relative(dir, path)] = readFileSync(path, "utf8");
    }
  };
  walk(dir);
  return out;
}

describe("the aws CLI", { concurrency: true }, () => {
  it("is installed (this suite fails rather than skips without it: pip install awscli)", () => {
    assert.ok(
      awsCliInstalled(),
      "`aws --version` did not run: install the AWS CLI (pip install awscli) to run these tests",
    );
  });

  it("s3 mb, cp up and down, ls --recursive, s3api head-object, rm", async () => {
    const cwd = workdir();
    const key = "docs/hello world+plus ü.txt";
    const content = "hello from the aws CLI\n".repeat(50);
    writeFileSync(join(cwd, "hello.txt"), content);

    assert.match(await aws(cwd, "s3", "mb", "s3://cli-bucket"), /make_bucket: cli-bucket/);
    assert.match(
      await aws(cwd, "s3", "cp", "hello.txt", `s3://cli-bucket/${key}`),
      /upload: \.\/hello\.txt to s3:\/\/cli-bucket\/docs\/hello world\+plus ü\.txt/,
    );
    await s3.send(new PutObjectCommand({ Bucket: "cli-bucket", Key: "top.txt", Body: "top" }));

    // `s3 ls` asks for encoding-type=url and decodes: the + and the space must survive.
    const listing = await aws(cwd, "s3", "ls", "s3://cli-bucket", "--recursive");
    const lines = listing.trim().split("\n");
    assert.equal(lines.length, 2, listing);
    assert.match(
      lines[0] ?? "",
      new RegExp(`\\s${content.length} docs/hello world\\+plus ü\\.txt$`),
    );
    assert.match(lines[1] ?? "", /\s3 top\.txt$/);

    await aws(cwd, "s3", "cp", `s3://cli-bucket/${key}`, "down.txt");
    assert.equal(readFileSync(join(cwd, "down.txt"), "utf8"), content);

    const head = JSON.parse(
      await aws(cwd, "s3api", "head-object", "--bucket", "cli-bucket", "--key", key),
    ) as { ContentLength: number; ETag: string; ContentType: string };
    assert.equal(head.ContentLength, content.length);
    assert.match(head.ETag, /^"[0-9a-f]{32}"$/);
    assert.equal(head.ContentType, "text/plain");

    assert.match(
      await aws(cwd, "s3", "rm", `s3://cli-bucket/${key}`),
      /delete: s3:\/\/cli-bucket\/docs\/hello world\+plus ü\.txt/,
    );
    const left = await s3.send(new ListObjectsV2Command({ Bucket: "cli-bucket" }));
    assert.deepEqual(
      left.Contents?.map((c) => c.Key),
      ["top.txt"],
    );
  });

  it("s3api put-bucket-cors, get-bucket-cors and delete-bucket-cors with file://cors.json", async () => {
    const cwd = workdir();
    writeFileSync(join(cwd, "cors.json"), JSON.stringify(CORS_JSON, null, 2));
    await aws(
      cwd,
      "s3api",
      "put-bucket-cors",
      "--bucket",
      "cli-cors",
      "--cors-configuration",
      "file://cors.json",
    );
    const got = JSON.parse(await aws(cwd, "s3api", "get-bucket-cors", "--bucket", "cli-cors"));
    assert.deepEqual(got, CORS_JSON);
    await aws(cwd, "s3api", "delete-bucket-cors", "--bucket", "cli-cors");
    const gone = await awsCli(
      server.url,
      ["s3api", "get-bucket-cors", "--bucket", "cli-cors"],
      cwd,
    );
    assert.notEqual(gone.code, 0);
    assert.match(
      gone.stderr,
      /An error occurred \(NoSuchCORSConfiguration\) when calling the GetBucketCors operation: The CORS configuration does not exist/,
    );
  });

  it("s3 sync uploads a folder, uploads nothing the second time, and syncs back down", async () => {
    const cwd = workdir();
    const site = join(cwd, "site");
    mkdirSync(join(site, "css"), { recursive: true });
    mkdirSync(join(site, "img", "deep"), { recursive: true });
    writeFileSync(join(site, "index.html"), "<h1>hi</h1>\n");
    writeFileSync(join(site, "css", "main.css"), "body { color: red }\n");
    writeFileSync(join(site, "img", "deep", "a b.svg"), "<svg/>\n");

    const first = await aws(cwd, "s3", "sync", "site", "s3://cli-sync/site");
    assert.equal(first.trim().split("\n").length, 3, first);
    const index = await s3.send(
      new GetObjectCommand({ Bucket: "cli-sync", Key: "site/index.html" }),
    );
    assert.equal(await index.Body?.transformToString(), "<h1>hi</h1>\n");
    assert.equal(index.ContentType, "text/html");

    // Sizes and dates agree, so there is nothing left to upload.
    assert.equal((await aws(cwd, "s3", "sync", "site", "s3://cli-sync/site")).trim(), "");

    await aws(cwd, "s3", "sync", "s3://cli-sync/site", "copy");
    assert.deepEqual(tree(join(cwd, "copy")), tree(site));
  });
});
