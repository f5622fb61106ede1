/** Presigning and verification: ours against the AWS SDK's presigner and aws4fetch. */
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { objectUrl, presign, verify } from "@sluice/sigv4";
import { AwsV4Signer } from "aws4fetch";
import { type Measured, measure } from "./measure.js";

const endpoint = "https://0123456789abcdef.r2.cloudflarestorage.com";
const credentials = {
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};
const region = "auto";
const bucket = "uploads";

let counter = 0;
/** A fresh key per operation, as an upload API signs a fresh key per upload. */
const nextKey = () => `avatars/user-42/${(counter++).toString(36)}-photo.png`;

export async function benchPresign(): Promise<Measured[]> {
  const client = new S3Client({ region, endpoint, credentials, forcePathStyle: true });
  return measure([
    {
      name: "sluice presign",
      run: () =>
        presign({
          method: "PUT",
          url: objectUrl(endpoint, bucket, nextKey()),
          headers: { "content-type": "image/png" },
          credentials,
          region,
          expiresIn: 300,
        }),
    },
    {
      // The usual way: PutObjectCommand with ContentType, expiresIn 300 (which, by
      // default, leaves the content type unsigned).
      name: "@aws-sdk/s3-request-presigner",
      run: () =>
        getSignedUrl(
          client,
          new PutObjectCommand({ Bucket: bucket, Key: nextKey(), ContentType: "image/png" }),
          {
            expiresIn: 300,
          },
        ),
    },
    {
      name: "aws4fetch",
      run: () =>
        new AwsV4Signer({
          url: objectUrl(endpoint, bucket, nextKey()),
          method: "PUT",
          headers: { "content-type": "image/png" },
          signQuery: true,
          service: "s3",
          region,
          ...credentials,
        }).sign(),
    },
  ]);
}

export async function benchVerify(): Promise<Measured[]> {
  // A pool of distinct presigned URLs, verified in turn, as a store sees them.
  const now = new Date();
  const pool = Array.from({ length: 1024 }, () => {
    const { url } = presign({
      method: "PUT",
      url: objectUrl("http://127.0.0.1:9000", bucket, nextKey()),
      headers: { "content-type": "image/png" },
      credentials,
      region,
      expiresIn: 300,
      signingDate: now,
    });
    const q = url.indexOf("?");
    return {
      method: "PUT",
      path: new URL(url).pathname,
      query: url.slice(q + 1),
      headers: { host: "127.0.0.1:9000", "content-type": "image/png", "content-length": "1024" },
    };
  });
  const lookupSecret = (id: string) =>
    id === credentials.accessKeyId ? credentials.secretAccessKey : undefined;
  let i = 0;
  return measure([
    {
      name: "sluice verify (presigned PUT)",
      run: () => {
        const result = verify(pool[i++ & 1023] as (typeof pool)[number], {
          lookupSecret,
          now: () => now,
        });
        if (!result.ok) throw new Error(result.failure.kind);
      },
    },
  ]);
}
