/**
 * Listing with a delimiter when the place to start is a key inside a "folder": the folder
 * is still listed (its later keys roll up into it), and a continuation that ended on a
 * common prefix does not list that prefix again.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateBucketCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { sdkClient, startStore, type TestStore } from "./helpers.js";

describe("listing with a delimiter from inside a folder", () => {
  let store: TestStore;
  let s3: S3Client;
  const bucket = "listing";

  before(async () => {
    store = await startStore();
    s3 = sdkClient(store.url);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const key of ["a/1", "a/2", "a/3", "b", "c/1"]) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
    }
  });
  after(() => store.close());

  it("lists the folder a marker inside it points into (ListObjects)", async () => {
    const page = await s3.send(
      new ListObjectsCommand({ Bucket: bucket, Delimiter: "/", Marker: "a/1" }),
    );
    assert.deepEqual(
      page.CommonPrefixes?.map((p) => p.Prefix),
      ["a/", "c/"],
    );
    assert.deepEqual(
      page.Contents?.map((c) => c.Key),
      ["b"],
    );
  });

  it("lists the folder a start-after inside it points into (ListObjectsV2)", async () => {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Delimiter: "/", StartAfter: "a/2" }),
    );
    assert.deepEqual(
      page.CommonPrefixes?.map((p) => p.Prefix),
      ["a/", "c/"],
    );
  });

  it("does not list a folder twice across pages", async () => {
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Delimiter: "/",
          MaxKeys: 1,
          ContinuationToken: token,
        }),
      );
      for (const p of page.CommonPrefixes ?? []) seen.push(p.Prefix as string);
      for (const c of page.Contents ?? []) seen.push(c.Key as string);
      token = page.NextContinuationToken;
    } while (token);
    assert.deepEqual(seen, ["a/", "b", "c/"]);
  });
});
