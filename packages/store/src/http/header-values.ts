/**
 * Header values checked where they enter, so that nothing the store later writes into a
 * response can be refused by HTTP itself (Node throws `ERR_INVALID_CHAR` for a control
 * character, the Fetch API a `TypeError` for a character above U+00FF).
 *
 * - A stored header (Content-Type, Cache-Control, Content-Disposition, ..., `x-amz-meta-*`)
 *   arrives as HTTP field bytes: tab, visible ASCII and bytes 0x80-0xFF (RFC 9110 §5.5's
 *   `obs-text`) are kept and returned byte for byte; a control character is refused.
 * - A `response-*` override arrives percent-encoded in the query, so it may hold any
 *   Unicode: it must be printable ASCII, except that a non-ASCII file name in
 *   `response-content-disposition` is carried as RFC 6266 / RFC 8187 says browsers read
 *   it, `filename*=UTF-8''<percent-encoded>`, beside an ASCII `filename` fallback.
 *
 * Either refusal is S3's `400 InvalidArgument` naming the header or parameter.
 */
import { invalidArgument } from "./s3-error.js";

/** What an HTTP field value may hold (RFC 9110 §5.5): HTAB, VCHAR, SP, obs-text. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const PRINTABLE_ASCII = /^[\t\x20-\x7e]*$/;

/** Refuses a stored header's value that HTTP could not carry back out. */
export function checkStoredHeader(name: string, value: string): void {
  if (!FIELD_VALUE.test(value)) {
    throw invalidArgument(
      `Header ${name} has a value with a character HTTP does not allow (a control character or one above U+00FF).`,
      name,
      visible(value),
    );
  }
}

/** The value a `response-*` parameter sets, as it will be sent, or S3's refusal. */
export function responseOverride(parameter: string, value: string): string {
  if (PRINTABLE_ASCII.test(value)) return value;
  if (parameter === "response-content-disposition" && !hasControlCharacter(value)) {
    const carried = encodeDispositionFileName(value);
    if (carried !== undefined) return carried;
  }
  throw invalidArgument(
    parameter === "response-content-disposition"
      ? `${parameter} must be printable ASCII; a file name outside ASCII is carried as filename*=UTF-8''..., any other non-ASCII character or control character is refused.`
      : `${parameter} must be printable ASCII (no control characters, nothing outside ASCII).`,
    parameter,
    visible(value),
  );
}

/** `type; name=value; ...`, each value a token or a quoted string. */
const PARAMETER = /\s*;\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;"]*)/y;

/**
 * A disposition whose only non-ASCII text is in `filename`, rewritten so that value
 * travels as `filename*` (RFC 8187 §3.2) with an ASCII `filename` beside it for old
 * clients; undefined when the value is not that (the caller refuses it).
 */
function encodeDispositionFileName(value: string): string | undefined {
  const semicolon = value.indexOf(";");
  const type = (semicolon < 0 ? value : value.slice(0, semicolon)).trim();
  if (!PRINTABLE_ASCII.test(type) || type === "") return undefined;
  const parameters: [string, string][] = [];
  PARAMETER.lastIndex = semicolon < 0 ? value.length : semicolon;
  while (PARAMETER.lastIndex < value.length) {
    const match = PARAMETER.exec(value);
    if (!match) return undefined;
    parameters.push([match[1] as string, (match[2] as string).trim()]);
  }
  if (parameters.some(([name]) => name.toLowerCase() === "filename*")) return undefined;
  let rewritten = type;
  for (const [name, raw] of parameters) {
    if (PRINTABLE_ASCII.test(raw)) {
      rewritten += `; ${name}=${raw}`;
      continue;
    }
    if (name.toLowerCase() !== "filename") return undefined;
    const fileName = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, "$1") : raw;
    const fallback = fileName.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
    rewritten += `; filename="${fallback}"; filename*=UTF-8''${encodeRfc8187(fileName)}`;
  }
  return rewritten;
}

/** RFC 8187 §3.2.1 `value-chars`: attr-char as is, every other byte of the UTF-8 `%XX`. */
function encodeRfc8187(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9!#$&+.^_`|~-]/.test(c)
      ? c
      : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

const isControl = (code: number) => (code < 0x20 && code !== 0x09) || code === 0x7f;

function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (isControl(value.charCodeAt(i))) return true;
  return false;
}

/** A value as it can be shown in an error document: control characters as `\xNN`. */
function visible(value: string): string {
  let out = "";
  for (const c of value) {
    const code = c.charCodeAt(0);
    out += isControl(code) ? `\\x${code.toString(16).padStart(2, "0")}` : c;
  }
  return out;
}
