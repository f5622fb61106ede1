/**
 * S3's error answer, `<Error><Code/><Message/>…</Error>`, read with the project's one XML
 * reader. Every child is kept: `SignatureDoesNotMatch` carries `CanonicalRequest` and
 * `StringToSign`, an expired URL `Expires` and `ServerTime`, a wrong region `Region`.
 * A page can read it too: S3, R2 and our store put the bucket's CORS headers on errors.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 */
import { readXml, type XmlElement } from "./xml.js";

export interface S3ErrorDocument {
  /** S3's code, trimmed (`SignatureDoesNotMatch`); never empty. */
  readonly code: string;
  /** Trimmed; empty when there is none (Ceph RGW sends `<Message/>`). */
  readonly message: string;
  /** Every child element of `<Error>` by name, text as it was (entities decoded). */
  readonly fields: Readonly<Record<string, string>>;
}

/** `undefined` when the text is not an S3 `<Error>` document with a `<Code>`. */
export function parseS3Error(text: string): S3ErrorDocument | undefined {
  let root: XmlElement;
  try {
    root = readXml(text.trim());
  } catch {
    return undefined;
  }
  if (root.name !== "Error") return undefined;
  const fields: Record<string, string> = {};
  for (const child of root.children) fields[child.name] ??= child.text;
  const code = fields.Code?.trim();
  if (!code) return undefined;
  return { code, message: fields.Message?.trim() ?? "", fields };
}

/** `403 SignatureDoesNotMatch: The request signature…`, or the status alone. */
export function summarizeS3Error(status: number, body: string): string {
  const error = parseS3Error(body);
  if (error === undefined) return String(status);
  return `${status} ${error.code}${error.message ? `: ${error.message}` : ""}`;
}
