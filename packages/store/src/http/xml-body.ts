/**
 * Reading a request's XML body (DeleteObjects, CompleteMultipartUpload, PutBucketCors,
 * CreateBucket's configuration), decided before the document is parsed:
 * - its size is capped: a declared length over the cap is refused before a byte is read,
 *   as S3 does, with `400 MaxMessageLengthExceeded`;
 * - its bytes must be UTF-8: a byte that is not is `400 MalformedXML`, never U+FFFD
 *   (which would make `caf\xE9` name a key the client never sent);
 * - its elements may nest only as deep as S3's documents do, so a deeply nested body
 *   cannot hold the event loop while it is parsed.
 * Every refusal comes before the operation changes anything.
 */
import { CorsConfigError, readXml, type XmlElement } from "@sluice/cors";
import { type OperationContext, readSmallBody } from "./operation.js";
import { malformedXml, S3Error } from "./s3-error.js";

/** S3's request documents nest 3 or 4 deep (`Delete/Object/Key`); this leaves room. */
const MAX_DEPTH = 16;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

export async function readXmlBody(context: OperationContext, maxBytes: number): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readSmallBody(context, maxBytes);
  } catch (error) {
    if (error instanceof S3Error && error.code === "EntityTooLarge") {
      throw new S3Error("MaxMessageLengthExceeded", "Your request was too big.", {
        MaxMessageLengthBytes: maxBytes,
      });
    }
    throw error;
  }
  try {
    return utf8.decode(bytes);
  } catch {
    throw new S3Error(
      "MalformedXML",
      "The XML you provided was not well-formed or did not validate against our published schema (its bytes are not UTF-8).",
    );
  }
}

/** The document's root element, which must be `root`; anything else is MalformedXML. */
export function parseXmlBody(text: string, root: string): XmlElement {
  checkNesting(text);
  let element: XmlElement;
  try {
    element = readXml(text);
  } catch (error) {
    if (error instanceof CorsConfigError) throw malformedXml();
    throw error;
  }
  if (element.name !== root) throw malformedXml();
  return element;
}

/** Refuses, before any parse, a document nested deeper than S3's ever are. */
export function checkNesting(text: string): void {
  if (nestingDepth(text) > MAX_DEPTH) throw malformedXml();
}

/**
 * How deep elements nest, by a linear scan that only counts tags (comments, CDATA and
 * declarations skipped, quoted attribute values respected). Not a parser: the reader
 * still judges the document; this only decides whether it is worth reading.
 */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let at = text.indexOf("<");
  while (at >= 0 && at < text.length) {
    const next = text[at + 1];
    let end: number;
    if (text.startsWith("<!--", at)) {
      end = closing(text, "-->", at + 4);
    } else if (text.startsWith("<![CDATA[", at)) {
      end = closing(text, "]]>", at + 9);
    } else {
      end = tagEnd(text, at + 1);
      if (next === "/") depth--;
      else if (next !== "?" && next !== "!" && text[end - 1] !== "/") {
        depth++;
        if (depth > deepest) deepest = depth;
      }
    }
    if (end < 0) return deepest; // unterminated: the reader will refuse it
    at = text.indexOf("<", end + 1);
  }
  return deepest;
}

/** The index of the last character of `marker` after `from`, or -1. */
function closing(text: string, marker: string, from: number): number {
  const found = text.indexOf(marker, from);
  return found < 0 ? -1 : found + marker.length - 1;
}

/** The index of the `>` that ends the tag starting at `from`, skipping quoted values. */
function tagEnd(text: string, from: number): number {
  let quote: string | undefined;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === ">") {
      return i;
    }
  }
  return -1;
}
