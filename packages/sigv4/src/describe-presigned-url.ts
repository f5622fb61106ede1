/**
 * A presigned URL, read back in words: what it binds (method aside, which only the
 * signature knows), until when, and the traps it carries. Given the request a client
 * made with it, also what differs. No secret is needed for most of it; with the secret,
 * the signature itself is checked and a mismatch explained.
 */
import { parseQuery } from "./canonical-request.js";
import { explainMismatch } from "./explain-mismatch.js";
import { splitUrl } from "./object-url.js";
import { parseAmzDate } from "./time.js";
import { percentDecode } from "./uri-encode.js";
import { type VerifyOptions, verify } from "./verify.js";

/** The CRC32 of zero bytes: what `@aws-sdk/s3-request-presigner` puts in PUT URLs by default. */
export const EMPTY_BODY_CRC32 = "AAAAAA==";

export interface PresignedUrlDescription {
  readonly host: string;
  /** The path, decoded (bucket and key, or the key alone for virtual-hosted URLs). */
  readonly path: string;
  readonly accessKeyId: string | undefined;
  readonly region: string | undefined;
  readonly signedAt: Date | undefined;
  readonly expiresIn: number | undefined;
  readonly expiresAt: Date | undefined;
  readonly signedHeaders: readonly string[];
  /** Query parameters other than the X-Amz-* auth ones: all signed, all bound. */
  readonly boundParameters: Readonly<Record<string, string>>;
  /** Most important first: the signature's verdict, expiry, traps, differences. */
  readonly findings: readonly UrlFinding[];
}

export type UrlFindingKind =
  /** The URL carries no X-Amz-Signature. */
  | "not-presigned"
  /** `x-amz-checksum-crc32=AAAAAA==`: every non-empty body fails where checksums are checked. */
  | "empty-body-checksum"
  | "content-type-unbound"
  | "size-unbound"
  | "expired"
  /** Signed at a time ahead of now: the signing machine's clock. */
  | "dated-in-future"
  /** The signature covers a header the request did not send. */
  | "signed-header-not-sent"
  /** The request sends an x-amz-* header the URL does not sign. */
  | "unsigned-amz-header"
  | "signature-verified"
  /** The signature fails, and the message names the difference that breaks it. */
  | "signature-mismatch"
  /** The signature fails, and no single difference in the request explains it. */
  | "signature-unexplained"
  /** The verifier refused the request for another reason (its message says which). */
  | "refused";

export interface UrlFinding {
  readonly kind: UrlFindingKind;
  /** `problem`: the request fails (or would); `warning`: it succeeds, but binds less than it seems. */
  readonly level: "problem" | "warning" | "ok";
  readonly message: string;
}

export interface ClientRequest {
  readonly method: string;
  /** Lower-case names; `host` is taken from the URL when absent. */
  readonly headers: Readonly<Record<string, string>>;
}

export function describePresignedUrl(
  url: string,
  options: {
    request?: ClientRequest;
    now?: Date;
    lookupSecret?: VerifyOptions["lookupSecret"];
    /** Regions the store accepts (R2: auto, us-east-1); any when omitted. */
    regions?: readonly string[];
  } = {},
): PresignedUrlDescription {
  const parts = splitUrl(url);
  const query = parseQuery(parts.query);
  const param = (name: string) => query.find((p) => p.name === name)?.value;
  const credential = param("X-Amz-Credential")?.split("/") ?? [];
  const signedAt = parseAmzDate(param("X-Amz-Date") ?? "");
  const expiresText = param("X-Amz-Expires");
  const expiresIn =
    expiresText !== undefined && /^\d+$/.test(expiresText) ? Number(expiresText) : undefined;
  const expiresAt =
    signedAt && expiresIn !== undefined
      ? new Date(signedAt.getTime() + expiresIn * 1000)
      : undefined;
  const signedHeaders = (param("X-Amz-SignedHeaders") ?? "").split(";").filter((h) => h !== "");
  const bound: Record<string, string> = {};
  for (const p of query) if (!p.name.startsWith("X-Amz-")) bound[p.name] = p.value;

  const findings: UrlFinding[] = [];
  const problem = (kind: UrlFindingKind, message: string) =>
    findings.push({ kind, level: "problem", message });
  if (param("X-Amz-Signature") === undefined)
    problem("not-presigned", "this is not a presigned URL: it has no X-Amz-Signature");
  if (bound["x-amz-checksum-crc32"] === EMPTY_BODY_CRC32) {
    problem(
      "empty-body-checksum",
      `the URL binds x-amz-checksum-crc32=${EMPTY_BODY_CRC32}, the CRC32 of an EMPTY body, which @aws-sdk/s3-request-presigner adds to PUT URLs by default; R2 (and Sluice's store) check it against the real body, so any non-empty upload fails with BadDigest — create the S3Client with requestChecksumCalculation: "WHEN_REQUIRED", or presign with Sluice`,
    );
  }
  if (!signedHeaders.includes("content-type")) {
    findings.push({
      kind: "content-type-unbound",
      level: "warning",
      message:
        "the Content-Type is not bound: the signature covers only " +
        (signedHeaders.join(", ") || "nothing") +
        ", so a client may upload any type with this URL (the AWS SDK presigner signs only host unless given signableHeaders)",
    });
  }
  if (!signedHeaders.includes("content-length")) {
    findings.push({
      kind: "size-unbound",
      level: "warning",
      message:
        "the size is not bound: a client may upload any number of bytes with this URL, up to the store's limit",
    });
  }

  const now = options.now ?? new Date();
  const expired = expiresAt !== undefined && now.getTime() > expiresAt.getTime();
  if (expired) {
    findings.unshift({
      kind: "expired",
      level: "problem",
      message: `the URL expired at ${expiresAt.toISOString()} (signed ${signedAt?.toISOString()}, valid ${expiresIn} s); it is now ${now.toISOString()}`,
    });
  } else if (signedAt && signedAt.getTime() > now.getTime() + 15 * 60_000) {
    findings.unshift({
      kind: "dated-in-future",
      level: "problem",
      message: `the URL is dated ${signedAt.toISOString()}, in the future: the signing machine's clock is ahead`,
    });
  }

  const request = options.request;
  if (request) {
    const headers: Record<string, string> = { host: parts.host, ...request.headers };
    for (const name of signedHeaders) {
      if (headers[name] === undefined)
        problem(
          "signed-header-not-sent",
          `the signature covers ${name}, but the request does not send it`,
        );
    }
    const unsigned = Object.keys(headers).filter(
      (name) => name.startsWith("x-amz-") && !signedHeaders.includes(name),
    );
    for (const name of unsigned) {
      problem(
        "unsigned-amz-header",
        `the request sends ${name}, which the URL does not sign: S3 refuses unsigned x-amz-* headers (AccessDenied, HeadersNotSigned)`,
      );
    }
    if (options.lookupSecret) {
      const verifyRequest = {
        method: request.method,
        path: parts.path,
        query: parts.query,
        headers,
      };
      const verifyOptions: VerifyOptions = {
        lookupSecret: options.lookupSecret,
        now: () => now,
        ...(options.regions ? { regions: options.regions } : {}),
      };
      const result = verify(verifyRequest, verifyOptions);
      if (result.ok) {
        findings.unshift({
          kind: "signature-verified",
          level: "ok",
          message: "the signature verifies for this request",
        });
      } else if (result.failure.kind === "signature-mismatch") {
        const explained = explainMismatch(verifyRequest, verifyOptions);
        findings.unshift({
          kind: explained?.cause === "unexplained" ? "signature-unexplained" : "signature-mismatch",
          level: "problem",
          message: `the signature does not match: ${explained?.message ?? result.failure.message}`,
        });
      } else if (
        // Already said, in more words, above.
        !(result.failure.kind === "expired" && expired) &&
        !(result.failure.kind === "unsigned-headers" && unsigned.length > 0)
      ) {
        findings.unshift({
          kind: "refused",
          level: "problem",
          message: `${result.failure.kind}: ${result.failure.message}`,
        });
      }
    }
  }

  return {
    host: parts.host,
    path: new TextDecoder().decode(percentDecode(parts.path, false)),
    accessKeyId: credential[0],
    region: credential[2],
    signedAt,
    expiresIn,
    expiresAt,
    signedHeaders,
    boundParameters: bound,
    findings,
  };
}
