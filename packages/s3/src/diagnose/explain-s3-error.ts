/**
 * S3's `<Error>` answer explained: for `SignatureDoesNotMatch`, what the server signed
 * (its canonical request: method, path, query, each signed header with the value it
 * used), whether a secret gives the signature the request carried, and, with the URL,
 * what differs from it; for other codes, the cause and fix from `@sluice/s3`'s table
 * with what the answer's fields add (when a URL expired, which region was expected…).
 * Pure. `sluice explain --error` prints it; an app can show the same findings.
 */
import {
  type CanonicalRequestView,
  canonicalQueryString,
  canonicalUri,
  parseCanonicalRequest,
  parseQuery,
  parseStringToSign,
  signatureOf,
  splitUrl,
} from "@sluice/sigv4";
import type { S3ErrorDocument } from "../wire/error-document.js";
import { helpForS3Error, type S3ErrorHelp } from "../wire/error-help.js";
import type { DiagnosisFinding, RequestSent, SigningCredentials } from "./finding.js";

export interface ExplainS3ErrorOptions {
  /** The credentials the client signed with, to check whether the secret is the cause. */
  readonly credentials?: SigningCredentials | undefined;
  /** The presigned URL the refused request used. */
  readonly url?: string | undefined;
}

export interface S3ErrorExplanation {
  /** The answer and what the server saw, line by line, for people. */
  readonly summary: readonly string[];
  readonly findings: readonly DiagnosisFinding[];
  /** The server's canonical request, when the answer carries one (S3 and our store do; R2 does not). */
  readonly serverSaw: CanonicalRequestView | undefined;
  /** The request as the server saw it (method and signed headers but host), to explain a URL with. */
  readonly requestSeen: RequestSent | undefined;
}

export function explainS3Error(
  document: S3ErrorDocument,
  options: ExplainS3ErrorOptions = {},
): S3ErrorExplanation {
  const serverSaw =
    document.fields.CanonicalRequest !== undefined
      ? parseCanonicalRequest(document.fields.CanonicalRequest)
      : undefined;
  const { text, findings } = explainError(document, serverSaw, options.credentials, options.url);
  const requestSeen = serverSaw && {
    method: serverSaw.method,
    headers: Object.fromEntries(serverSaw.headers.filter(([name]) => name !== "host")),
  };
  return { summary: text, findings, serverSaw, requestSeen };
}

/** `cause: fix`, or the fallback when the table does not know the code. */
function helped(help: S3ErrorHelp | undefined, fallback: string): string {
  return help ? `${help.cause}: ${help.fix}` : fallback;
}

function explainError(
  document: S3ErrorDocument,
  view: CanonicalRequestView | undefined,
  credentials: SigningCredentials | undefined,
  url: string | undefined,
): { text: string[]; findings: DiagnosisFinding[] } {
  const { code, message, fields } = document;
  const lines = [`The answer: ${code}${message ? `: ${message}` : ""}`];
  const findings: DiagnosisFinding[] = [];
  const help = helpForS3Error(code);
  switch (code) {
    case "SignatureDoesNotMatch": {
      if (view === undefined) {
        findings.push({
          level: "problem",
          message:
            "the signature does not match, and the answer carries no CanonicalRequest to compare (R2 leaves it out): run sluice explain with the URL and the headers the client sent",
        });
        break;
      }
      lines.push(...describeCanonicalRequestView(view));
      const scope = fields.StringToSign ? parseStringToSign(fields.StringToSign) : undefined;
      if (scope) {
        lines.push(
          `  signed at ${scope.amzDate}, for region ${scope.region}, service ${scope.service}`,
        );
      }
      findings.push(...compareSecret(fields, scope, credentials));
      if (url !== undefined) findings.push(...compareWithUrl(view, scope, url));
      break;
    }
    case "AuthorizationQueryParametersError":
    case "AuthorizationHeaderMalformed": {
      const wrong = /region '([^']*)' is wrong; expecting '([^']*)'/.exec(message);
      const expected = fields.Region ?? wrong?.[2];
      findings.push({
        level: "problem",
        message:
          expected !== undefined
            ? `the request was signed for region ${wrong?.[1] ?? "another region"}, and the endpoint expects ${expected}: sign with region ${expected} (R2: auto)`
            : `the signature's parameters are malformed: ${message}`,
      });
      break;
    }
    case "ExpiredRequest":
    case "AccessDenied": {
      if (code === "ExpiredRequest" || /expired/i.test(message)) {
        findings.push({
          level: "problem",
          message: `the URL expired${fields.Expires ? ` at ${fields.Expires}` : ""}${fields.ServerTime ? `; the server's time was ${fields.ServerTime}` : ""}${fields["X-Amz-Expires"] ? ` (it was valid ${fields["X-Amz-Expires"]} s)` : ""}: ${helpForS3Error("ExpiredRequest")?.fix}`,
        });
      } else if (fields.HeadersNotSigned !== undefined) {
        findings.push({
          level: "problem",
          message: `the request sent ${fields.HeadersNotSigned}, which the signature does not cover: S3 refuses unsigned x-amz-* headers; sign them (presign with them) or do not send them`,
        });
      } else if (/not yet valid/i.test(message)) {
        findings.push({
          level: "problem",
          message: `the URL is dated in the future${fields.ServerTime ? ` (the server's time is ${fields.ServerTime})` : ""}: the signing machine's clock is ahead`,
        });
      } else {
        findings.push({ level: "problem", message: `access denied: ${message}` });
      }
      break;
    }
    case "RequestTimeTooSkewed":
      findings.push({
        level: "problem",
        message: `the client's clock (${fields.RequestTime ?? "?"}) and the server's (${fields.ServerTime ?? "?"}) differ by more than 15 minutes: ${help?.fix}`,
      });
      break;
    case "InvalidAccessKeyId":
    case "Unauthorized":
      findings.push({
        level: "problem",
        message: `${help?.cause}${fields.AWSAccessKeyId ? ` ${fields.AWSAccessKeyId}` : ""}: ${help?.fix}`,
      });
      break;
    case "BadDigest":
      findings.push({
        level: "problem",
        message: `${help?.cause}: ${message || help?.fix}`,
      });
      break;
    case "AccessForbidden":
      findings.push({
        level: "problem",
        message: `${help?.cause} (${fields.Method ?? "?"} on ${fields.ResourceType ?? "?"}): ${help?.fix}`,
      });
      break;
    default:
      findings.push({
        level: "problem",
        message: `${code}${message ? `: ${message}` : ""}${help ? `; ${helped(help, "")}` : ""}`,
      });
  }
  return { text: lines, findings };
}

function describeCanonicalRequestView(view: CanonicalRequestView): string[] {
  const lines = [
    "What the server signed (its canonical request):",
    `  method:  ${view.method}`,
    `  path:    ${view.canonicalUri}${view.path !== view.canonicalUri ? `  (decoded: ${view.path})` : ""}`,
  ];
  const query = view.query.filter((p) => p.name !== "X-Amz-Signature");
  if (query.length > 0) {
    lines.push("  query:");
    for (const p of query) lines.push(`    ${p.name} = ${p.value}`);
  }
  lines.push("  signed headers, with the values the server used:");
  for (const [name, value] of view.headers) lines.push(`    ${name}: ${value}`);
  lines.push(`  payload: ${view.payloadHash}`);
  return lines;
}

/** With the secret: did the client sign this very request (then the server's secret differs)? */
function compareSecret(
  fields: Readonly<Record<string, string>>,
  scope: ReturnType<typeof parseStringToSign>,
  credentials: SigningCredentials | undefined,
): DiagnosisFinding[] {
  const provided = fields.SignatureProvided;
  const toSign = fields.StringToSign;
  const mismatch = "the signature the request carried is not the one the server computed";
  if (!scope || provided === undefined || toSign === undefined) {
    return [{ level: "problem", message: mismatch }];
  }
  if (credentials === undefined) {
    return [
      {
        level: "problem",
        message: `${mismatch}; set the credentials the client signed with, and this checks whether the secret is the cause`,
      },
    ];
  }
  if (
    fields.AWSAccessKeyId !== undefined &&
    fields.AWSAccessKeyId !== credentials.credentials.accessKeyId
  ) {
    return [
      {
        level: "problem",
        message: `${mismatch}; it was signed with key ${fields.AWSAccessKeyId}, and ${credentials.source} is ${credentials.credentials.accessKeyId}, so the secret cannot be checked here`,
      },
    ];
  }
  const mine = signatureOf(credentials.credentials.secretAccessKey, scope, toSign);
  if (mine === provided.toLowerCase()) {
    return [
      {
        level: "problem",
        message: `your secret gives exactly the signature the request carried for what the server saw: the client signed this very request, so the server holds another secret for ${credentials.credentials.accessKeyId}`,
      },
    ];
  }
  return [
    {
      level: "problem",
      message:
        "the client signed something other than what the server received (or with another secret): compare the canonical request above with what the client meant to send",
    },
  ];
}

/** The server's view against the URL: path, query, signed headers and scope. */
function compareWithUrl(
  view: CanonicalRequestView,
  scope: ReturnType<typeof parseStringToSign>,
  url: string,
): DiagnosisFinding[] {
  const findings: DiagnosisFinding[] = [];
  const parts = splitUrl(url);
  const urlPath = canonicalUri(parts.path);
  if (urlPath !== view.canonicalUri) {
    findings.push({
      level: "problem",
      message: `the server saw the path ${view.canonicalUri}, and the URL has ${urlPath}: something between the client and the server changed the key's encoding (or the client used another URL)`,
    });
  }
  const urlQuery = parseQuery(parts.query).filter((p) => p.name !== "X-Amz-Signature");
  if (canonicalQueryString(urlQuery) !== view.canonicalQuery) {
    const seen = new Map(view.query.map((p) => [p.name, p.value]));
    const inUrl = new Map(urlQuery.map((p) => [p.name, p.value]));
    const differences: string[] = [];
    for (const [name, value] of inUrl) {
      if (!seen.has(name)) differences.push(`${name} is in the URL but did not reach the server`);
      else if (seen.get(name) !== value) {
        differences.push(`${name} is ${value} in the URL and ${seen.get(name)} at the server`);
      }
    }
    for (const name of seen.keys()) {
      if (!inUrl.has(name)) differences.push(`${name} reached the server but is not in the URL`);
    }
    if (differences.length > 0) {
      findings.push({ level: "problem", message: `the query differs: ${differences.join("; ")}` });
    }
  }
  const urlSigned = (
    parseQuery(parts.query).find((p) => p.name === "X-Amz-SignedHeaders")?.value ?? ""
  )
    .split(";")
    .filter((h) => h !== "");
  if (urlSigned.length > 0 && urlSigned.join(";") !== view.signedHeaders.join(";")) {
    findings.push({
      level: "problem",
      message: `the URL signs ${urlSigned.join(", ")}, and the server checked ${view.signedHeaders.join(", ")}`,
    });
  }
  const credential = parseQuery(parts.query).find((p) => p.name === "X-Amz-Credential")?.value;
  const urlRegion = credential?.split("/")[2];
  if (scope && urlRegion !== undefined && urlRegion !== scope.region) {
    findings.push({
      level: "problem",
      message: `the URL is signed for region ${urlRegion}, and the server computed region ${scope.region}`,
    });
  }
  return findings;
}
