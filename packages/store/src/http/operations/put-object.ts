/**
 * PutObject: the body is received (streamed to a temporary blob, its claims checked),
 * then the object appears, whole, in one commit that also re-checks the write condition.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
 */
import {
  checkWriteCondition,
  commitCondition,
  dateFailure,
  writeCondition,
  writeConditionError,
  writeDates,
} from "../conditions.js";
import { attributesFrom } from "../object-headers.js";
import { type OperationContext, requireBucket, requireKey } from "../operation.js";
import { receiveBody, storedBodyHeaders } from "../receive-body.js";
import { noSuchBucket } from "../s3-error.js";

export async function PutObject(context: OperationContext): Promise<Response> {
  const { request, storage, flavor } = context;
  const bucket = requireBucket(context).name;
  const key = requireKey(context);
  const attributes = attributesFrom(request.headers, flavor);
  const condition = writeCondition(request.headers, flavor.name);
  const dates = writeDates(request.headers, flavor.name);
  const seen = storage.getObject(bucket, key);
  checkWriteCondition(condition, seen, key);
  const dated = dateFailure(dates, seen);
  if (dated !== undefined) throw writeConditionError(dated, key);
  const { body, digests } = await receiveBody(context, (chunks) => storage.receive(chunks));

  const result = await storage.commitObject(
    bucket,
    key,
    body,
    {
      ...attributes,
      checksums: digests.checksums,
      etag: digests.md5.toString("hex"),
      lastModifiedMs: context.now().getTime(),
      partsCount: undefined,
    },
    commitCondition(condition, dates, seen, context.now().getTime()),
  );
  if (!result.ok) {
    if (result.reason === "no-bucket") throw noSuchBucket(bucket);
    throw writeConditionError(result.failure, key);
  }
  return new Response(null, {
    status: 200,
    headers: storedBodyHeaders(result.record.etag, digests),
  });
}
