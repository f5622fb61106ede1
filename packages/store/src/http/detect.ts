/**
 * Which S3 operation a request is: from its method, whether it names a bucket and a key,
 * and its sub-resource query parameters, as tables. Operations this store does not
 * implement are named, so the client hears "NotImplemented: GetObjectTagging", never a
 * silent 200 or 404.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html
 */
import type { S3Request } from "./s3-request.js";

/** The operations this store implements: the one list the type and the set derive from. */
export const IMPLEMENTED_OPERATIONS = [
  "ListBuckets",
  "CreateBucket",
  "HeadBucket",
  "DeleteBucket",
  "GetBucketLocation",
  "PutBucketCors",
  "GetBucketCors",
  "DeleteBucketCors",
  "ListObjects",
  "ListObjectsV2",
  "DeleteObjects",
  "PutObject",
  "CopyObject",
  "GetObject",
  "HeadObject",
  "DeleteObject",
  "CreateMultipartUpload",
  "UploadPart",
  "UploadPartCopy",
  "CompleteMultipartUpload",
  "AbortMultipartUpload",
  "ListParts",
  "ListMultipartUploads",
] as const;

export type Operation = (typeof IMPLEMENTED_OPERATIONS)[number];

export type Detected =
  | { readonly kind: "operation"; readonly operation: Operation }
  | { readonly kind: "not-implemented"; readonly operation: string }
  | { readonly kind: "method-not-allowed" };

type Level = "service" | "bucket" | "object";

/** Sub-resources by level and method: the operation AWS calls it. */
const SUBRESOURCES: Readonly<
  Record<Level, Readonly<Record<string, Readonly<Record<string, string>>>>>
> = {
  service: {},
  bucket: {
    GET: {
      cors: "GetBucketCors",
      location: "GetBucketLocation",
      uploads: "ListMultipartUploads",
      acl: "GetBucketAcl",
      policy: "GetBucketPolicy",
      lifecycle: "GetBucketLifecycleConfiguration",
      versioning: "GetBucketVersioning",
      versions: "ListObjectVersions",
      tagging: "GetBucketTagging",
      encryption: "GetBucketEncryption",
      website: "GetBucketWebsite",
      logging: "GetBucketLogging",
      notification: "GetBucketNotificationConfiguration",
      replication: "GetBucketReplication",
      "object-lock": "GetObjectLockConfiguration",
      ownershipControls: "GetBucketOwnershipControls",
      publicAccessBlock: "GetPublicAccessBlock",
      requestPayment: "GetBucketRequestPayment",
      accelerate: "GetBucketAccelerateConfiguration",
      analytics: "GetBucketAnalyticsConfiguration",
      inventory: "GetBucketInventoryConfiguration",
      metrics: "GetBucketMetricsConfiguration",
      "intelligent-tiering": "GetBucketIntelligentTieringConfiguration",
      policyStatus: "GetBucketPolicyStatus",
    },
    PUT: {
      cors: "PutBucketCors",
      acl: "PutBucketAcl",
      policy: "PutBucketPolicy",
      lifecycle: "PutBucketLifecycleConfiguration",
      versioning: "PutBucketVersioning",
      tagging: "PutBucketTagging",
      encryption: "PutBucketEncryption",
      website: "PutBucketWebsite",
      logging: "PutBucketLogging",
      notification: "PutBucketNotificationConfiguration",
      replication: "PutBucketReplication",
      "object-lock": "PutObjectLockConfiguration",
      ownershipControls: "PutBucketOwnershipControls",
      publicAccessBlock: "PutPublicAccessBlock",
      requestPayment: "PutBucketRequestPayment",
      accelerate: "PutBucketAccelerateConfiguration",
    },
    DELETE: {
      cors: "DeleteBucketCors",
      policy: "DeleteBucketPolicy",
      lifecycle: "DeleteBucketLifecycle",
      tagging: "DeleteBucketTagging",
      encryption: "DeleteBucketEncryption",
      website: "DeleteBucketWebsite",
      replication: "DeleteBucketReplication",
      ownershipControls: "DeleteBucketOwnershipControls",
      publicAccessBlock: "DeletePublicAccessBlock",
    },
    POST: { delete: "DeleteObjects" },
    HEAD: {},
  },
  object: {
    GET: {
      uploadId: "ListParts",
      acl: "GetObjectAcl",
      tagging: "GetObjectTagging",
      attributes: "GetObjectAttributes",
      retention: "GetObjectRetention",
      "legal-hold": "GetObjectLegalHold",
      torrent: "GetObjectTorrent",
    },
    PUT: {
      uploadId: "UploadPart",
      acl: "PutObjectAcl",
      tagging: "PutObjectTagging",
      retention: "PutObjectRetention",
      "legal-hold": "PutObjectLegalHold",
    },
    DELETE: { uploadId: "AbortMultipartUpload", tagging: "DeleteObjectTagging" },
    POST: {
      uploads: "CreateMultipartUpload",
      uploadId: "CompleteMultipartUpload",
      restore: "RestoreObject",
      select: "SelectObjectContent",
    },
    HEAD: {},
  },
};

/** What each level and method is without a sub-resource. */
const PLAIN: Readonly<Record<Level, Readonly<Record<string, string>>>> = {
  service: { GET: "ListBuckets" },
  bucket: { PUT: "CreateBucket", HEAD: "HeadBucket", DELETE: "DeleteBucket", GET: "ListObjects" },
  object: {
    PUT: "PutObject",
    GET: "GetObject",
    HEAD: "HeadObject",
    DELETE: "DeleteObject",
    POST: "PostObject",
  },
};

const IMPLEMENTED: ReadonlySet<string> = new Set<string>(IMPLEMENTED_OPERATIONS);

function isImplemented(name: string): name is Operation {
  return IMPLEMENTED.has(name);
}

export function detect(request: S3Request): Detected {
  const level: Level =
    request.bucket === undefined ? "service" : request.key === undefined ? "bucket" : "object";
  const method = request.method;
  const subresources = SUBRESOURCES[level][method];
  let name: string | undefined;
  if (subresources) {
    for (const parameter of request.query.keys()) {
      const found = subresources[parameter];
      if (found) {
        name = found;
        break;
      }
    }
  }
  if (name === undefined) name = PLAIN[level][method];
  if (name === undefined) return { kind: "method-not-allowed" };
  if (name === "ListObjects" && request.query.get("list-type") === "2") name = "ListObjectsV2";
  if (name === "PutObject" && request.headers.has("x-amz-copy-source")) name = "CopyObject";
  if (name === "UploadPart" && request.headers.has("x-amz-copy-source")) name = "UploadPartCopy";
  return isImplemented(name)
    ? { kind: "operation", operation: name }
    : { kind: "not-implemented", operation: name };
}
