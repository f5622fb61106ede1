/**
 * UploadPart: a part streams to its own blob exactly like a PutObject body (checksums,
 * aws-chunked, presigned or header auth); sending a part number again replaces it.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html
 */
import { Digests } from "../../checksums.js";
import { algorithmsFor, checkClaims, readClaims } from "../integrity.js";
import { noSuchUpload, parsePartNumber, requireUpload } from "../multipart-rules.js";
import type { OperationContext } from "../operation.js";
import { RequestBody } from "../request-body.js";
import { tap } from "./put-object.js";

export async function UploadPart(context: OperationContext): Promise<Response> {
  const { request, storage, flavor } = context;
  const partNumber = parsePartNumber(request.query.get("partNumber"));
  const upload = requireUpload(context);
  const claims = readClaims(request, context.verified);
  const body = new RequestBody(request, context.verified, flavor.maxPutBytes);
  const algorithms = algorithmsFor(claims);
  if (upload.checksumAlgorithm && !algorithms.includes(upload.checksumAlgorithm as never)) {
    algorithms.push(upload.checksumAlgorithm as (typeof algorithms)[number]);
  }
  const digests = new Digests(algorithms, { sha256Hex: claims.sha256Hex !== undefined });
  const temp = await storage.writeTemp(tap(body.chunks(), digests));
  const finished = digests.finish();
  try {
    checkClaims(claims, finished, body.trailers);
  } catch (error) {
    await storage.discard(temp);
    throw error;
  }
  const part = await storage.uploads.commitPart(
    upload.uploadId,
    partNumber,
    temp,
    { etag: finished.md5.toString("hex"), checksums: finished.checksums },
    context.now().getTime(),
  );
  if (!part) throw noSuchUpload(upload.uploadId);
  const headers: Record<string, string> = { etag: `"${part.etag}"` };
  for (const [algorithm, value] of Object.entries(finished.checksums))
    headers[`x-amz-checksum-${algorithm}`] = value;
  return new Response(null, { status: 200, headers });
}
