/**
 * CopyObject: a new object from an existing one, its metadata copied (COPY, the
 * default) or replaced (REPLACE), with the copy-source conditions checked. The copy gets
 * bytes of its own, so deleting the source never touches it.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
 */
import { percentDecode } from "@sluice/sigv4";
import type { ObjectRecord } from "../../storage/object-storage.js";
import {
  checkReadConditions,
  checkWriteCondition,
  writeCondition,
  writeConditionError,
  writeConditionFailure,
} from "../conditions.js";
import { attributesFrom } from "../object-headers.js";
import {
  type OperationContext,
  requireBucket,
  requireKey,
  xmlDate,
  xmlResponse,
} from "../operation.js";
import {
  invalidArgument,
  noSuchBucket,
  noSuchKey,
  preconditionFailed,
  S3Error,
} from "../s3-error.js";
import { document, el } from "../xml.js";

export async function CopyObject(context: OperationContext): Promise<Response> {
  const { request, storage, flavor } = context;
  const bucket = requireBucket(context).name;
  const key = requireKey(context);
  const source = readCopySource(context);
  const { bucket: sourceBucket, key: sourceKey } = source;
  if (source.size > flavor.maxPutBytes) {
    throw new S3Error(
      "InvalidRequest",
      `The specified copy source is larger than the maximum allowable size for a copy source: ${flavor.maxPutBytes}`,
    );
  }

  const directive = request.headers.get("x-amz-metadata-directive") ?? "COPY";
  if (directive !== "COPY" && directive !== "REPLACE") {
    throw invalidArgument("Unknown metadata directive.", "x-amz-metadata-directive", directive);
  }
  if (directive === "COPY" && sourceBucket === bucket && sourceKey === key) {
    throw new S3Error(
      "InvalidRequest",
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  const attributes = directive === "REPLACE" ? attributesFrom(request.headers, flavor) : source;
  const condition = writeCondition(request.headers, flavor.name);
  checkWriteCondition(condition, storage.getObject(bucket, key), key);

  const body = await storage.copyBody(source);
  const result = await storage.commitObject(
    bucket,
    key,
    body,
    {
      contentType: attributes.contentType,
      headers: attributes.headers,
      metadata: attributes.metadata,
      checksums: source.checksums,
      etag: source.etag,
      lastModifiedMs: context.now().getTime(),
      partsCount: source.partsCount,
    },
    (current) => writeConditionFailure(condition, current),
  );
  if (!result.ok) {
    if (result.reason === "no-bucket") throw noSuchBucket(bucket);
    throw writeConditionError(result.failure, key);
  }
  return xmlResponse(
    document(
      "CopyObjectResult",
      el("LastModified", xmlDate(result.record.lastModifiedMs)),
      el("ETag", `"${result.record.etag}"`),
    ),
  );
}

/** The object `x-amz-copy-source` names, its `x-amz-copy-source-if-*` conditions met. */
export function readCopySource(context: OperationContext): ObjectRecord {
  const { request, storage } = context;
  const [sourceBucket, sourceKey] = parseCopySource(
    request.headers.get("x-amz-copy-source") as string,
  );
  if (!storage.getBucket(sourceBucket)) throw noSuchBucket(sourceBucket);
  const source = storage.getObject(sourceBucket, sourceKey);
  if (!source) throw noSuchKey(sourceKey);
  checkCopySourceConditions(request.headers, source);
  return source;
}

/** `bucket/key` or `/bucket/key`, URL-encoded, perhaps with `?versionId=`. */
function parseCopySource(header: string): [string, string] {
  const withoutVersion = header.split("?")[0] ?? "";
  let decoded: string;
  try {
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(
      percentDecode(withoutVersion, false),
    );
  } catch {
    throw invalidArgument("Invalid copy source encoding", "x-amz-copy-source", header);
  }
  const path = decoded.startsWith("/") ? decoded.slice(1) : decoded;
  const slash = path.indexOf("/");
  if (slash <= 0 || slash === path.length - 1) {
    throw invalidArgument(
      "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
      "x-amz-copy-source",
      header,
    );
  }
  return [path.slice(0, slash), path.slice(slash + 1)];
}

/**
 * `x-amz-copy-source-if-*` are the read conditions, asked of the source; any failure is
 * 412, and its `Condition` names the header the client sent (`x-amz-copy-source-If-Match`),
 * not the plain read condition it stands for.
 */
function checkCopySourceConditions(
  headers: Headers,
  source: Parameters<typeof checkReadConditions>[1],
): void {
  const conditions = new Headers();
  for (const name of ["if-match", "if-none-match", "if-modified-since", "if-unmodified-since"]) {
    const value = headers.get(`x-amz-copy-source-${name}`);
    if (value !== null) conditions.set(name, value);
  }
  let outcome: ReturnType<typeof checkReadConditions>;
  try {
    outcome = checkReadConditions(conditions, source);
  } catch (error) {
    if (error instanceof S3Error && error.code === "PreconditionFailed") {
      throw preconditionFailed(`x-amz-copy-source-${error.fields.Condition}`);
    }
    throw error;
  }
  if (outcome === "not-modified") {
    throw preconditionFailed(
      headers.has("x-amz-copy-source-if-none-match")
        ? "x-amz-copy-source-If-None-Match"
        : "x-amz-copy-source-If-Modified-Since",
    );
  }
}
