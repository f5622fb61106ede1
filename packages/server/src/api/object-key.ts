/**
 * Object keys are the server's, never the client's: by default
 * `{route}/{user id}/{upload id}{extension of the declared type}`. The file's name is kept
 * in the ledger for display and never reaches a key, so `../../etc/passwd.jpg` or
 * `index.html` cannot choose where bytes land. A user id is one path segment whatever it
 * contains: `/` and `%` are percent-encoded, and `.` or `..` alone are encoded too.
 */

export interface KeyContext<User> {
  readonly route: string;
  readonly user: User;
  readonly id: string;
  /** `.jpg` for image/jpeg; `""` for a type the table does not know. */
  readonly extension: string;
  readonly type: string;
}

/** S3 and R2 both cap keys at 1,024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

/** A value as one key segment: nothing in it can start a new segment or climb out. */
export function keySegment(value: string): string {
  if (value === "") throw new RangeError("a key segment cannot be empty");
  const encoded = encodeURIComponent(value);
  return /^\.+$/.test(encoded) ? encoded.replaceAll(".", "%2E") : encoded;
}

export function defaultKey(context: KeyContext<{ readonly id: string }>): string {
  return `${context.route}/${keySegment(context.user.id)}/${context.id}${context.extension}`;
}

/**
 * Checks a key a route's own `key()` made: one that S3 would store somewhere else than it
 * reads (`a/../b`), or could not store, is a bug in the app and fails loudly here.
 */
export function checkKey(key: string): string {
  if (key === "" || Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw new RangeError(`object keys must be 1 to ${MAX_KEY_BYTES} bytes: ${JSON.stringify(key)}`);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  if (/[\u0000-\u001f\u007f]/.test(key)) {
    throw new RangeError(`object key has a control character: ${JSON.stringify(key)}`);
  }
  if (key.startsWith("/") || key.split("/").some((s) => s === "." || s === "..")) {
    throw new RangeError(`object key has a "/", "." or ".." segment: ${JSON.stringify(key)}`);
  }
  return key;
}
