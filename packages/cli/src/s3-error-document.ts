/**
 * S3's error answer, `<Error><Code/><Message/>…</Error>`, read with the project's one
 * XML reader. Every child is kept: `SignatureDoesNotMatch` carries `CanonicalRequest`
 * and `StringToSign`, an expired URL `Expires` and `ServerTime`, a wrong region `Region`.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 */
import { readXml } from "@sluice/cors";

export interface S3ErrorDocument {
  readonly code: string;
  readonly message: string;
  /** Every child element of `<Error>` by name, text as it was (entities decoded). */
  readonly fields: Readonly<Record<string, string>>;
}

/** `undefined` when the text is not an S3 `<Error>` document. */
export function parseS3Error(text: string): S3ErrorDocument | undefined {
  let root: ReturnType<typeof readXml>;
  try {
    root = readXml(text.trim());
  } catch {
    return undefined;
  }
  if (root.name !== "Error") return undefined;
  const fields: Record<string, string> = {};
  for (const child of root.children) fields[child.name] = child.text;
  return { code: fields.Code ?? "", message: fields.Message ?? "", fields };
}

/** `403 SignatureDoesNotMatch: The request signature…`, or the status alone. */
export function summarizeError(status: number, body: string): string {
  const error = parseS3Error(body);
  if (error === undefined) return String(status);
  return `${status} ${error.code}${error.message ? `: ${error.message}` : ""}`;
}
