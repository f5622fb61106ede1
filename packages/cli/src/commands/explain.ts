/**
 * `sluice explain`: why a presigned URL or a signed request was refused, in words.
 *
 * Given a URL, it says what the signature binds (method aside: only the signature knows
 * it), until when, and the traps it carries (`describePresignedUrl`); given the headers a
 * client sent too, what differs; with the secret in the environment, it verifies the
 * signature here and names the cause of a mismatch. Given S3's `<Error>` answer, it reads
 * the server's side: for `SignatureDoesNotMatch`, the canonical request it computed —
 * method, path, query, each signed header with the value it used — and, with a URL, how
 * that differs from what the URL was signed for.
 */
import { parseArgs } from "node:util";
import { parseS3Error, type S3ErrorDocument } from "@sluice/s3";
import {
  canonicalQueryString,
  canonicalUri,
  describePresignedUrl,
  EMPTY_BODY_CRC32,
  type PresignedUrlDescription,
  parseQuery,
  splitUrl,
  verify,
} from "@sluice/sigv4";
import { readArgument } from "../read-input.js";
import {
  parseCanonicalRequest,
  parseStringToSign,
  type ServerView,
  signatureOf,
} from "../server-view.js";
import { credentialsFromEnv, type EnvCredentials } from "../storage-options.js";
import { UsageError } from "../usage-error.js";

export const EXPLAIN_HELP = `Usage: sluice explain URL [--method METHOD] [--header "Name: value" ...]
       sluice explain --error FILE [URL [--method METHOD] [--header ...]]

Says in words what a presigned URL binds and why a request was refused.

  URL alone          what the signature binds (signed headers, bound parameters), when
                     it expires, and the traps: a Content-Type or size it does not bind,
                     the x-amz-checksum-crc32=AAAAAA== of an empty body that the AWS SDK
                     adds by default (R2 then refuses every non-empty upload)
  URL and headers    also what the client's request does differently: a signed header
                     it did not send, an x-amz-* header the URL does not sign, and, with
                     the secret in the environment, which difference breaks the signature
                     (another Content-Type, another method, another encoding of the key...)
  --error FILE       S3's XML answer (- reads standard input). For SignatureDoesNotMatch:
                     what the server signed (method, path, query, each signed header with
                     the value it used), whether your secret gives the signature the
                     request carried, and, with the URL, what differs from it. Also reads
                     expired URLs, wrong regions, unsigned headers and clock skew.

Options:
  --method METHOD        the method the client used (default PUT when headers are given)
  --header "Name: value" a header the client sent (repeatable)
  --error FILE           S3's error answer, a file or - for standard input
  --region REGION        the region the endpoint expects (default: from the URL's host:
                         auto for R2, the region of an amazonaws.com host, auto or
                         us-east-1 for a store on localhost)
  --json                 print the findings as JSON

With SLUICE_ACCESS_KEY_ID/SLUICE_SECRET_ACCESS_KEY (or AWS_ACCESS_KEY_ID/
AWS_SECRET_ACCESS_KEY) set to the key the URL was signed with, signatures are checked
here; nothing is sent anywhere.

Exit codes: 0 nothing that fails, 1 a reason the request fails (or would), 2 usage error.
`;

type Level = "problem" | "warning" | "ok" | "info";

interface Finding {
  readonly level: Level;
  readonly message: string;
}

const MARK: Readonly<Record<Level, string>> = { problem: "✗", warning: "!", ok: "✓", info: "·" };
const METHODS = ["PUT", "GET", "HEAD", "POST", "DELETE"];

interface ClientRequest {
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
}

export async function explainCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      method: { type: "string" },
      header: { type: "string", multiple: true },
      error: { type: "string" },
      region: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(EXPLAIN_HELP);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError("give one URL (quote it: it contains &)");
  const url = positionals[0];
  if (url === undefined && values.error === undefined) {
    throw new UsageError("give a presigned URL, or --error FILE with S3's XML answer");
  }
  if (url !== undefined && !/^https?:\/\//i.test(url)) {
    throw new UsageError(`not an http(s) URL: ${url}`);
  }
  const request = clientRequest(values.method, values.header);
  let document: S3ErrorDocument | undefined;
  if (values.error !== undefined) {
    const text = await readArgument(values.error, "--error", { inline: false });
    document = parseS3Error(text);
    if (document === undefined) {
      throw new UsageError(`--error: not an S3 <Error> document: ${text.slice(0, 80)}`);
    }
  }
  const found = credentialsFromEnv();
  const credentials = typeof found === "object" ? found : undefined;

  const sections: string[] = [];
  const findings: Finding[] = [];
  const json: Record<string, unknown> = {};
  const view =
    document?.fields.CanonicalRequest !== undefined
      ? parseCanonicalRequest(document.fields.CanonicalRequest)
      : undefined;

  if (document !== undefined) {
    const { text, findings: errorFindings } = explainError(document, view, credentials, url);
    sections.push(text);
    findings.push(...errorFindings);
    json.error = { code: document.code, message: document.message, fields: document.fields };
    if (view) json.serverSaw = view;
  }

  if (url !== undefined) {
    // Without headers of its own, a request read from the error stands in for the client's.
    const effective =
      request ??
      (view
        ? {
            method: view.method,
            headers: Object.fromEntries(view.headers.filter(([name]) => name !== "host")),
          }
        : undefined);
    let analysis: ReturnType<typeof explainUrl>;
    try {
      analysis = explainUrl(url, effective, credentials, values.region);
    } catch (error) {
      // splitUrl's refusal of what is not an absolute http(s) URL.
      if (error instanceof TypeError) throw new UsageError(error.message);
      throw error;
    }
    sections.unshift(analysis.text);
    findings.push(...analysis.findings);
    json.url = analysis.description;
    if (effective) json.request = effective;
  }
  if (typeof found === "string")
    findings.push({ level: "info", message: `credentials ignored: ${found}` });

  const failed = findings.some((f) => f.level === "problem");
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ ok: !failed, ...json, findings }, null, 2)}\n`);
  } else {
    const list = findings.map((f) => `${MARK[f.level]} ${f.message}`).join("\n");
    process.stdout.write(
      `${[...sections, list === "" ? "✓ nothing wrong found" : list].join("\n\n")}\n`,
    );
  }
  return failed ? 1 : 0;
}

/** `--method` and `--header "Name: value"` as the client's request; none when neither is given. */
function clientRequest(
  method: string | undefined,
  headers: readonly string[] | undefined,
): ClientRequest | undefined {
  if (method === undefined && (headers === undefined || headers.length === 0)) return undefined;
  const map: Record<string, string> = {};
  for (const header of headers ?? []) {
    const colon = header.indexOf(":");
    if (colon <= 0)
      throw new UsageError(`--header must be "Name: value", not ${JSON.stringify(header)}`);
    const name = header.slice(0, colon).trim().toLowerCase();
    const value = header.slice(colon + 1).trim();
    // Sent twice: one header with both values, as HTTP joins them.
    map[name] = map[name] === undefined ? value : `${map[name]}, ${value}`;
  }
  const upper = (method ?? "PUT").toUpperCase();
  if (!/^[A-Z]+$/.test(upper)) throw new UsageError(`--method ${method} is not a method`);
  return { method: upper, headers: map };
}

function explainUrl(
  url: string,
  request: ClientRequest | undefined,
  credentials: EnvCredentials | undefined,
  regionFlag: string | undefined,
): { text: string; findings: Finding[]; description: PresignedUrlDescription } {
  const now = new Date();
  const findings: Finding[] = [];
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
  return { text: lines.join("\n"), findings, description };
}

/**
 * With no request given, the signature can still be checked when it binds only `host`:
 * a URL that verifies for no method was changed after signing.
 */
function checkUrlAlone(
  url: string,
  description: PresignedUrlDescription,
  lookupSecret: (id: string) => string | undefined,
): Finding {
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
  request: ClientRequest | undefined,
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

function explainError(
  document: S3ErrorDocument,
  view: ServerView | undefined,
  credentials: EnvCredentials | undefined,
  url: string | undefined,
): { text: string; findings: Finding[] } {
  const { code, message, fields } = document;
  const lines = [`The answer: ${code}${message ? `: ${message}` : ""}`];
  const findings: Finding[] = [];
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
      lines.push(...describeServerView(view));
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
          message: `the URL expired${fields.Expires ? ` at ${fields.Expires}` : ""}${fields.ServerTime ? `; the server's time was ${fields.ServerTime}` : ""}${fields["X-Amz-Expires"] ? ` (it was valid ${fields["X-Amz-Expires"]} s)` : ""}: ask for a new URL, and check the clocks of the signing machine and the client`,
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
        message: `the client's clock (${fields.RequestTime ?? "?"}) and the server's (${fields.ServerTime ?? "?"}) differ by more than 15 minutes: fix the client's clock`,
      });
      break;
    case "InvalidAccessKeyId":
    case "Unauthorized":
      findings.push({
        level: "problem",
        message: `the endpoint does not know the access key${fields.AWSAccessKeyId ? ` ${fields.AWSAccessKeyId}` : ""}: the URL was signed with a key of another account or endpoint, or a deleted one`,
      });
      break;
    case "BadDigest":
      findings.push({
        level: "problem",
        message: `the body is not the one the request declared a checksum for: ${message}`,
      });
      break;
    case "AccessForbidden":
      findings.push({
        level: "problem",
        message: `a CORS preflight was refused (${fields.Method ?? "?"} on ${fields.ResourceType ?? "?"}): run sluice cors check --origin ORIGIN to see which rule part fails`,
      });
      break;
    default:
      findings.push({ level: "problem", message: `${code}: ${message}` });
  }
  return { text: lines.join("\n"), findings };
}

function describeServerView(view: ServerView): string[] {
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
  credentials: EnvCredentials | undefined,
): Finding[] {
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
  view: ServerView,
  scope: ReturnType<typeof parseStringToSign>,
  url: string,
): Finding[] {
  const findings: Finding[] = [];
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
