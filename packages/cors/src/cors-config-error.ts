/**
 * The one error a bad CORS configuration produces, with S3's code and message.
 * `detail` says which rule and field failed — S3 itself only says "MalformedXML", which
 * names no cause; the store may log `detail`, the CLI prints it.
 */

export type CorsConfigErrorCode =
  /** S3's code for bad XML and for schema violations (0 rules, missing elements). */
  | "MalformedXML"
  /** S3's code for semantic errors (unsupported method, two wildcards, bad header). */
  | "InvalidRequest"
  /** S3's code for a request body over the size limit. */
  | "MaxMessageLengthExceeded"
  /** Ours: S3 takes only XML; a JSON form that is not valid JSON or has the wrong shape. */
  | "MalformedJSON";

export const MALFORMED_XML_MESSAGE =
  "The XML you provided was not well-formed or did not validate against our published schema";
export const MAX_MESSAGE_LENGTH_MESSAGE = "Your request was too big.";
export const MALFORMED_JSON_MESSAGE =
  "The JSON you provided was not well-formed or did not match a CORS configuration";

export class CorsConfigError extends Error {
  override readonly name = "CorsConfigError";
  readonly code: CorsConfigErrorCode;
  /** Which rule and which field failed, for people; not part of S3's response. */
  readonly detail: string;

  constructor(code: CorsConfigErrorCode, message: string, detail: string = message) {
    super(message);
    this.code = code;
    this.detail = detail;
  }
}

export function malformedXml(detail: string): CorsConfigError {
  return new CorsConfigError("MalformedXML", MALFORMED_XML_MESSAGE, detail);
}

export function malformedJson(detail: string): CorsConfigError {
  return new CorsConfigError("MalformedJSON", MALFORMED_JSON_MESSAGE, detail);
}

export function invalidRequest(message: string, detail: string = message): CorsConfigError {
  return new CorsConfigError("InvalidRequest", message, detail);
}
