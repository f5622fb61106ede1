/**
 * S3's XML, read and written with the project's one reader and one escaper. Both live in
 * `@sluice/cors` — its CORS codec needs them and it imports nothing of the project — and
 * every other package takes them from here.
 */
import type { XmlElement } from "@sluice/cors";

export { escapeXml, readXml, type XmlElement } from "@sluice/cors";

/** The namespace of S3's documents (`xmlns` on the root; `<Error>` has none). */
export const S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/";

/** The first child element named `name`. */
export function childElement(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}

/** The trimmed text of the first child element named `name`; `undefined` when there is none. */
export function childText(element: XmlElement, name: string): string | undefined {
  return childElement(element, name)?.text.trim();
}
