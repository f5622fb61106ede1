/**
 * UploadPart: a part streams to its own blob exactly like a PutObject body (checksums,
 * aws-chunked, presigned or header auth); sending a part number again replaces it.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html
 */
import { noSuchUpload, parsePartNumber, requireUpload } from "../multipart-rules.js";
import type { OperationContext } from "../operation.js";
import { receiveBody, storedBodyHeaders } from "../receive-body.js";

export async function UploadPart(context: OperationContext): Promise<Response> {
  const { request, storage } = context;
  const partNumber = parsePartNumber(request.query.get("partNumber"));
  const upload = requireUpload(context);
  const { body, digests } = await receiveBody(
    context,
    (chunks) => storage.writeTemp(chunks),
    upload.checksumAlgorithm,
  );
  const part = await storage.uploads.commitPart(
    upload.uploadId,
    partNumber,
    body,
    { etag: digests.md5.toString("hex"), checksums: digests.checksums },
    context.now().getTime(),
  );
  if (!part) throw noSuchUpload(upload.uploadId);
  return new Response(null, { status: 200, headers: storedBodyHeaders(part.etag, digests) });
}
