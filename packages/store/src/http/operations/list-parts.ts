/**
 * ListParts: the parts an upload holds, a page at a time — what a client reads to
 * resume an upload after a reload or a crash.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html
 */
import { requireUpload } from "../multipart-rules.js";
import { type OperationContext, requireBucket, xmlDate, xmlResponse } from "../operation.js";
import { invalidArgument } from "../s3-error.js";
import { document, el, optional } from "../xml.js";

const MAX_PARTS_PER_PAGE = 1000;
const OWNER = [
  el("Initiator", el("ID", "sluice"), el("DisplayName", "sluice")),
  el("Owner", el("ID", "sluice"), el("DisplayName", "sluice")),
];

export async function ListParts(context: OperationContext): Promise<Response> {
  requireBucket(context);
  const upload = requireUpload(context);
  const query = context.request.query;
  const maxParts = integer(query.get("max-parts"), "max-parts", MAX_PARTS_PER_PAGE);
  const marker = integer(query.get("part-number-marker"), "part-number-marker", 0);
  const { parts, isTruncated } = context.storage.uploads.parts(
    upload.uploadId,
    marker,
    Math.min(maxParts, MAX_PARTS_PER_PAGE),
  );
  const last = parts[parts.length - 1];
  return xmlResponse(
    document(
      "ListPartsResult",
      el("Bucket", upload.bucket),
      el("Key", upload.key),
      el("UploadId", upload.uploadId),
      el("PartNumberMarker", marker),
      optional("NextPartNumberMarker", last?.partNumber),
      el("MaxParts", maxParts),
      el("IsTruncated", isTruncated),
      optional("ChecksumAlgorithm", upload.checksumAlgorithm?.toUpperCase()),
      parts.map((part) =>
        el(
          "Part",
          el("PartNumber", part.partNumber),
          el("LastModified", xmlDate(part.lastModifiedMs)),
          el("ETag", `"${part.etag}"`),
          el("Size", part.size),
          Object.entries(part.checksums).map(([algorithm, value]) =>
            el(`Checksum${algorithm.toUpperCase()}`, value),
          ),
        ),
      ),
      OWNER,
      el("StorageClass", "STANDARD"),
    ),
  );
}

function integer(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,9}$/.test(value))
    throw invalidArgument(`Provided ${name} not an integer or within integer range`, name, value);
  return Number(value);
}
