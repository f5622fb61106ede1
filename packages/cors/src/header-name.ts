/**
 * RFC 7230 §3.2.6 token characters, the only ones a header field name may use:
 *   tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
 *           "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
 */
const TOKEN_CHARS = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]*$/;

/** True when every character is a token character (the empty string passes). */
export function hasOnlyTokenChars(value: string): boolean {
  return TOKEN_CHARS.test(value);
}

/** A header name as a browser could send it in Access-Control-Request-Headers. */
export function isHeaderName(value: string): boolean {
  return value.length > 0 && TOKEN_CHARS.test(value);
}
