/**
 * The bucket operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket,
 * GetBucketLocation.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
import { type OperationContext, requireBucket, xmlDate, xmlResponse } from "../operation.js";
import { noSuchBucket, S3Error } from "../s3-error.js";
import { document, el } from "../xml.js";
import { parseXmlBody, readXmlBody } from "../xml-body.js";

const OWNER = el("Owner", el("ID", "sluice"), el("DisplayName", "sluice"));

export async function ListBuckets(context: OperationContext): Promise<Response> {
  const buckets = context.storage.listBuckets();
  return xmlResponse(
    document(
      "ListAllMyBucketsResult",
      OWNER,
      el(
        "Buckets",
        buckets.map((b) =>
          el("Bucket", el("Name", b.name), el("CreationDate", xmlDate(b.createdMs))),
        ),
      ),
    ),
  );
}

/**
 * S3's rules (3-63 characters; lower-case letters, digits, hyphens and dots; starting
 * and ending with a letter or digit; not an IP address). R2 allows no dots.
 */
function checkBucketName(name: string, flavor: OperationContext["flavor"]): void {
  const pattern =
    flavor.name === "r2"
      ? /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/
      : /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
  if (
    !pattern.test(name) ||
    name.includes("..") ||
    /^\d+\.\d+\.\d+\.\d+$/.test(name) ||
    name.startsWith("xn--")
  ) {
    throw new S3Error("InvalidBucketName", "The specified bucket is not valid.", {
      BucketName: name,
    });
  }
}

export async function CreateBucket(context: OperationContext): Promise<Response> {
  const name = context.request.bucket as string;
  checkBucketName(name, context.flavor);
  // The optional CreateBucketConfiguration (a location) has no meaning on one machine,
  // but a body that is not one is refused, as S3 refuses it.
  const configuration = await readXmlBody(context, 64 * 1024);
  if (configuration.trim() !== "") parseXmlBody(configuration, "CreateBucketConfiguration");
  if (!context.storage.createBucket(name, context.now().getTime())) {
    // R2's error table: 409 BucketConflict, "Bucket name already exists"
    // (https://developers.cloudflare.com/r2/api/error-codes/).
    throw context.flavor.name === "r2"
      ? new S3Error("BucketConflict", "The bucket you tried to create already exists.", {
          BucketName: name,
        })
      : new S3Error(
          "BucketAlreadyOwnedByYou",
          "Your previous request to create the named bucket succeeded and you already own it.",
          { BucketName: name },
        );
  }
  return new Response(null, { status: 200, headers: { location: `/${name}` } });
}

export async function HeadBucket(context: OperationContext): Promise<Response> {
  requireBucket(context);
  return new Response(null, {
    status: 200,
    headers: { "x-amz-bucket-region": context.flavor.regions[0] as string },
  });
}

export async function DeleteBucket(context: OperationContext): Promise<Response> {
  const name = context.request.bucket as string;
  const result = context.storage.deleteBucket(name);
  if (result === "missing") throw noSuchBucket(name);
  if (result === "not-empty") {
    throw new S3Error("BucketNotEmpty", "The bucket you tried to delete is not empty", {
      BucketName: name,
    });
  }
  return new Response(null, { status: 204 });
}

export async function GetBucketLocation(context: OperationContext): Promise<Response> {
  requireBucket(context);
  const region = context.flavor.regions[0] as string;
  // S3 writes us-east-1 as an empty LocationConstraint.
  return xmlResponse(document("LocationConstraint", region === "us-east-1" ? "" : region));
}
