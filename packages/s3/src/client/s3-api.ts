/**
 * A small S3 client over `fetch`, signed with our SigV4: the operations the upload API
 * needs (presign, HeadObject, a ranged GetObject, multipart, DeleteObject) and the few
 * the CLI and the demo need for a bucket (CreateBucket, HeadBucket, ListBuckets, CORS, a
 * small PutObject). Any S3-compatible endpoint works (R2, S3, Ceph RGW, our store), and
 * no SDK comes along. Header-signed requests hash their (small) bodies; presigned URLs
 * bind exactly the headers given.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ (one section per operation below)
 *
 * S3 answers errors as `<Error><Code>…</Code><Message>…</Message></Error>`; each becomes
 * one `S3RequestError`. CompleteMultipartUpload may answer 200 with an `<Error>` body
 * (S3 says so in its documentation), so that body is read as an error too.
 *
 * Bytes are read as stored: Node's fetch undoes a `Content-Encoding: gzip` it is sent,
 * so a GET whose bytes are checked asks for `response-content-encoding=identity`, which
 * makes S3 (and R2, and our store) answer without the stored encoding.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax
 */

import { createHash } from "node:crypto";
import {
  type Credentials,
  objectUrl,
  type PresignedRequest,
  presign,
  splitUrl,
  uriEncode,
} from "@sluice/sigv4";
import { checksumHeader } from "../wire/checksum-headers.js";
import { parseS3Error } from "../wire/error-document.js";
import { quoteEtag, unquoteEtag } from "../wire/etag.js";
import { STORED_HEADERS } from "../wire/stored-headers.js";
import { childText, escapeXml, readXml, S3_NAMESPACE, type XmlElement } from "../wire/xml.js";
import { S3RequestError } from "./s3-request-error.js";
import { signedFetch } from "./signed-fetch.js";

export interface StorageConfig {
  /** `https://<account>.r2.cloudflarestorage.com`, `https://s3.us-east-1.amazonaws.com`, … */
  readonly endpoint: string;
  readonly bucket: string;
  /** `auto` (R2's) unless given. */
  readonly region?: string;
  readonly credentials: Credentials;
  /** `https://bucket.host/key` rather than `https://host/bucket/key`. */
  readonly virtualHosted?: boolean;
  /** Per request; default 30 s. */
  readonly timeoutMs?: number;
}

export interface ObjectHead {
  readonly size: number;
  readonly contentType: string | undefined;
  /** Without quotes. */
  readonly etag: string;
  /** Base64, when the store keeps one and says so. */
  readonly checksumSha256: string | undefined;
  /**
   * The stored headers a PUT may set besides those a URL binds, lower-case, present ones
   * only: `content-encoding`, `content-disposition`, `cache-control`, `content-language`,
   * `expires`. S3 serves them with the object.
   */
  readonly storedHeaders: Readonly<Record<string, string>>;
}

export interface StoredPart {
  readonly partNumber: number;
  /** Without quotes. */
  readonly etag: string;
  readonly size: number;
}

export interface OpenUpload {
  readonly key: string;
  readonly uploadId: string;
  /** When the store says it was created. */
  readonly initiated: Date;
}

export interface S3Api {
  readonly bucket: string;
  presignPut(
    key: string,
    headers: Readonly<Record<string, string | number>>,
    expiresIn: number,
  ): PresignedRequest;
  presignUploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    /** Bound as Content-Length; `undefined` signs a part of any length. */
    size: number | undefined,
    expiresIn: number,
  ): PresignedRequest;
  /** `undefined` when there is no such object. */
  headObject(key: string): Promise<ObjectHead | undefined>;
  /**
   * Bytes `start` to `end` inclusive (fewer if the object is shorter), as stored: never
   * content-decoded, whatever Content-Encoding the object carries.
   */
  getObjectRange(key: string, start: number, end: number): Promise<Uint8Array>;
  /** Succeeds whether or not the object existed, as S3's DeleteObject does. */
  deleteObject(key: string): Promise<void>;
  createMultipartUpload(key: string, headers: Readonly<Record<string, string>>): Promise<string>;
  /** Every part the store holds, all pages. */
  listParts(key: string, uploadId: string): Promise<StoredPart[]>;
  /** With `If-None-Match: *`; resolves with the object's ETag. */
  completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: readonly StoredPart[],
  ): Promise<string>;
  abortMultipartUpload(key: string, uploadId: string): Promise<void>;
  /** ListMultipartUploads: the uploads in progress under `prefix`, every page. */
  listMultipartUploads(prefix?: string): Promise<OpenUpload[]>;
  /** A GET URL for the object; `headers` are bound as `presignPut` binds them. */
  presignGet(
    key: string,
    expiresIn: number,
    headers?: Readonly<Record<string, string | number>>,
  ): PresignedRequest;
  /** HeadBucket: resolves when the bucket exists and these credentials may use it. */
  headBucket(): Promise<void>;
  /** ListBuckets: the names. A HEAD's failure has no body; this one's says why. */
  listBuckets(): Promise<string[]>;
  /** GetBucketCors, as S3's XML; `undefined` when the bucket has no configuration. */
  getBucketCors(): Promise<string | undefined>;
  /** PutBucketCors with a `<CORSConfiguration>` document (Content-MD5 sent, as S3 requires). */
  putBucketCors(xml: string): Promise<void>;
  /** DeleteBucketCors; succeeds when there was none. */
  deleteBucketCors(): Promise<void>;
  /** CreateBucket; succeeds when the bucket is already these credentials' own. */
  createBucket(): Promise<void>;
  /** A small PutObject from memory; resolves with the ETag (without quotes). */
  putObject(
    key: string,
    body: string,
    headers?: Readonly<Record<string, string | number>>,
  ): Promise<string>;
}

const MAX_PARTS_PER_PAGE = 1000;

export function createS3Api(config: StorageConfig, now: () => Date): S3Api {
  const region = config.region ?? "auto";
  const timeoutMs = config.timeoutMs ?? 30_000;
  const urlOf = (key: string, query = "") =>
    objectUrl(config.endpoint, config.bucket, key, { virtualHosted: config.virtualHosted }) +
    (query === "" ? "" : `?${query}`);
  const bucketUrl = (query: string) => {
    const { protocol, host, path } = splitUrl(config.endpoint);
    const base = path.endsWith("/") ? path.slice(0, -1) : path;
    const url = config.virtualHosted
      ? `${protocol}//${config.bucket}.${host}${base}/`
      : `${protocol}//${host}${base}/${config.bucket}`;
    return query === "" ? url : `${url}?${query}`;
  };
  const serviceUrl = () => {
    const { protocol, host, path } = splitUrl(config.endpoint);
    return `${protocol}//${host}${path.endsWith("/") ? path : `${path}/`}`;
  };

  async function send(
    operation: string,
    method: string,
    url: string,
    options: { headers?: Record<string, string>; body?: string } = {},
  ): Promise<Response> {
    let response: Response;
    try {
      response = await signedFetch(method, url, {
        credentials: config.credentials,
        region,
        signingDate: now(),
        timeoutMs,
        ...options,
      });
    } catch (error) {
      const cause = error instanceof Error ? (error.cause ?? error) : error;
      const reason = cause instanceof Error ? cause.message : String(cause);
      const code =
        error instanceof DOMException && error.name === "TimeoutError" ? "Timeout" : "NetworkError";
      throw new S3RequestError(0, code, `${method} ${config.endpoint}: ${reason}`, operation);
    }
    if (response.status >= 300) throw await errorFrom(operation, response);
    return response;
  }

  return {
    bucket: config.bucket,

    presignPut(key, headers, expiresIn) {
      return presign({
        method: "PUT",
        url: urlOf(key),
        headers,
        credentials: config.credentials,
        region,
        expiresIn,
        signingDate: now(),
      });
    },

    presignUploadPart(key, uploadId, partNumber, size, expiresIn) {
      return presign({
        method: "PUT",
        url: urlOf(key, `partNumber=${partNumber}&uploadId=${uriEncode(uploadId)}`),
        headers: size === undefined ? {} : { "content-length": size },
        credentials: config.credentials,
        region,
        expiresIn,
        signingDate: now(),
      });
    },

    async headObject(key) {
      let response: Response;
      try {
        response = await send("HeadObject", "HEAD", urlOf(key), {
          headers: { "x-amz-checksum-mode": "ENABLED" },
        });
      } catch (error) {
        if (error instanceof S3RequestError && error.status === 404) return undefined;
        throw error;
      }
      return {
        size: Number(response.headers.get("content-length") ?? Number.NaN),
        contentType: response.headers.get("content-type") ?? undefined,
        etag: unquoteEtag(response.headers.get("etag") ?? ""),
        checksumSha256: response.headers.get(checksumHeader("sha256")) ?? undefined,
        storedHeaders: Object.fromEntries(
          STORED_HEADERS.flatMap((name) => {
            const value = response.headers.get(name);
            return value === null ? [] : [[name, value]];
          }),
        ),
      };
    },

    async getObjectRange(key, start, end) {
      // fetch decodes a body by its Content-Encoding, and a range of a gzip stream does
      // not decode: ask the store to answer `identity`, so the bytes come as stored.
      // https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html (response-content-encoding)
      const url = urlOf(key, "response-content-encoding=identity");
      const response = await send("GetObject", "GET", url, {
        headers: { range: `bytes=${start}-${end}` },
      });
      const encoding = response.headers.get("content-encoding");
      if (encoding !== null && !/^\s*identity\s*$/i.test(encoding)) {
        await drain(response);
        throw new S3RequestError(
          response.status,
          "InvalidResponse",
          `the store answered Content-Encoding: ${encoding} though asked for identity, so the stored bytes cannot be read as they are`,
          "GetObject",
        );
      }
      // A store that ignores Range sends everything: read what was asked for, no more.
      return readAtMost(response, end - start + 1);
    },

    async deleteObject(key) {
      await drain(await send("DeleteObject", "DELETE", urlOf(key)));
    },

    async createMultipartUpload(key, headers) {
      const response = await send("CreateMultipartUpload", "POST", urlOf(key, "uploads"), {
        headers: { ...headers },
      });
      const root = await xmlOf("CreateMultipartUpload", response);
      const uploadId = childText(root, "UploadId");
      if (!uploadId) {
        throw new S3RequestError(
          response.status,
          "InvalidResponse",
          "no <UploadId>",
          "CreateMultipartUpload",
        );
      }
      return uploadId;
    },

    async listParts(key, uploadId) {
      const parts: StoredPart[] = [];
      let marker = 0;
      for (;;) {
        const query = `max-parts=${MAX_PARTS_PER_PAGE}&part-number-marker=${marker}&uploadId=${uriEncode(uploadId)}`;
        const root = await xmlOf("ListParts", await send("ListParts", "GET", urlOf(key, query)));
        for (const part of root.children.filter((c) => c.name === "Part")) {
          parts.push({
            partNumber: Number(childText(part, "PartNumber")),
            etag: unquoteEtag(childText(part, "ETag") ?? ""),
            size: Number(childText(part, "Size")),
          });
        }
        const next = Number(childText(root, "NextPartNumberMarker"));
        if (childText(root, "IsTruncated") !== "true" || !(next > marker)) return parts;
        marker = next;
      }
    },

    async completeMultipartUpload(key, uploadId, parts) {
      const body = `<CompleteMultipartUpload xmlns="${S3_NAMESPACE}">${parts
        .map(
          (p) =>
            `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${escapeXml(quoteEtag(p.etag))}</ETag></Part>`,
        )
        .join("")}</CompleteMultipartUpload>`;
      const response = await send(
        "CompleteMultipartUpload",
        "POST",
        urlOf(key, `uploadId=${uriEncode(uploadId)}`),
        {
          headers: {
            "content-type": "application/xml",
            "content-md5": createHash("md5").update(body).digest("base64"),
            // Never replace an object: the key is this upload's alone.
            "if-none-match": "*",
          },
          body,
        },
      );
      const root = await xmlOf("CompleteMultipartUpload", response);
      return unquoteEtag(childText(root, "ETag") ?? "");
    },

    async abortMultipartUpload(key, uploadId) {
      await drain(
        await send("AbortMultipartUpload", "DELETE", urlOf(key, `uploadId=${uriEncode(uploadId)}`)),
      );
    },

    async listMultipartUploads(prefix = "") {
      // https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html
      // Keys are asked for URL-encoded, so that any key survives the XML.
      const uploads: OpenUpload[] = [];
      let keyMarker = "";
      let uploadIdMarker = "";
      for (;;) {
        const query = [
          "encoding-type=url",
          ...(keyMarker === "" ? [] : [`key-marker=${uriEncode(keyMarker)}`]),
          ...(prefix === "" ? [] : [`prefix=${uriEncode(prefix)}`]),
          ...(uploadIdMarker === "" ? [] : [`upload-id-marker=${uriEncode(uploadIdMarker)}`]),
          "uploads",
        ].join("&");
        const root = await xmlOf(
          "ListMultipartUploads",
          await send("ListMultipartUploads", "GET", bucketUrl(query)),
        );
        const encoded = childText(root, "EncodingType") === "url";
        const decode = (text: string) => (encoded ? decodeURIComponent(text) : text);
        for (const upload of root.children.filter((c) => c.name === "Upload")) {
          uploads.push({
            key: decode(childText(upload, "Key") ?? ""),
            uploadId: childText(upload, "UploadId") ?? "",
            initiated: new Date(childText(upload, "Initiated") ?? Number.NaN),
          });
        }
        const nextKey = decode(childText(root, "NextKeyMarker") ?? "");
        const nextUploadId = childText(root, "NextUploadIdMarker") ?? "";
        if (childText(root, "IsTruncated") !== "true" || (nextKey === "" && nextUploadId === "")) {
          return uploads;
        }
        keyMarker = nextKey;
        uploadIdMarker = nextUploadId;
      }
    },

    presignGet(key, expiresIn, headers = {}) {
      return presign({
        method: "GET",
        url: urlOf(key),
        headers,
        credentials: config.credentials,
        region,
        expiresIn,
        signingDate: now(),
      });
    },

    async headBucket() {
      await drain(await send("HeadBucket", "HEAD", bucketUrl("")));
    },

    async listBuckets() {
      const root = await xmlOf("ListBuckets", await send("ListBuckets", "GET", serviceUrl()));
      const buckets = root.children.find((c) => c.name === "Buckets")?.children ?? [];
      return buckets.map((b) => childText(b, "Name") ?? "");
    },

    async getBucketCors() {
      let response: Response;
      try {
        response = await send("GetBucketCors", "GET", bucketUrl("cors"));
      } catch (error) {
        if (error instanceof S3RequestError && error.hasCode("NoSuchCORSConfiguration")) {
          return undefined;
        }
        throw error;
      }
      return response.text();
    },

    async putBucketCors(xml) {
      const response = await send("PutBucketCors", "PUT", bucketUrl("cors"), {
        headers: {
          "content-type": "application/xml",
          // "The Content-MD5 header is required for any request to upload a
          // configuration file" (PutBucketCors).
          "content-md5": createHash("md5").update(xml).digest("base64"),
        },
        body: xml,
      });
      await drain(response);
    },

    async deleteBucketCors() {
      await drain(await send("DeleteBucketCors", "DELETE", bucketUrl("cors")));
    },

    async createBucket() {
      try {
        await drain(await send("CreateBucket", "PUT", bucketUrl("")));
      } catch (error) {
        // Already ours, from an earlier run: S3 outside us-east-1 and our store under `s3` say
        // BucketAlreadyOwnedByYou, R2 and our store under `r2` BucketConflict.
        if (
          error instanceof S3RequestError &&
          error.hasCode("BucketAlreadyOwnedByYou", "BucketConflict")
        )
          return;
        throw error;
      }
    },

    async putObject(key, body, headers = {}) {
      const response = await send("PutObject", "PUT", urlOf(key), {
        headers: Object.fromEntries(Object.entries(headers).map(([n, v]) => [n, String(v)])),
        body,
      });
      await drain(response);
      return unquoteEtag(response.headers.get("etag") ?? "");
    },
  };
}

async function errorFrom(operation: string, response: Response): Promise<S3RequestError> {
  const text = await response.text();
  const document = parseS3Error(text);
  if (document) {
    // An S3 error document without a message (Ceph RGW sends <Message/>) says only its code.
    return new S3RequestError(
      response.status,
      document.code,
      document.message || `HTTP ${response.status}`,
      operation,
    );
  }
  return new S3RequestError(
    response.status,
    statusCode(response.status),
    text.trim() === "" || text.trimStart().startsWith("<")
      ? `HTTP ${response.status}`
      : text.slice(0, 200),
    operation,
  );
}

/** What a body-less error (a HEAD's) most likely was. */
function statusCode(status: number): string {
  switch (status) {
    case 404:
      return "NotFound";
    case 403:
      return "Forbidden";
    case 412:
      return "PreconditionFailed";
    default:
      return `HTTP${status}`;
  }
}

async function xmlOf(operation: string, response: Response): Promise<XmlElement> {
  const text = await response.text();
  let root: XmlElement;
  try {
    root = readXml(text);
  } catch {
    throw new S3RequestError(
      response.status,
      "InvalidResponse",
      `not XML: ${text.slice(0, 200)}`,
      operation,
    );
  }
  if (root.name === "Error") {
    throw new S3RequestError(
      response.status,
      childText(root, "Code") ?? "InternalError",
      childText(root, "Message") ?? "",
      operation,
    );
  }
  return root;
}

async function drain(response: Response): Promise<void> {
  await response.body?.cancel();
}

async function readAtMost(response: Response, limit: number): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = response.body.getReader();
  while (length < limit) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.length;
  }
  await reader.cancel();
  const bytes = new Uint8Array(Math.min(length, limit));
  let at = 0;
  for (const chunk of chunks) {
    if (at >= bytes.length) break;
    bytes.set(chunk.subarray(0, bytes.length - at), at);
    at += chunk.length;
  }
  return bytes;
}
