/**
 * CORS, as S3 answers it, from the bucket's own rules (never a blanket `*`):
 * - a preflight (`OPTIONS`) is never authenticated, a presigned query on it is ignored,
 *   and it is answered 200 with the matching rule's headers or refused with S3's 403;
 * - an actual request from a matching origin gets Allow-Origin, Expose-Headers and the
 *   rest on its response — error responses included, so a page can read a 403
 *   `SignatureDoesNotMatch` instead of a blank "network error".
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html
 */
import {
  type CompiledCors,
  type CorsHeader,
  compileCors,
  evaluateActual,
  evaluatePreflight,
  parseCorsXml,
} from "@sluice/cors";
import type { BucketRecord } from "../storage/object-storage.js";
import { S3Error } from "./s3-error.js";
import type { S3Request } from "./s3-request.js";

/** Compiled configurations by bucket, recompiled when the stored text changes. */
export class CorsCache {
  readonly #compiled = new Map<string, { text: string; compiled: CompiledCors }>();

  get(bucket: BucketRecord | undefined): CompiledCors | undefined {
    if (!bucket || bucket.cors === undefined) return undefined;
    const cached = this.#compiled.get(bucket.name);
    if (cached && cached.text === bucket.cors) return cached.compiled;
    const compiled = compileCors(parseCorsXml(bucket.cors));
    this.#compiled.set(bucket.name, { text: bucket.cors, compiled });
    return compiled;
  }
}

/** Answers a preflight: the headers of a 200, or S3's refusal. */
export function preflight(
  request: S3Request,
  bucket: BucketRecord | undefined,
  cors: CompiledCors | undefined,
): CorsHeader[] {
  const origin = request.headers.get("origin") ?? undefined;
  const method = request.headers.get("access-control-request-method") ?? undefined;
  if (!origin) {
    throw new S3Error("BadRequest", "Insufficient information. Origin request header needed.");
  }
  if (!bucket) {
    throw new S3Error("AccessForbidden", "CORSResponse: Bucket not found", {
      Method: method ?? "OPTIONS",
      ResourceType: "BUCKET",
    });
  }
  const result = evaluatePreflight(cors, {
    origin,
    accessControlRequestMethod: method,
    accessControlRequestHeaders: request.headers.get("access-control-request-headers") ?? undefined,
    resource: request.key === undefined ? "BUCKET" : "OBJECT",
  });
  if (result.allowed) return result.headers;
  if (result.status === 400) throw new S3Error(result.code, result.message);
  throw new S3Error(result.code, result.message, {
    Method: result.method,
    ResourceType: result.resourceType,
  });
}

/** The CORS headers an actual request's response carries, if a rule matches it. */
export function actualCorsHeaders(
  request: S3Request,
  cors: CompiledCors | undefined,
): readonly CorsHeader[] {
  const origin = request.headers.get("origin");
  if (!origin || !cors) return [];
  const result = evaluateActual(cors, {
    origin,
    method: request.method,
    accessControlRequestMethod: request.headers.get("access-control-request-method") ?? undefined,
    accessControlRequestHeaders: request.headers.get("access-control-request-headers") ?? undefined,
  });
  return result.matched ? result.headers : [];
}
