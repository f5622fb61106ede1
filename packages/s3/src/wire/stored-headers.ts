/**
 * The standard headers S3 stores with an object as sent on the write and serves back
 * verbatim on GET and HEAD (beside `Content-Type` and user metadata).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
 */
export const STORED_HEADERS = [
  "cache-control",
  "content-disposition",
  "content-encoding",
  "content-language",
  "expires",
] as const;

export type StoredHeader = (typeof STORED_HEADERS)[number];
