/**
 * S3's URI encoding, exactly.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 * "URI encode every byte except the unreserved characters: 'A'-'Z', 'a'-'z', '0'-'9',
 * '-', '.', '_', and '~'. [...] Each URI encoded byte is formed by a '%' and the
 * two-digit hexadecimal value of the byte. Letters in the hexadecimal value must be
 * uppercase." The object key path keeps '/'; query names and values encode it.
 *
 * S3 differs from the other services: the path is encoded once (not twice) and is
 * never normalised, so `a//b`, `./` and a trailing `/` are part of the key.
 */

const HEX = "0123456789ABCDEF";

/** For every byte, its encoded form: itself when unreserved, `%XX` otherwise. */
const ENCODED_BYTE: readonly string[] = Array.from({ length: 256 }, (_, byte) =>
  isUnreserved(byte) ? String.fromCharCode(byte) : `%${HEX[byte >> 4]}${HEX[byte & 15]}`,
);

function isUnreserved(byte: number): boolean {
  return (
    (byte >= 0x41 && byte <= 0x5a) || // A-Z
    (byte >= 0x61 && byte <= 0x7a) || // a-z
    (byte >= 0x30 && byte <= 0x39) || // 0-9
    byte === 0x2d || // -
    byte === 0x2e || // .
    byte === 0x5f || // _
    byte === 0x7e // ~
  );
}

// encodeURIComponent leaves these five unescaped; S3 wants them escaped.
const LEFT_BY_ENCODE_URI_COMPONENT = /[!'()*]/;
const ALL_LEFT_BY_ENCODE_URI_COMPONENT = /[!'()*]/g;

function escapeLeftovers(char: string): string {
  return ENCODED_BYTE[char.charCodeAt(0)] as string;
}

/**
 * Encodes a string (a query name or value) as S3 does: UTF-8, every byte but the
 * unreserved ones as `%XX`, `/` included. Throws on a lone surrogate, which has no
 * UTF-8 form and so cannot be part of a key or a signed value.
 */
export function uriEncode(value: string): string {
  const encoded = encodeURIComponent(value);
  return LEFT_BY_ENCODE_URI_COMPONENT.test(encoded)
    ? encoded.replace(ALL_LEFT_BY_ENCODE_URI_COMPONENT, escapeLeftovers)
    : encoded;
}

/** Encodes an object key (or any path) as S3 does: like `uriEncode`, but `/` stays. */
export function uriEncodePath(path: string): string {
  return uriEncode(path).replaceAll("%2F", "/");
}

/**
 * The canonical URI of a request path as it arrived on the wire (still percent-encoded):
 * every `%XX` is decoded to its byte and every byte is encoded again S3's way, so a
 * client that sent `~` as `%7E` or `é` as `%c3%a9` signs the same string as one that did
 * not. Works on bytes, so a path that is not valid UTF-8 still canonicalises.
 */
export function canonicalUri(rawPath: string): string {
  if (isAlreadyCanonical(rawPath)) return rawPath;
  const bytes = percentDecode(rawPath, false);
  let out = "";
  for (const byte of bytes) out += byte === 0x2f ? "/" : ENCODED_BYTE[byte];
  return out;
}

/** True when every character is unreserved, `/`, or a `%XX` with uppercase hex of a byte that must be escaped. */
function isAlreadyCanonical(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const code = path.charCodeAt(i);
    if (code === 0x2f || (code < 128 && isUnreserved(code))) continue;
    if (code !== 0x25) return false;
    const hi = upperHexValue(path.charCodeAt(i + 1));
    const lo = upperHexValue(path.charCodeAt(i + 2));
    if (hi < 0 || lo < 0 || isUnreserved(hi * 16 + lo) || hi * 16 + lo === 0x2f) return false;
    i += 2;
  }
  return true;
}

/**
 * Decodes `%XX` escapes into bytes; other characters become their UTF-8 bytes, and with
 * `plusIsSpace` a `+` becomes a space (form encoding, as query strings use it).
 * A `%` not followed by two hex digits is kept literally, as S3 keeps it.
 */
export function percentDecode(text: string, plusIsSpace: boolean): Uint8Array {
  const bytes = Buffer.allocUnsafe(Buffer.byteLength(text));
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x25) {
      const hi = hexValue(text.charCodeAt(i + 1));
      const lo = hexValue(text.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        bytes[length++] = hi * 16 + lo;
        i += 2;
        continue;
      }
    }
    if (code === 0x2b && plusIsSpace) {
      bytes[length++] = 0x20;
    } else if (code < 0x80) {
      bytes[length++] = code;
    } else {
      // Non-ASCII characters in a raw path or query: take their UTF-8 bytes.
      const end = code >= 0xd800 && code <= 0xdbff ? i + 2 : i + 1;
      length += bytes.write(text.slice(i, end), length, "utf8");
      i = end - 1;
    }
  }
  return bytes.subarray(0, length);
}

function upperHexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  return -1;
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

/** Encodes raw bytes S3's way (`/` escaped), for query names and values decoded from the wire. */
export function uriEncodeBytes(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += ENCODED_BYTE[byte];
  return out;
}
