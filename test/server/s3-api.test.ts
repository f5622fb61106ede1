/**
 * The API's S3 operations the other suites do not reach on their own, against the
 * embedded store in both flavors (and Ceph RGW under test:rgw).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createS3Api, type S3Api } from "@sluice/server";
import { storeTargets, type TestStore } from "./helpers.js";

for (const target of storeTargets()) {
  describe(`S3 operations against ${target.name}`, () => {
    let store: TestStore;
    let s3: S3Api;
    before(async () => {
      store = await target.start();
      s3 = createS3Api(
        {
          endpoint: store.url,
          bucket: store.bucket,
          region: store.region,
          credentials: store.credentials,
        },
        store.clock.now,
      );
    });
    after(() => store.close());

    it("lists the multipart uploads in progress under a prefix, keys as they are", async () => {
      const keys = ["list/a b+c.bin", "list/ü/ä&<x>.bin", "list/z.bin", "other/y.bin"];
      const ids = new Map<string, string>();
      for (const key of keys) ids.set(key, await s3.createMultipartUpload(key, {}));
      const listed = await s3.listMultipartUploads("list/");
      assert.deepEqual(
        listed.map((u) => [u.key, u.uploadId]).sort(),
        keys
          .filter((k) => k.startsWith("list/"))
          .map((k) => [k, ids.get(k)])
          .sort(),
      );
      for (const upload of listed) assert.ok(Number.isFinite(upload.initiated.getTime()));
      await s3.abortMultipartUpload("list/z.bin", ids.get("list/z.bin") as string);
      const after = await s3.listMultipartUploads("list/");
      assert.equal(after.length, 2);
      assert.ok(after.every((u) => u.key !== "list/z.bin"));
      assert.ok((await s3.listMultipartUploads()).some((u) => u.key === "other/y.bin"));
    });
  });
}
