/**
 * Does a file's beginning match its declared type? `file-type` reads the magic bytes.
 * https://github.com/sindresorhus/file-type
 *
 * - A declared type that detection can recognise must be recognised as that format: a
 *   "JPEG" that detection cannot place (HTML, a script, random bytes) is refused.
 * - Whatever the declared type, bytes recognised as another format are refused: an ELF
 *   or a zip declared `text/plain` is not text.
 * - A declared type detection cannot recognise (CSV, JSON, plain text) passes when
 *   detection finds nothing: there is nothing to check it against.
 * The comparison knows the aliases of each format (`content-types.ts`).
 */
import { fileTypeFromBuffer, supportedMimeTypes } from "file-type";
import { acceptsDetected, canonicalType, namesOf } from "../api/content-types.js";

/** What `file-type` reads to decide; more changes nothing. */
export const SNIFF_BYTES = 4100;

/** Whether detection can recognise some name of this type's format. */
export function detectable(type: string): boolean {
  return namesOf(type).some((name) => supportedMimeTypes.has(name));
}

/** `undefined` when the bytes fit the declared type; otherwise why they do not. */
export async function checkMagicBytes(
  declared: string,
  head: Uint8Array,
): Promise<string | undefined> {
  const detected = await fileTypeFromBuffer(head);
  if (detected) {
    if (acceptsDetected(declared, detected.mime)) return undefined;
    return `the file's bytes are ${canonicalType(detected.mime)} (.${detected.ext}), not ${declared}`;
  }
  if (detectable(declared)) {
    return `the file's bytes are not ${declared}: no ${declared} signature; they look like ${describe(head)}`;
  }
  return undefined;
}

const HTML_START = /^\s*(?:<!doctype html|<html|<head|<body|<script|<iframe|<svg|<!--)/i;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** A few words for bytes detection could not place, for the refusal's message. */
export function describe(head: Uint8Array): string {
  if (head.length === 0) return "an empty file";
  const start = Buffer.from(head.subarray(0, 512)).toString("latin1");
  if (HTML_START.test(start)) return "HTML";
  let text: string;
  try {
    // The sniffed head may end inside a character; judge a little less than all of it.
    text = utf8.decode(head.subarray(0, Math.max(1, head.length - 4)));
  } catch {
    return "binary data of no known type";
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
  return /[\u0000-\u0008\u000e-\u001f]/.test(text) ? "binary data of no known type" : "text";
}
