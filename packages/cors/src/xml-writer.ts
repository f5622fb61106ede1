/**
 * Escaping text for S3's XML: the one escaper behind every document the project writes
 * (CORS configurations here; the store's answers and the S3 client's request bodies
 * through `@sluice/s3`). Safe in character data and in attribute values alike.
 *
 * `\r` becomes a reference, or a reader's end-of-line handling would turn it into `\n`
 * (https://www.w3.org/TR/xml/#sec-line-ends).
 */

const ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
  "\r": "&#13;",
};
const SPECIAL = /[&<>"'\r]/;
const SPECIALS = /[&<>"'\r]/g;

export function escapeXml(text: string): string {
  return SPECIAL.test(text) ? text.replace(SPECIALS, (c) => ESCAPES[c] as string) : text;
}
