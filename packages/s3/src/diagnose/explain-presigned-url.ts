/**
 * What a presigned URL binds and why a request made with it fails, in words: the signed
 * headers and bound parameters, the expiry, the traps (an unbound Content-Type or size,
 * the AWS SDK's empty-body CRC32); given the request a client sent, what differs; with
 * the secret it was signed with, which difference breaks the signature. Pure: nothing is
 * sent anywhere. `sluice explain URL` prints it; an app can show the same findings.
 */
import {
  describePresignedUrl,
  EMPTY_BODY_CRC32,
  type PresignedUrlDescription,
  splitUrl,
  verify,
} from "@sluice/sigv4";
import type { DiagnosisFinding, RequestSent, SigningCredentials } from "./finding.js";

export interface ExplainPresignedUrlOptions {
  /** The request a client made with the URL; without it, the URL alone is read. */
  readonly request?: RequestSent | undefined;
  /** The key the URL was signed with, to check the signature here. */
  readonly credentials?: SigningCredentials | undefined;
  /** The region the endpoint expects; by default read from the URL's host. */
  readonly region?: string | undefined;
  readonly now?: Date;
}

export interface PresignedUrlExplanation {
  /** What the URL binds, line by line, for people. */
  readonly summary: readonly string[];
  readonly findings: readonly DiagnosisFinding[];
  readonly description: PresignedUrlDescription;
}

const METHODS = ["PUT", "GET", "HEAD", "POST", "DELETE"];

/** Throws `TypeError` when `url` is not an absolute http(s) URL. */
export function explainPresignedUrl(
  url: string,
  options: ExplainPresignedUrlOptions = {},
): PresignedUrlExplanation {
  const { text, findings, description } = explainUrl(
    url,
    options.request,
    options.credentials,
    options.region,
    options.now ?? new Date(),
  );
  return { summary: text, findings, description };
}

function explainUrl(
  url: string,
  request: RequestSent | undefined,
  credentials: SigningCredentials | undefined,
  regionFlag: string | undefined,
  now: Date,
): { text: string[]; findings: DiagnosisFinding[]; description: PresignedUrlDescription } {
  const findings: DiagnosisFinding[] = [];
  const first = describePresignedUrl(url, { now });
  const keyMatches =
    credentials !== undefined && credentials.credentials.accessKeyId === first.accessKeyId;
  const secret = keyMatches ? credentials?.credentials.secretAccessKey : undefined;
  const lookupSecret = (id: string) => (id === first.accessKeyId ? secret : undefined);
  const description =
    request !== undefined
      ? describePresignedUrl(url, {
          now,
          request,
          ...(secret !== undefined ? { lookupSecret } : {}),
        })
      : first;

  const lines = [`The URL: ${description.host}, path ${description.path}`];
  if (description.accessKeyId !== undefined) {
    lines.push(
      `  signed with key ${description.accessKeyId} for region ${description.region ?? "?"}` +
        (description.signedAt ? ` at ${description.signedAt.toISOString()}` : ""),
    );
  }
  if (description.expiresAt) {
    const left = Math.round((description.expiresAt.getTime() - now.getTime()) / 1000);
    lines.push(
      `  valid ${description.expiresIn} s, until ${description.expiresAt.toISOString()} (${left >= 0 ? `${left} s left` : `expired ${-left} s ago`})`,
    );
  }
  if (description.signedHeaders.length > 0) {
    lines.push(
      `  binds the headers: ${description.signedHeaders.join(", ")} (a client must send each, with the value signed)`,
    );
  }
  const bound = Object.entries(description.boundParameters);
  if (bound.length > 0) {
    lines.push(`  binds the parameters: ${bound.map(([n, v]) => `${n}=${v}`).join(", ")}`);
  }
  if (request !== undefined) {
    const sent = Object.entries(request.headers);
    lines.push(
      `The request: ${request.method}${sent.length > 0 ? ` with ${sent.map(([n, v]) => `${n}: ${v}`).join(", ")}` : ", no headers"}`,
    );
  }

  // Region first: the store refuses a wrong one before it looks at the signature.
  const expected = regionFlag !== undefined ? [regionFlag] : regionsOfHost(description.host);
  if (
    expected !== undefined &&
    description.region !== undefined &&
    !expected.includes(description.region)
  ) {
    findings.push({
      level: "problem",
      message: `the URL is signed for region ${description.region}, but ${description.host} expects ${expected[0]}: it is refused (AuthorizationQueryParametersError) before the signature is even checked; presign with region ${expected[0]}`,
    });
  }

  for (const finding of description.findings) {
    findings.push({
      level: finding.level,
      message:
        finding.kind === "signature-unexplained"
          ? unexplainedMismatch(description, request)
          : finding.message,
    });
  }

  if (
    description.boundParameters["x-amz-checksum-crc32"] === EMPTY_BODY_CRC32 &&
    request?.headers["content-length"] === "0"
  ) {
    findings.push({
      level: "info",
      message: "(this request's body is empty, so the CRC32 happens to match)",
    });
  }

  if (request === undefined && description.accessKeyId !== undefined) {
    if (secret === undefined) {
      findings.push({
        level: "info",
        message:
          credentials === undefined
            ? "the signature itself is not checked: set the credentials it was signed with (SLUICE_ or AWS_ACCESS_KEY_ID and _SECRET_ACCESS_KEY)"
            : `the signature itself is not checked: the URL is signed with key ${description.accessKeyId}, and ${credentials.source} is ${credentials.credentials.accessKeyId}`,
      });
    } else {
      findings.push(checkUrlAlone(url, description, lookupSecret));
    }
  } else if (
    request !== undefined &&
    secret === undefined &&
    description.accessKeyId !== undefined
  ) {
    findings.push({
      level: "info",
      message:
        credentials === undefined
          ? "the signature itself is not checked: set the credentials it was signed with to name the difference"
          : `the signature itself is not checked: the URL is signed with key ${description.accessKeyId}, and ${credentials.source} is ${credentials.credentials.accessKeyId}`,
    });
  }
  return { text: lines, findings, description };
}

/**
 * With no request given, the signature can still be checked when it binds only `host`:
 * a URL that verifies for no method was changed after signing.
 */
function checkUrlAlone(
  url: string,
  description: PresignedUrlDescription,
  lookupSecret: (id: string) => string | undefined,
): DiagnosisFinding {
  if (description.signedHeaders.some((h) => h !== "host")) {
    return {
      level: "info",
      message: `the signature binds ${description.signedHeaders.filter((h) => h !== "host").join(", ")}: give the headers the client sent (--header "Name: value") to check it`,
    };
  }
  const parts = splitUrl(url);
  // At the signing time, so that an expired URL still shows whether its signature holds.
  const at = description.signedAt ?? new Date();
  for (const method of METHODS) {
    const result = verify(
      { method, path: parts.path, query: parts.query, headers: { host: parts.host } },
      { lookupSecret, now: () => at },
    );
    if (result.ok) {
      return { level: "ok", message: `the signature is valid for a ${method} of this URL` };
    }
  }
  return {
    level: "problem",
    message: `the signature matches this URL for no method: the URL was changed after it was signed — its key (path ${description.path}), host or a query parameter — or it was signed with another secret key`,
  };
}

/**
 * A mismatch no single change to the request explains: the size, when it is signed and
 * sent (its signed value is not in the URL, so it cannot be tried), else the URL itself.
 */
function unexplainedMismatch(
  description: PresignedUrlDescription,
  request: RequestSent | undefined,
): string {
  const changed = `the URL was changed after it was signed — its key (path ${description.path}), its host (${description.host}) or a query parameter — or it was signed with another secret key`;
  const length = request?.headers["content-length"];
  if (description.signedHeaders.includes("content-length") && length !== undefined) {
    return `the signature does not match, and no other single difference explains it: most likely the size — the URL binds Content-Length, and the request sent ${length} bytes, so a file of another size needs a new URL. If the size is right, ${changed}`;
  }
  return `the signature does not match, and no difference in the request explains it: ${changed}`;
}

/** What a host's service expects in the credential scope, when the host says. */
function regionsOfHost(host: string): string[] | undefined {
  const name = host.replace(/:\d+$/, "");
  // Sluice's store: auto (its r2 flavor) or us-east-1 (both flavors); so MinIO's default.
  if (name === "localhost" || name === "127.0.0.1" || name === "[::1]")
    return ["auto", "us-east-1"];
  if (/\.r2\.cloudflarestorage\.com$/.test(name)) return ["auto", "us-east-1"];
  const aws = /(?:^|\.)s3(?:[.-](?:dualstack\.)?([a-z]{2}(?:-[a-z]+)+-\d+))?\.amazonaws\.com$/.exec(
    name,
  );
  if (aws) return [aws[1] ?? "us-east-1"];
  return undefined;
}
