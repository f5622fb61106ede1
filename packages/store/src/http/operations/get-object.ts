/**
 * GetObject and HeadObject: conditional reads, a single byte range, `response-*`
 * overrides, and the body streamed from disk.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 */

import { checksumType } from "../../checksums.js";
import type { ObjectRecord } from "../../storage/object-storage.js";
import { checkReadConditions } from "../conditions.js";
import { responseOverride } from "../header-values.js";
import { objectResponseHeaders } from "../object-headers.js";
import { type OperationContext, requireBucket, requireKey } from "../operation.js";
import { noSuchKey, S3Error } from "../s3-error.js";

/** `response-*` query parameters and the header each overrides. */
const OVERRIDES: Readonly<Record<string, string>> = {
  "response-content-type": "content-type",
  "response-content-language": "content-language",
  "response-expires": "expires",
  "response-cache-control": "cache-control",
  "response-content-disposition": "content-disposition",
  "response-content-encoding": "content-encoding",
};

export function GetObject(context: OperationContext): Promise<Response> {
  return read(context, true);
}

export function HeadObject(context: OperationContext): Promise<Response> {
  return read(context, false);
}

async function read(context: OperationContext, withBody: boolean): Promise<Response> {
  const { request, storage } = context;
  // Checked first: a value HTTP cannot carry is refused whatever the object's state.
  const overrides: Record<string, string> = {};
  for (const [parameter, header] of Object.entries(OVERRIDES)) {
    const value = request.query.get(parameter);
    if (value !== undefined) overrides[header] = responseOverride(parameter, value);
  }
  const bucket = requireBucket(context).name;
  const key = requireKey(context);
  const record = storage.getObject(bucket, key);
  if (!record) throw noSuchKey(key);

  const headers = objectResponseHeaders(
    record,
    request.headers.get("x-amz-checksum-mode") === "ENABLED",
  );
  // S3 names the type with the checksum: a PUT's and CRC64NVME's are of the full object.
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith("x-amz-checksum-") && value !== undefined)
      headers["x-amz-checksum-type"] = checksumType(String(value));
  }
  if (checkReadConditions(request.headers, record) === "not-modified") {
    return new Response(null, {
      status: 304,
      headers: {
        etag: headers.etag as string,
        "last-modified": headers["last-modified"] as string,
      },
    });
  }
  Object.assign(headers, overrides);

  const partNumber = request.query.get("partNumber");
  const range =
    partNumber === undefined
      ? parseRange(request.headers.get("range"), record)
      : partRange(partNumber, record, request.headers.has("range"));
  if (range === undefined) {
    headers["content-length"] = String(record.size);
    return new Response(withBody ? stream(context, record, 0, record.size - 1) : null, {
      status: 200,
      headers,
    });
  }
  // A checksum is of the whole object: S3 sends none with a part of it, and the SDK,
  // which checks what it receives, would otherwise refuse every ranged read.
  for (const name of Object.keys(headers)) {
    if (name.startsWith("x-amz-checksum-")) delete headers[name];
  }
  headers["content-length"] = String(range.end - range.start + 1);
  headers["content-range"] = `bytes ${range.start}-${range.end}/${record.size}`;
  return new Response(withBody ? stream(context, record, range.start, range.end) : null, {
    status: 206,
    headers,
  });
}

function stream(
  context: OperationContext,
  record: ObjectRecord,
  start: number,
  end: number,
): ReadableStream<Uint8Array> | null {
  if (end < start) return null;
  const chunks = context.storage.read(record, start, end);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await chunks.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
}

/**
 * One range, `bytes=first-last`, `bytes=first-` or `bytes=-suffix`. A header S3 would
 * ignore (several ranges, another unit, bad syntax) is ignored; an unsatisfiable range
 * is 416 InvalidRange.
 */
function parseRange(
  header: string | null,
  record: ObjectRecord,
): { start: number; end: number } | undefined {
  if (header === null) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return undefined;
  const size = record.size;
  let start: number;
  let end: number;
  if (match[1] === "") {
    const suffix = Number(match[2]);
    if (suffix === 0) throw invalidRange(header, size);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
    if (match[2] !== "" && Number(match[2]) < start) return undefined;
  }
  if (start >= size) throw invalidRange(header, size);
  return { start, end };
}

function invalidRange(requested: string, size: number): S3Error {
  return new S3Error("InvalidRange", "The requested range is not satisfiable", {
    RangeRequested: requested,
    ActualObjectSize: size,
  });
}

/** The bytes of part N: a completed multipart object keeps one segment per part, in order. */
function partRange(
  value: string,
  record: ObjectRecord,
  hasRange: boolean,
): { start: number; end: number } {
  if (hasRange) {
    throw new S3Error(
      "InvalidRequest",
      "Cannot specify both Range header and partNumber query parameter",
    );
  }
  const part = Number(value);
  if (!/^\d+$/.test(value) || part < 1 || part > 10_000) {
    throw new S3Error(
      "InvalidArgument",
      "Part number must be an integer between 1 and 10000, inclusive",
      {
        ArgumentName: "partNumber",
        ArgumentValue: value,
      },
    );
  }
  const parts = record.partsCount ?? 1;
  if (part > parts) {
    throw new S3Error(
      "InvalidPartNumber",
      "The requested partnumber is not satisfiable",
      {
        PartNumberRequested: part,
        ActualPartCount: parts,
      },
      416,
    );
  }
  // Only a multipart object has parts of its own; any other is its one part.
  const segments = record.body.kind === "blobs" ? record.body.segments : [];
  let start = 0;
  for (const segment of segments.slice(0, part - 1)) start += segment.size;
  const size = record.partsCount === undefined ? record.size : (segments[part - 1]?.size ?? 0);
  return { start, end: start + size - 1 };
}
