/**
 * UploadPartCopy: a part made from an existing object, whole or a byte range of it
 * (`x-amz-copy-source-range: bytes=first-last`).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html
 */
import { Digests } from "../../checksums.js";
import { noSuchUpload, parsePartNumber, requireUpload } from "../multipart-rules.js";
import { type OperationContext, xmlDate, xmlResponse } from "../operation.js";
import { tap } from "../receive-body.js";
import { S3Error } from "../s3-error.js";
import { document, el } from "../xml.js";
import { readCopySource } from "./copy-object.js";

export async function UploadPartCopy(context: OperationContext): Promise<Response> {
  const { request, storage, flavor } = context;
  const partNumber = parsePartNumber(request.query.get("partNumber"));
  const upload = requireUpload(context);
  const source = readCopySource(context);
  let start = 0;
  let end = source.size - 1;
  const range = request.headers.get("x-amz-copy-source-range");
  if (range !== null) {
    const match = /^bytes=(\d+)-(\d+)$/.exec(range.trim());
    if (!match || Number(match[1]) > Number(match[2]) || Number(match[2]) >= source.size) {
      throw new S3Error(
        "InvalidArgument",
        `Range specified is not valid for source object of size: ${source.size}`,
        {
          ArgumentName: "x-amz-copy-source-range",
          ArgumentValue: range,
        },
      );
    }
    start = Number(match[1]);
    end = Number(match[2]);
  }
  if (end - start + 1 > flavor.maxPutBytes) {
    throw new S3Error("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", {
      ProposedSize: end - start + 1,
      MaxSizeAllowed: flavor.maxPutBytes,
    });
  }
  const algorithm = upload.checksumAlgorithm as "crc32" | undefined;
  const digests = new Digests(algorithm ? [algorithm] : []);
  const temp = await storage.writeTemp(tap(storage.read(source, start, end), digests));
  const finished = digests.finish();
  const part = await storage.uploads.commitPart(
    upload.uploadId,
    partNumber,
    temp,
    { etag: finished.md5.toString("hex"), checksums: finished.checksums },
    context.now().getTime(),
  );
  if (!part) throw noSuchUpload(upload.uploadId);
  return xmlResponse(
    document(
      "CopyPartResult",
      el("LastModified", xmlDate(part.lastModifiedMs)),
      el("ETag", `"${part.etag}"`),
    ),
  );
}
