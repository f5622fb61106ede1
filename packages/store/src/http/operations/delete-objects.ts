/**
 * DeleteObjects: up to 1,000 keys in one request; each key's outcome reported, or, in
 * quiet mode, only the failures.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
 */
import type { XmlElement } from "@sluice/cors";
import { keyTooLong, type OperationContext, requireBucket, xmlResponse } from "../operation.js";
import { malformedXml, S3Error } from "../s3-error.js";
import { document, el } from "../xml.js";
import { parseXmlBody, readXmlBody } from "../xml-body.js";

const MAX_KEYS = 1000;

/** 1,000 keys of up to 1,024 bytes each, with their elements, fit. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;

export async function DeleteObjects(context: OperationContext): Promise<Response> {
  const bucket = requireBucket(context).name;
  const { request } = context;
  // S3 requires an integrity check on this operation; the SDKs always send one.
  if (
    !request.headers.has("content-md5") &&
    ![...request.headers.keys()].some((n) => n.startsWith("x-amz-checksum-"))
  ) {
    throw new S3Error("InvalidRequest", "Missing required header for this request: Content-MD5");
  }
  const root = parseXmlBody(await readXmlBody(context, MAX_BODY_BYTES), "Delete");
  const quiet = child(root, "Quiet")?.text.trim() === "true";
  const objects = root.children.filter((c) => c.name === "Object");
  if (objects.length === 0 || objects.length > MAX_KEYS) throw malformedXml();

  // The whole request is checked before the first key is deleted: a malformed one
  // deletes nothing.
  const keys = objects.map((object) => child(object, "Key")?.text);
  if (keys.some((key) => key === undefined)) throw malformedXml();

  const deleted: ReturnType<typeof el>[] = [];
  const errors: ReturnType<typeof el>[] = [];
  for (const key of keys as string[]) {
    const length = Buffer.byteLength(key);
    if (length > context.flavor.maxKeyBytes) {
      const error = keyTooLong(context.flavor, length);
      errors.push(
        el("Error", el("Key", key), el("Code", error.code), el("Message", error.message)),
      );
      continue;
    }
    await context.storage.deleteObject(bucket, key);
    if (!quiet) deleted.push(el("Deleted", el("Key", key)));
  }
  return xmlResponse(document("DeleteResult", deleted, errors));
}

function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}
