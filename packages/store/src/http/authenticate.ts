/**
 * Every request but a CORS preflight is authenticated with SigV4. This turns the
 * verifier's typed failures into S3's errors — R2's where they differ, per the flavor:
 *
 * | failure              | AWS S3                                   | R2                      |
 * | -------------------- | ---------------------------------------- | ----------------------- |
 * | unknown access key   | 403 InvalidAccessKeyId                   | 401 Unauthorized        |
 * | expired presigned    | 403 AccessDenied "Request has expired"   | 403 ExpiredRequest      |
 * | no signature at all  | 403 AccessDenied                         | 401 Unauthorized        |
 *
 * A `SignatureDoesNotMatch` carries S3's debugging fields, and a message that names the
 * likely cause in words ("the request's Content-Type is image/png but the URL was signed
 * for image/jpeg").
 */
import {
  explainMismatch,
  type Verified,
  type VerifyFailure,
  type VerifyOptions,
  type VerifyRequest,
  verify,
} from "@sluice/sigv4";
import type { Flavor } from "../flavor.js";
import { S3Error } from "./s3-error.js";
import type { S3Request } from "./s3-request.js";

export interface AuthOptions {
  readonly lookupSecret: (accessKeyId: string) => string | undefined;
  readonly flavor: Flavor;
  readonly now: () => Date;
}

export function authenticate(request: S3Request, options: AuthOptions): Verified {
  const verifyRequest: VerifyRequest = {
    method: request.method,
    path: request.rawPath,
    query: request.rawQuery,
    headers: request.rawHeaders,
  };
  const verifyOptions: VerifyOptions = {
    lookupSecret: options.lookupSecret,
    now: options.now,
    regions: options.flavor.regions,
  };
  const result = verify(verifyRequest, verifyOptions);
  if (result.ok) return result;
  throw toS3Error(
    result.failure,
    options.flavor,
    () => explainMismatch(verifyRequest, verifyOptions)?.message,
  );
}

const iso = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, "Z");

export function toS3Error(
  failure: VerifyFailure,
  flavor: Flavor,
  explain: () => string | undefined,
): S3Error {
  switch (failure.kind) {
    case "missing":
      // R2's error table: 401 Unauthorized, "Missing or invalid authentication credentials"
      // (https://developers.cloudflare.com/r2/api/error-codes/); S3: 403 AccessDenied.
      return flavor.name === "r2"
        ? new S3Error(
            "Unauthorized",
            "Unauthorized: the request is not signed (no Authorization header and no X-Amz-Signature).",
          )
        : new S3Error(
            "AccessDenied",
            "Access Denied: the request is not signed (no Authorization header and no X-Amz-Signature).",
          );
    case "malformed":
      return new S3Error(
        failure.code,
        failure.message,
        failure.fields ?? {},
        failure.code === "AccessDenied" ? 403 : 400,
      );
    case "wrong-region":
      return new S3Error(
        failure.auth === "query"
          ? "AuthorizationQueryParametersError"
          : "AuthorizationHeaderMalformed",
        failure.message,
        { Region: failure.expected },
      );
    case "unknown-key":
      return new S3Error(
        flavor.unknownKey.code,
        flavor.unknownKey.message,
        { AWSAccessKeyId: failure.accessKeyId },
        flavor.unknownKey.status,
      );
    case "unsigned-headers":
      return new S3Error("AccessDenied", failure.message, {
        HeadersNotSigned: failure.headers.join(", "),
      });
    case "signature-mismatch": {
      const cause = explain();
      return new S3Error(
        "SignatureDoesNotMatch",
        `${failure.message}${cause ? ` Likely cause: ${cause}.` : ""}`,
        {
          AWSAccessKeyId: failure.accessKeyId,
          StringToSign: failure.stringToSign,
          SignatureProvided: failure.signatureProvided,
          StringToSignBytes: bytes(failure.stringToSign),
          CanonicalRequest: failure.canonicalRequest,
          CanonicalRequestBytes: bytes(failure.canonicalRequest),
        },
      );
    }
    case "expired":
      return new S3Error(
        flavor.expiredCode,
        failure.message,
        {
          "X-Amz-Expires": failure.expiresIn,
          Expires: iso(failure.expiresAt),
          ServerTime: iso(failure.serverTime),
        },
        403,
      );
    case "not-yet-valid":
      return new S3Error("AccessDenied", failure.message, {
        "X-Amz-Date": failure.signedAt.getTime(),
        ServerTime: iso(failure.serverTime),
      });
    case "clock-skew":
      return new S3Error("RequestTimeTooSkewed", failure.message, {
        RequestTime: iso(failure.requestTime),
        ServerTime: iso(failure.serverTime),
        MaxAllowedSkewMilliseconds: failure.maxSkewMs,
      });
  }
}

/** S3's `...Bytes` fields: each byte as two hex digits, separated by spaces. */
function bytes(text: string): string {
  return Array.from(Buffer.from(text, "utf8"), (byte) => byte.toString(16).padStart(2, "0")).join(
    " ",
  );
}
