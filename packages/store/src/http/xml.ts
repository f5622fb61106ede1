/**
 * Writing S3's XML. Elements are built as values (`el("Key", key)`), text is escaped at
 * the one place it enters, and the result is a string: S3's bodies are small, except
 * listings, which are bounded by max-keys. The escaper is the project's one, from
 * `@sluice/s3`.
 */

import { escapeXml, S3_NAMESPACE } from "@sluice/s3";

const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** Already-serialised XML, so it is never escaped twice. */
export class Xml {
  constructor(readonly text: string) {}
}

export type XmlContent =
  | Xml
  | string
  | number
  | bigint
  | boolean
  | null
  | undefined
  | readonly XmlContent[];

function serialise(content: XmlContent): string {
  if (content === null || content === undefined) return "";
  if (content instanceof Xml) return content.text;
  if (Array.isArray(content)) return content.map(serialise).join("");
  return escapeXml(String(content));
}

/** `<name>content</name>`; `undefined` content omits nothing (an empty element). */
export function el(name: string, ...content: XmlContent[]): Xml {
  return new Xml(`<${name}>${serialise(content)}</${name}>`);
}

/** The element, or nothing when the value is undefined. */
export function optional(name: string, value: XmlContent): Xml | undefined {
  return value === undefined || value === null ? undefined : el(name, value);
}

/** A whole document whose root carries S3's namespace. */
export function document(name: string, ...content: XmlContent[]): string {
  return `${DECLARATION}<${name} xmlns="${S3_NAMESPACE}">${serialise(content)}</${name}>`;
}

/** A whole document without a namespace (S3's `<Error>` has none). */
export function plainDocument(root: Xml): string {
  return `${DECLARATION}${root.text}`;
}
