/**
 * PutBucketCors, GetBucketCors, DeleteBucketCors: the configuration validated as S3 does
 * (R2's limits under `--flavor r2`) and stored as S3's XML.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketCors.html
 */
import { CorsConfigError, encodeCorsXml, parseCorsXml } from "@sluice/cors";
import { type OperationContext, requireBucket, xmlResponse } from "../operation.js";
import { isS3ErrorCode, noSuchBucket, S3Error } from "../s3-error.js";
import { checkNesting, readXmlBody } from "../xml-body.js";

/** S3 limits a CORS configuration to 64 KB. */
const MAX_CORS_BYTES = 64 * 1024;

export async function PutBucketCors(context: OperationContext): Promise<Response> {
  const bucket = requireBucket(context).name;
  const body = await readXmlBody(context, MAX_CORS_BYTES);
  checkNesting(body);
  let xml: string;
  try {
    const configuration = parseCorsXml(body, { flavor: context.flavor.name });
    // R2 refuses an empty AllowedHeader (changelog 2024-01-30: "Fixed a bug where the
    // API would accept empty strings in the AllowedHeaders property of PutBucketCors").
    if (
      context.flavor.name === "r2" &&
      configuration.rules.some((rule) => rule.allowedHeaders.some((h) => h.trim() === ""))
    ) {
      throw new S3Error("InvalidRequest", "An AllowedHeader of a CORS rule is empty.");
    }
    xml = encodeCorsXml(configuration);
  } catch (error) {
    // The store reads XML only, so the JSON form's code cannot arise here.
    if (error instanceof CorsConfigError)
      throw new S3Error(isS3ErrorCode(error.code) ? error.code : "MalformedXML", error.message);
    throw error;
  }
  if (!context.storage.setCors(bucket, xml)) throw noSuchBucket(bucket);
  return new Response(null, { status: 200 });
}

export async function GetBucketCors(context: OperationContext): Promise<Response> {
  const bucket = requireBucket(context);
  if (bucket.cors === undefined) {
    throw new S3Error("NoSuchCORSConfiguration", "The CORS configuration does not exist", {
      BucketName: bucket.name,
    });
  }
  return xmlResponse(bucket.cors);
}

export async function DeleteBucketCors(context: OperationContext): Promise<Response> {
  const bucket = requireBucket(context).name;
  context.storage.setCors(bucket, undefined);
  return new Response(null, { status: 204 });
}
