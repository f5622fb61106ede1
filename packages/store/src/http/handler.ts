/**
 * The store as a Web `Request → Response` function. One request reads top to bottom:
 * parse → bucket → preflight (never authenticated) or authenticate → detect the
 * operation → run it; any refusal is an `S3Error`, rendered once, here, as S3's XML,
 * and the bucket's CORS headers are added to every actual response, errors included.
 */
import type { CompiledCors, CorsHeader } from "@sluice/cors";
import type { Flavor } from "../flavor.js";
import type { ObjectStorage } from "../storage/object-storage.js";
import { authenticate } from "./authenticate.js";
import { actualCorsHeaders, CorsCache, preflight } from "./bucket-cors.js";
import { refuseMalformedChecksums } from "./checksum-syntax.js";
import { detect, type Operation } from "./detect.js";
import type { OperationContext, OperationHandler } from "./operation.js";
import { AbortMultipartUpload } from "./operations/abort-multipart-upload.js";
import { DeleteBucketCors, GetBucketCors, PutBucketCors } from "./operations/bucket-cors.js";
import {
  CreateBucket,
  DeleteBucket,
  GetBucketLocation,
  HeadBucket,
  ListBuckets,
} from "./operations/buckets.js";
import { CompleteMultipartUpload } from "./operations/complete-multipart-upload.js";
import { CopyObject } from "./operations/copy-object.js";
import { CreateMultipartUpload } from "./operations/create-multipart-upload.js";
import { DeleteObject } from "./operations/delete-object.js";
import { DeleteObjects } from "./operations/delete-objects.js";
import { GetObject, HeadObject } from "./operations/get-object.js";
import { ListMultipartUploads } from "./operations/list-multipart-uploads.js";
import { ListObjects, ListObjectsV2 } from "./operations/list-objects.js";
import { ListParts } from "./operations/list-parts.js";
import { PutObject } from "./operations/put-object.js";
import { UploadPart } from "./operations/upload-part.js";
import { UploadPartCopy } from "./operations/upload-part-copy.js";
import { errorXml, notImplemented, S3Error } from "./s3-error.js";
import {
  type Addressing,
  parseS3Request,
  type RequestContext,
  type S3Request,
} from "./s3-request.js";
import { refuseUnsupportedHeaders } from "./unsupported-headers.js";

const OPERATIONS: Readonly<Record<Operation, OperationHandler>> = {
  ListBuckets,
  CreateBucket,
  HeadBucket,
  DeleteBucket,
  GetBucketLocation,
  PutBucketCors,
  GetBucketCors,
  DeleteBucketCors,
  ListObjects,
  ListObjectsV2,
  DeleteObjects,
  PutObject,
  CopyObject,
  GetObject,
  HeadObject,
  DeleteObject,
  CreateMultipartUpload,
  UploadPart,
  UploadPartCopy,
  CompleteMultipartUpload,
  AbortMultipartUpload,
  ListParts,
  ListMultipartUploads,
};

export interface HandlerOptions extends Partial<Addressing> {
  readonly storage: ObjectStorage;
  readonly flavor: Flavor;
  readonly lookupSecret: (accessKeyId: string) => string | undefined;
  readonly now?: () => Date;
  /** Called with errors that are not S3's (bugs, disk failures); they answer 500. */
  readonly onInternalError?: (error: unknown) => void;
}

export type Handler = (request: Request, context?: RequestContext) => Promise<Response>;

/** What the response was, for the request log. */
export interface Outcome {
  readonly operation: string | undefined;
  readonly errorCode: string | undefined;
}

const outcomes = new WeakMap<Response, Outcome>();

export function outcomeOf(response: Response): Outcome | undefined {
  return outcomes.get(response);
}

export function createHandler(options: HandlerOptions): Handler {
  const now = options.now ?? (() => new Date());
  const addressing: Addressing = {
    virtualHostSuffixes: options.virtualHostSuffixes ?? ["localhost"],
  };
  const corsCache = new CorsCache();

  return async (request, context = {}) => {
    let s3: S3Request | undefined;
    let cors: CompiledCors | undefined;
    let operation: string | undefined;
    let response: Response;
    try {
      s3 = parseS3Request(request, context, addressing);
      const bucket = s3.bucket === undefined ? undefined : options.storage.getBucket(s3.bucket);
      cors = corsCache.get(bucket);
      if (s3.method === "OPTIONS") {
        operation = "Preflight";
        response = finish(new Response(null, { status: 200 }), preflight(s3, bucket, cors));
      } else {
        const verified = authenticate(s3, {
          lookupSecret: options.lookupSecret,
          flavor: options.flavor,
          now,
        });
        const detected = detect(s3);
        if (detected.kind === "method-not-allowed") {
          throw new S3Error(
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
            {
              Method: s3.method,
              ResourceType: s3.key === undefined ? "BUCKET" : "OBJECT",
            },
          );
        }
        operation = detected.operation;
        if (detected.kind === "not-implemented") {
          throw notImplemented(detected.operation);
        }
        refuseUnsupportedHeaders(s3, detected.operation, options.flavor);
        refuseMalformedChecksums(s3, options.flavor);
        const operationContext: OperationContext = {
          request: s3,
          verified,
          storage: options.storage,
          flavor: options.flavor,
          now,
        };
        response = await OPERATIONS[detected.operation](operationContext);
      }
    } catch (error) {
      response = renderError(error, s3, request.method, options.onInternalError);
    }
    if (s3 !== undefined && s3.method !== "OPTIONS") finish(response, actualCorsHeaders(s3, cors));
    response.headers.set("x-amz-request-id", s3?.id ?? "0");
    response.headers.set("x-amz-id-2", s3?.id ?? "0");
    response.headers.set("server", "Sluice");
    outcomes.set(response, {
      operation,
      errorCode: response.status >= 300 ? errorCodes.get(response) : undefined,
    });
    return response;
  };
}

const errorCodes = new WeakMap<Response, string>();

function finish(response: Response, headers: readonly CorsHeader[]): Response {
  for (const [name, value] of headers) response.headers.set(name, value);
  return response;
}

function renderError(
  error: unknown,
  request: S3Request | undefined,
  method: string,
  onInternalError: ((error: unknown) => void) | undefined,
): Response {
  let s3Error: S3Error;
  if (error instanceof S3Error) {
    s3Error = error;
  } else {
    onInternalError?.(error);
    s3Error = new S3Error("InternalError", "We encountered an internal error. Please try again.");
  }
  const requestId = request?.id ?? "0";
  // A HEAD response has no body: the status says it all. A 304 has none either.
  const body = method === "HEAD" || s3Error.status === 304 ? null : errorXml(s3Error, requestId);
  const response = new Response(body, {
    status: s3Error.status,
    headers: body === null ? {} : { "content-type": "application/xml" },
  });
  errorCodes.set(response, s3Error.code);
  return response;
}
