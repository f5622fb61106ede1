/**
 * ListObjectsV2 and ListObjects (v1): keys in UTF-8 byte order, grouped by delimiter
 * into common prefixes, a page at a time.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjects.html
 */
import { uriEncodePath } from "@sluice/sigv4";
import type { ListPage } from "../../storage/object-storage.js";
import { type OperationContext, requireBucket, xmlDate, xmlResponse } from "../operation.js";
import { invalidArgument, S3Error } from "../s3-error.js";
import { document, el, optional } from "../xml.js";

const MAX_KEYS = 1000;

interface ListParameters {
  readonly prefix: string;
  readonly delimiter: string | undefined;
  readonly maxKeys: number;
  readonly encode: (text: string) => string;
  readonly encodingType: "url" | undefined;
}

function parameters(context: OperationContext): ListParameters {
  const query = context.request.query;
  const maxKeysText = query.get("max-keys");
  let maxKeys = MAX_KEYS;
  if (maxKeysText !== undefined) {
    if (!/^\d{1,10}$/.test(maxKeysText)) {
      throw invalidArgument(
        "Provided max-keys not an integer or within integer range",
        "max-keys",
        maxKeysText,
      );
    }
    maxKeys = Math.min(Number(maxKeysText), MAX_KEYS);
  }
  const encodingType = query.get("encoding-type");
  if (encodingType !== undefined && encodingType !== "url") {
    throw invalidArgument(
      "Invalid Encoding Method specified in Request",
      "encoding-type",
      encodingType,
    );
  }
  const delimiter = query.get("delimiter");
  return {
    prefix: query.get("prefix") ?? "",
    delimiter: delimiter === "" ? undefined : delimiter,
    maxKeys,
    encodingType: encodingType === "url" ? "url" : undefined,
    encode: encodingType === "url" ? uriEncodePath : (text) => text,
  };
}

function entries(page: ListPage, encode: (text: string) => string) {
  return [
    page.objects.map((o) =>
      el(
        "Contents",
        el("Key", encode(o.key)),
        el("LastModified", xmlDate(o.lastModifiedMs)),
        el("ETag", `"${o.etag}"`),
        el("Size", o.size),
        el("StorageClass", "STANDARD"),
      ),
    ),
    page.commonPrefixes.map((p) => el("CommonPrefixes", el("Prefix", encode(p)))),
  ];
}

/**
 * The query parameters R2's ListObjectsV2 takes (https://developers.cloudflare.com/r2/api/s3/api/);
 * under `r2` any other is 501 NotImplemented, as R2 answers. SigV4's own parameters
 * (`X-Amz-*`) are not the operation's; `x-id` and `x-purpose` R2 ignores (changelog
 * 2023-12-11 and 2024-06-06).
 */
const R2_LIST_V2_PARAMETERS: ReadonlySet<string> = new Set([
  "list-type",
  "continuation-token",
  "delimiter",
  "encoding-type",
  "fetch-owner",
  "max-keys",
  "prefix",
  "start-after",
  "x-id",
  "x-purpose",
]);

function refuseUnknownParameters(context: OperationContext): void {
  if (context.flavor.name !== "r2") return;
  for (const [name, value] of context.request.query) {
    if (R2_LIST_V2_PARAMETERS.has(name) || name.toLowerCase().startsWith("x-amz-")) continue;
    throw new S3Error(
      "NotImplemented",
      `Query parameter '${name}' with value '${value}' not implemented`,
    );
  }
}

export async function ListObjectsV2(context: OperationContext): Promise<Response> {
  const bucket = requireBucket(context).name;
  refuseUnknownParameters(context);
  const p = parameters(context);
  const query = context.request.query;
  // An empty token is no token: the first page, as S3 answers it.
  const token = query.get("continuation-token") || undefined;
  const startAfter = query.get("start-after");
  let after = startAfter;
  if (token !== undefined) {
    after = decodeToken(token);
    if (after === undefined) {
      throw invalidArgument(
        "The continuation token provided is incorrect",
        "continuation-token",
        token,
      );
    }
  }
  const page = context.storage.listObjects(bucket, {
    prefix: p.prefix,
    delimiter: p.delimiter,
    after,
    maxKeys: p.maxKeys,
  });
  return xmlResponse(
    document(
      "ListBucketResult",
      el("Name", bucket),
      el("Prefix", p.encode(p.prefix)),
      optional("Delimiter", p.delimiter === undefined ? undefined : p.encode(p.delimiter)),
      el("MaxKeys", p.maxKeys),
      optional("EncodingType", p.encodingType),
      el("KeyCount", page.objects.length + page.commonPrefixes.length),
      el("IsTruncated", page.isTruncated),
      optional("ContinuationToken", token),
      optional(
        "NextContinuationToken",
        page.isTruncated && page.last !== undefined ? encodeToken(page.last) : undefined,
      ),
      optional("StartAfter", startAfter === undefined ? undefined : p.encode(startAfter)),
      entries(page, p.encode),
    ),
  );
}

export async function ListObjects(context: OperationContext): Promise<Response> {
  const bucket = requireBucket(context).name;
  const p = parameters(context);
  const marker = context.request.query.get("marker");
  const page = context.storage.listObjects(bucket, {
    prefix: p.prefix,
    delimiter: p.delimiter,
    after: marker,
    maxKeys: p.maxKeys,
  });
  return xmlResponse(
    document(
      "ListBucketResult",
      el("Name", bucket),
      el("Prefix", p.encode(p.prefix)),
      el("Marker", p.encode(marker ?? "")),
      // S3 sends NextMarker only with a delimiter; without one the last key serves.
      optional(
        "NextMarker",
        page.isTruncated && p.delimiter !== undefined && page.last !== undefined
          ? p.encode(page.last)
          : undefined,
      ),
      el("MaxKeys", p.maxKeys),
      optional("Delimiter", p.delimiter === undefined ? undefined : p.encode(p.delimiter)),
      optional("EncodingType", p.encodingType),
      el("IsTruncated", page.isTruncated),
      entries(page, p.encode),
    ),
  );
}

/** Continuation tokens are opaque to clients: the last key or prefix returned. */
function encodeToken(last: string): string {
  return Buffer.from(`k:${last}`, "utf8").toString("base64url");
}

function decodeToken(token: string): string | undefined {
  const text = Buffer.from(token, "base64url").toString("utf8");
  return text.startsWith("k:") ? text.slice(2) : undefined;
}
