/**
 * PutObject: the body streams to a temporary file while MD5 (the ETag) and any claimed
 * checksum are computed; the claims are checked; then the object appears, whole, in one
 * commit that also re-checks the write condition.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
 */
import { Digests } from "../../checksums.js";
import {
  checkWriteCondition,
  writeCondition,
  writeConditionError,
  writeConditionFailure,
} from "../conditions.js";
import { algorithmsFor, checkClaims, readClaims } from "../integrity.js";
import { attributesFrom } from "../object-headers.js";
import { type OperationContext, requireBucket, requireKey } from "../operation.js";
import { RequestBody } from "../request-body.js";
import { noSuchBucket } from "../s3-error.js";

export async function PutObject(context: OperationContext): Promise<Response> {
  const { request, storage, flavor } = context;
  const bucket = requireBucket(context).name;
  const key = requireKey(context);
  const attributes = attributesFrom(request.headers, flavor);
  const condition = writeCondition(request.headers, flavor.name);
  checkWriteCondition(condition, storage.getObject(bucket, key), key);
  const claims = readClaims(request, context.verified);
  const body = new RequestBody(request, context.verified, flavor.maxPutBytes);

  const digests = new Digests(algorithmsFor(claims), { sha256Hex: claims.sha256Hex !== undefined });
  const temp = await storage.writeTemp(tap(body.chunks(), digests));
  const finished = digests.finish();
  try {
    checkClaims(claims, finished, body.trailers);
  } catch (error) {
    await storage.discard(temp);
    throw error;
  }

  const result = await storage.commitObject(
    bucket,
    key,
    temp,
    {
      ...attributes,
      checksums: finished.checksums,
      etag: finished.md5.toString("hex"),
      lastModifiedMs: context.now().getTime(),
      partsCount: undefined,
    },
    (current) => writeConditionFailure(condition, current),
  );
  if (!result.ok) {
    if (result.reason === "no-bucket") throw noSuchBucket(bucket);
    throw writeConditionError(result.failure, key);
  }
  const headers: Record<string, string> = { etag: `"${result.record.etag}"` };
  for (const [algorithm, value] of Object.entries(finished.checksums))
    headers[`x-amz-checksum-${algorithm}`] = value;
  return new Response(null, { status: 200, headers });
}

/** Passes chunks through, feeding each to the digests on the way. */
export async function* tap(
  source: AsyncIterable<Uint8Array>,
  digests: Digests,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    digests.update(chunk);
    yield chunk;
  }
}
