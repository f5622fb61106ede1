/** Headers a caller asks us to sign: checked once, lower-cased, sorted. */

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** A temporary credential's session token, sent as `X-Amz-Security-Token`. */
  readonly sessionToken?: string;
}

export type HeaderInput = Readonly<Record<string, string | number | bigint>>;

// RFC 9110 token characters.
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// A value a client can send verbatim: visible ASCII and Latin-1, spaces and tabs, no CR/LF.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Normalises headers to sign into sorted `[lower-case name, value]` pairs. Rejects what
 * no HTTP client could send exactly as signed, so a bad header fails here, at signing
 * time, rather than as a `SignatureDoesNotMatch` at upload time.
 */
export function normalizeHeaders(headers: HeaderInput | undefined): [string, string][] {
  if (headers === undefined) return [];
  const out: [string, string][] = [];
  for (const [rawName, rawValue] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    const value = String(rawValue);
    if (!TOKEN.test(name)) throw new TypeError(`invalid header name ${JSON.stringify(rawName)}`);
    if (!FIELD_VALUE.test(value)) {
      throw new TypeError(
        `header ${name} has a value no HTTP client can send: ${JSON.stringify(value)}`,
      );
    }
    if (name === "host") continue; // always signed, always taken from the URL
    if (out.some(([seen]) => seen === name)) throw new TypeError(`header ${name} given twice`);
    out.push([name, value]);
  }
  out.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return out;
}
