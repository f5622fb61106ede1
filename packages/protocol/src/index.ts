/**
 * @sluice/protocol — the upload API's JSON: request and response bodies, as types only.
 * `@sluice/server` answers with them and `@sluice/client` reads them; both import this
 * package with `import type`, so it holds no values and reaches neither Node nor the DOM.
 *
 * | request                              | body                | answer                        |
 * | ------------------------------------ | ------------------- | ----------------------------- |
 * | `POST   {base}`                      | CreateUploadRequest | 201 CreateUploadResponse      |
 * | `POST   {base}/{id}/parts`           | PartUrlsRequest     | 200 PartUrlsResponse          |
 * | `GET    {base}/{id}`                 |                     | 200 UploadState               |
 * | `POST   {base}/{id}/complete`        | CompleteRequest?    | 200 FileRecord                |
 * | `DELETE {base}/{id}`                 |                     | 204                           |
 * | `GET    {base}/routes/{name}`        |                     | 200 RouteDescription          |
 *
 * `{base}` is `/api/uploads` unless the app says otherwise. Every refusal is
 * `ApiErrorBody` with its status. Times are ISO 8601 strings.
 */

export interface CreateUploadRequest {
  /** The route (policy) name the app defined. */
  readonly route: string;
  /** The file's name, kept in the record; never part of the object key. */
  readonly name: string;
  /** The file's content type; the signature binds it, so the PUT must send exactly this. */
  readonly type: string;
  /** Bytes; the signature binds it, so the store refuses a body of any other length. */
  readonly size: number;
  /**
   * Hex SHA-256 of the file. A single PUT's URL then binds it and a store that checks
   * checksums (R2, S3, Sluice's) refuses other bytes; part URLs cannot bind a whole-file
   * hash, so a multipart upload leaves it out.
   */
  readonly sha256?: string;
}

/** One PUT of the whole file. */
export interface SingleUpload {
  readonly id: string;
  readonly key: string;
  /** When `url` stops working. */
  readonly expiresAt: string;
  readonly method: "PUT";
  readonly url: string;
  /**
   * Exactly the headers the page must set, lower-case names. The signature also binds
   * `content-length`, which browsers set from the body themselves (and refuse to let a
   * page set), so it is not listed.
   */
  readonly headers: Readonly<Record<string, string>>;
}

/** Parts of `partSize` bytes (the last may be smaller); ask for their URLs as you go. */
export interface MultipartUpload {
  readonly id: string;
  readonly key: string;
  /** When the upload is given up if nothing happens; each request for part URLs extends it. */
  readonly expiresAt: string;
  readonly multipart: {
    readonly partSize: number;
    readonly partCount: number;
  };
}

export type CreateUploadResponse = SingleUpload | MultipartUpload;

export interface PartUrlsRequest {
  /** 1-based part numbers within the plan; at most 100 per request. */
  readonly partNumbers: readonly number[];
}

export interface PartUrl {
  readonly partNumber: number;
  readonly method: "PUT";
  readonly url: string;
  /** Headers the page must set: none today (the bound Content-Length is the browser's). */
  readonly headers: Readonly<Record<string, string>>;
  /** The exact byte count this part must have. */
  readonly size: number;
  readonly expiresAt: string;
}

export interface PartUrlsResponse {
  readonly parts: readonly PartUrl[];
}

export interface CompleteRequest {
  /**
   * Optional: the parts as the page saw them (the ETag of each PUT's response). The
   * server completes from the store's own list; a part whose ETag differs from the
   * store's is refused (409), since the page and the store disagree about the bytes.
   */
  readonly parts?: readonly { readonly partNumber: number; readonly etag: string }[];
}

/** An intent's life: created `pending`; ends `complete`, `rejected`, `aborted` or `expired`. */
export type UploadStatus =
  | "pending"
  | "completing"
  | "complete"
  | "rejected"
  | "aborted"
  | "expired";

export interface UploadedPart {
  readonly partNumber: number;
  readonly size: number;
  readonly etag: string;
}

export interface UploadState {
  readonly id: string;
  readonly key: string;
  readonly route: string;
  readonly name: string;
  readonly type: string;
  /** Absent while undeclared (an upload through Companion's endpoints) and unverified. */
  readonly size?: number;
  readonly status: UploadStatus;
  readonly createdAt: string;
  readonly expiresAt: string;
  /** For a multipart upload: the plan, and (while pending) the parts the store holds. */
  readonly multipart?: {
    readonly partSize: number;
    readonly partCount: number;
    readonly uploaded: readonly UploadedPart[];
  };
  /** Once complete. */
  readonly file?: FileRecord;
  /** Why it was rejected or expired. */
  readonly error?: string;
}

/** A verified upload: what `complete` returns and what `onComplete` receives. */
export interface FileRecord {
  readonly id: string;
  readonly key: string;
  readonly route: string;
  /** The name the page gave; for display only. */
  readonly name: string;
  readonly type: string;
  readonly size: number;
  /** The store's ETag, without quotes. */
  readonly etag: string;
  /** The declared SHA-256, present only when the store reported that very one. */
  readonly sha256?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly createdAt: string;
  readonly completedAt: string;
}

export interface ApiErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
  };
}

/** `GET {base}/routes/{name}`: what a route takes, for a page to show and check before an upload. */
export interface RouteDescription {
  readonly route: string;
  /** Exact content types, families already expanded (`image/*` → `image/jpeg`, …). */
  readonly types: readonly string[];
  /** Bytes. */
  readonly maxSize: number;
  /** Bytes; smaller files are refused. */
  readonly minSize: number;
  /** Files larger than this go up in parts. */
  readonly multipartThreshold: number;
  /** The preferred part size (grown for a file that would need more than 10,000 parts). */
  readonly partSize: number;
}
