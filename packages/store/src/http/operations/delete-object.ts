/**
 * DeleteObject: 204 whether or not the key existed, as S3 answers.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html
 */
import { type OperationContext, requireBucket, requireKey } from "../operation.js";

export async function DeleteObject(context: OperationContext): Promise<Response> {
  const bucket = requireBucket(context).name;
  await context.storage.deleteObject(bucket, requireKey(context));
  return new Response(null, { status: 204 });
}
