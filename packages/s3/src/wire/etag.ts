/**
 * ETags on the wire are quoted (`"9b2cf535f27731c974343645a3985328"`, multipart
 * `"…-3"`), weak ones prefixed `W/`; the project keeps them without quotes and quotes them
 * only where S3 wants them (CompleteMultipartUpload's `<ETag>`, `If-Match`).
 * https://www.rfc-editor.org/rfc/rfc9110#name-etag
 */

/** The ETag's value without its quotes (and without `W/`); other text is returned as it is. */
export function unquoteEtag(etag: string): string {
  const match = /^(?:W\/)?"(.*)"$/.exec(etag);
  return match ? (match[1] as string) : etag;
}

/** `"value"`, as S3 sends and takes it; an already quoted ETag is left alone. */
export function quoteEtag(etag: string): string {
  return /^(?:W\/)?".*"$/.test(etag) ? etag : `"${etag}"`;
}
