/**
 * AbortMultipartUpload: the upload and its parts' bytes are gone; 204.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html
 */
import { noSuchUpload, requireUpload } from "../multipart-rules.js";
import { type OperationContext, requireBucket } from "../operation.js";

export async function AbortMultipartUpload(context: OperationContext): Promise<Response> {
  requireBucket(context);
  const upload = requireUpload(context);
  if (!(await context.storage.uploads.abort(upload.uploadId))) throw noSuchUpload(upload.uploadId);
  return new Response(null, { status: 204 });
}
