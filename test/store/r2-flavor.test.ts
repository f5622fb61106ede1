/**
 * Where R2 documents an answer, `--flavor r2` gives it, and `--flavor s3` keeps S3's.
 * Each case names its source in cloudflare/cloudflare-docs: `r2/api/s3/api.mdx`,
 * `r2/api/error-codes.mdx`, `r2/api/s3/extensions.mdx`, or the R2 changelog by date.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { FlavorName } from "@sluice/store";
import { errorOf, signedFetch, startStore, type TestStore } from "./helpers.js";

const BUCKET = "flavor-facts";
const md5b64 = (text: string) => createHash("md5").update(text).digest("base64");

for (const flavor of ["r2", "s3"] as const satisfies readonly FlavorName[]) {
  describe(`--flavor ${flavor}`, () => {
    let server: TestStore;
    const region = flavor === "r2" ? "auto" : "us-east-1";
    const url = (key = "", query = "") =>
      `${server.url}/${BUCKET}${key ? `/${key}` : ""}${query ? `?${query}` : ""}`;
    const send = (
      method: string,
      target: string,
      options: { headers?: Record<string, string>; body?: string } = {},
    ) => signedFetch(method, target, { region, ...options });

    before(async () => {
      server = await startStore({ flavor });
      assert.equal((await send("PUT", `${server.url}/${BUCKET}`)).status, 200);
    });
    after(async () => {
      await server.close();
    });

    async function etagOf(key: string, body: string): Promise<string> {
      const put = await send("PUT", url(key), { body });
      assert.equal(put.status, 200);
      return put.headers.get("etag") as string;
    }

    async function createUpload(key: string): Promise<string> {
      const created = await send("POST", url(key, "uploads"));
      assert.equal(created.status, 200);
      return /<UploadId>([^<]+)<\/UploadId>/.exec(await created.text())?.[1] as string;
    }

    async function uploadOnePart(key: string, uploadId: string): Promise<string> {
      const part = await send("PUT", url(key, `partNumber=1&uploadId=${uploadId}`), {
        body: "part one",
      });
      assert.equal(part.status, 200);
      return part.headers.get("etag") as string;
    }

    const completion = (etag: string) =>
      `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${etag}</ETag></Part></CompleteMultipartUpload>`;

    // api.mdx, "Bucket region": "an empty value and `us-east-1` will alias to the `auto` region".
    it(
      flavor === "r2"
        ? "takes an empty region and us-east-1 in the credential scope as auto"
        : "takes only us-east-1 in the credential scope",
      async () => {
        for (const scope of ["", "us-east-1", "auto"]) {
          const response = await signedFetch("GET", `${server.url}/${BUCKET}?list-type=2`, {
            region: scope,
          });
          const accepted = flavor === "r2" || scope === "us-east-1";
          assert.equal(response.status, accepted ? 200 : 400, `region '${scope}'`);
        }
      },
    );

    // error-codes.mdx: "10002 Unauthorized 401 Missing or invalid authentication credentials".
    it(`answers a request with no signature at all ${flavor === "r2" ? "401 Unauthorized" : "403 AccessDenied"}`, async () => {
      const response = await fetch(url("anything"));
      const error = await errorOf(response);
      assert.equal(response.status, flavor === "r2" ? 401 : 403);
      assert.equal(error.code, flavor === "r2" ? "Unauthorized" : "AccessDenied");
    });

    // Changelog 2024-01-30: "Fixed a bug where the API would accept empty strings in the
    // `AllowedHeaders` property of `PutBucketCors` actions."
    it(`${flavor === "r2" ? "refuses" : "accepts"} an empty AllowedHeader in a CORS rule`, async () => {
      const body =
        "<CORSConfiguration><CORSRule><AllowedOrigin>https://app.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader></AllowedHeader></CORSRule></CORSConfiguration>";
      const response = await send("PUT", url("", "cors"), {
        body,
        headers: { "content-md5": md5b64(body) },
      });
      if (flavor === "r2") {
        assert.equal(response.status, 400);
        assert.equal((await errorOf(response)).code, "InvalidRequest");
        assert.equal((await send("GET", url("", "cors"))).status, 404, "nothing stored");
      } else {
        assert.equal(response.status, 200);
        assert.equal((await send("DELETE", url("", "cors"))).status, 204);
      }
    });

    // error-codes.mdx: "10014 InvalidDigest 400 Checksum header format is malformed".
    it(`answers a checksum header that is not base64 with ${flavor === "r2" ? "400 InvalidDigest" : "400 InvalidRequest"}`, async () => {
      const response = await send("PUT", url("bad-checksum"), {
        body: "x",
        headers: { "x-amz-checksum-sha256": "not base64!" },
      });
      assert.equal(response.status, 400);
      assert.equal(
        (await errorOf(response)).code,
        flavor === "r2" ? "InvalidDigest" : "InvalidRequest",
      );
      assert.equal((await send("HEAD", url("bad-checksum"))).status, 404);
    });

    // Changelog 2022-07-30: "`If-Match` / `If-None-Match` headers now support arrays of
    // ETags ... as per the HTTP standard and undocumented AWS S3 behavior."
    it("honours If-Match and If-None-Match with a list of ETags on PutObject", async () => {
      const etag = await etagOf("listed", "one");
      const other = `"${"0".repeat(32)}"`;
      const matched = await send("PUT", url("listed"), {
        body: "two",
        headers: { "if-match": `${other}, ${etag}` },
      });
      assert.equal(matched.status, 200, "an ETag later in the list matches");
      const current = matched.headers.get("etag") as string;
      const refused = await send("PUT", url("listed"), {
        body: "three",
        headers: { "if-match": `${other}, ${etag}` },
      });
      assert.equal(refused.status, 412, "no ETag in the list is the current one");
      if (flavor === "r2") {
        const notMatch = await send("PUT", url("listed"), {
          body: "four",
          headers: { "if-none-match": `${other}, ${current}` },
        });
        assert.equal(
          notMatch.status,
          412,
          "If-None-Match names the current ETag later in the list",
        );
      }
      const got = await send("GET", url("listed"));
      assert.equal(await got.text(), "two");
    });

    // extensions.mdx, "Conditional operations in PutObject": If-Modified-Since and
    // If-Unmodified-Since "cause the PutObject operation to be rejected with 412".
    it(
      flavor === "r2"
        ? "answers PutObject whose If-Unmodified-Since or If-Modified-Since fails with 412"
        : "ignores If-Unmodified-Since and If-Modified-Since on PutObject, as S3 does",
      async () => {
        await etagOf("dated", "original");
        const past = new Date(Date.now() - 3_600_000).toUTCString();
        const future = new Date(Date.now() + 3_600_000).toUTCString();
        const unmodified = await send("PUT", url("dated"), {
          body: "write-once guard",
          headers: { "if-unmodified-since": past },
        });
        const modified = await send("PUT", url("dated"), {
          body: "only if changed",
          headers: { "if-modified-since": future },
        });
        if (flavor === "r2") {
          assert.equal(unmodified.status, 412);
          assert.equal((await errorOf(unmodified)).fields.Condition, "If-Unmodified-Since");
          assert.equal(modified.status, 412);
          assert.equal((await errorOf(modified)).fields.Condition, "If-Modified-Since");
          assert.equal(await (await send("GET", url("dated"))).text(), "original");
          const absent = await send("PUT", url("dated-new"), {
            body: "new",
            headers: { "if-unmodified-since": past },
          });
          assert.equal(absent.status, 200, "a key with no object has no date to fail");
          const passes = await send("PUT", url("dated"), {
            body: "passes",
            headers: { "if-unmodified-since": future },
          });
          assert.equal(passes.status, 200);
        } else {
          assert.equal(unmodified.status, 200);
          assert.equal(modified.status, 200);
        }
      },
    );

    // Changelog 2022-05-27: conditional headers on CreateMultipartUpload answer 412 when
    // they fail.
    it(
      flavor === "r2"
        ? "answers CreateMultipartUpload with a failing If-Match 412, and creates no upload"
        : "answers CreateMultipartUpload with If-Match 501 NotImplemented",
      async () => {
        await etagOf("mpu-target", "exists");
        const response = await send("POST", url("mpu-target", "uploads"), {
          headers: { "if-match": `"${"0".repeat(32)}"` },
        });
        assert.equal(response.status, flavor === "r2" ? 412 : 501);
        assert.equal(
          (await errorOf(response)).code,
          flavor === "r2" ? "PreconditionFailed" : "NotImplemented",
        );
        const uploads = await send("GET", url("", "uploads"));
        assert.doesNotMatch(await uploads.text(), /<Key>mpu-target<\/Key>/);
      },
    );

    // Changelog 2023-08-11: "When a condition failure occurs when publishing an upload,
    // the upload is no longer available and is treated as aborted."
    it(
      flavor === "r2"
        ? "aborts an upload whose CompleteMultipartUpload condition fails"
        : "keeps an upload open when its CompleteMultipartUpload condition fails",
      async () => {
        await etagOf("guarded", "present");
        const uploadId = await createUpload("guarded");
        const etag = await uploadOnePart("guarded", uploadId);
        const refused = await send("POST", url("guarded", `uploadId=${uploadId}`), {
          body: completion(etag),
          headers: { "if-none-match": "*" },
        });
        assert.equal(refused.status, 412);
        const parts = await send("GET", url("guarded", `uploadId=${uploadId}`));
        if (flavor === "r2") {
          assert.equal(parts.status, 404);
          assert.equal((await errorOf(parts)).code, "NoSuchUpload");
        } else {
          assert.equal(parts.status, 200);
        }
        assert.equal(await (await send("GET", url("guarded"))).text(), "present");
      },
    );

    // api.mdx lists ListObjectsV2's query parameters; R2 answers 501 to others.
    it(
      flavor === "r2"
        ? "answers ListObjectsV2 with a query parameter R2 does not know 501 NotImplemented"
        : "ignores a query parameter ListObjectsV2 does not know",
      async () => {
        const response = await send("GET", url("", "list-type=2&optional-object-attributes=x"));
        if (flavor === "r2") {
          assert.equal(response.status, 501);
          assert.equal((await errorOf(response)).code, "NotImplemented");
        } else {
          assert.equal(response.status, 200);
        }
        const known = await send("GET", url("", "list-type=2&fetch-owner=true&x-id=ListObjectsV2"));
        assert.equal(known.status, 200);
      },
    );

    it("answers ListObjectsV2 with an empty continuation-token as a first page", async () => {
      await etagOf("page/a", "a");
      await etagOf("page/b", "b");
      const response = await send("GET", url("", "list-type=2&prefix=page/&continuation-token="));
      const text = await response.text();
      assert.equal(response.status, 200, text);
      assert.deepEqual(
        [...text.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]),
        ["page/a", "page/b"],
      );
    });
  });
}
