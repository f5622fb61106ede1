/**
 * ListMultipartUploads: the uploads in progress in a bucket, by key and then upload id,
 * grouped by delimiter.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html
 */
import { uriEncodePath } from "@sluice/sigv4";
import { type OperationContext, requireBucket, xmlDate, xmlResponse } from "../operation.js";
import { invalidArgument } from "../s3-error.js";
import { document, el, optional } from "../xml.js";

const MAX_UPLOADS = 1000;
const PERSON = [el("ID", "sluice"), el("DisplayName", "sluice")];

export async function ListMultipartUploads(context: OperationContext): Promise<Response> {
  const bucket = requireBucket(context).name;
  const query = context.request.query;
  const maxText = query.get("max-uploads");
  if (maxText !== undefined && !/^\d{1,9}$/.test(maxText)) {
    throw invalidArgument(
      "Provided max-uploads not an integer or within integer range",
      "max-uploads",
      maxText,
    );
  }
  const maxUploads = Math.min(maxText === undefined ? MAX_UPLOADS : Number(maxText), MAX_UPLOADS);
  const encode = query.get("encoding-type") === "url" ? uriEncodePath : (text: string) => text;
  const prefix = query.get("prefix") ?? "";
  const delimiter = query.get("delimiter") || undefined;
  const keyMarker = query.get("key-marker") || undefined;
  const uploadIdMarker = query.get("upload-id-marker") || undefined;
  const listing = context.storage.uploads.list(bucket, {
    prefix,
    delimiter,
    keyMarker,
    uploadIdMarker,
    maxUploads,
  });
  return xmlResponse(
    document(
      "ListMultipartUploadsResult",
      el("Bucket", bucket),
      el("KeyMarker", encode(keyMarker ?? "")),
      el("UploadIdMarker", uploadIdMarker ?? ""),
      optional(
        "NextKeyMarker",
        listing.nextKeyMarker === undefined ? undefined : encode(listing.nextKeyMarker),
      ),
      optional("NextUploadIdMarker", listing.nextUploadIdMarker),
      el("Prefix", encode(prefix)),
      optional("Delimiter", delimiter === undefined ? undefined : encode(delimiter)),
      el("MaxUploads", maxUploads),
      optional("EncodingType", query.get("encoding-type") === "url" ? "url" : undefined),
      el("IsTruncated", listing.isTruncated),
      listing.uploads.map((upload) =>
        el(
          "Upload",
          el("Key", encode(upload.key)),
          el("UploadId", upload.uploadId),
          el("Initiator", PERSON),
          el("Owner", PERSON),
          el("StorageClass", "STANDARD"),
          el("Initiated", xmlDate(upload.initiatedMs)),
        ),
      ),
      listing.commonPrefixes.map((p) => el("CommonPrefixes", el("Prefix", encode(p)))),
    ),
  );
}
