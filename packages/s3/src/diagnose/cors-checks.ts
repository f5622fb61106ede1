/**
 * The checks behind `sluice cors check` and `sluice doctor`, for any app to run: what a
 * browser would meet when a page on `origin` uploads to the bucket, asked of the real
 * endpoint, and why, from the bucket's own rules evaluated locally with `@sluice/cors`.
 * Each check is one `CheckLine`, ✓ or ✗ with its fix; fixes name `sluice` commands.
 *
 * 1. credentials (doctor): HeadBucket; when it fails, ListBuckets, whose error has a body
 *    that says why (a HEAD answer has none).
 * 2. the bucket's CORS configuration (GetBucketCors), and (doctor) its lint.
 * 3. a real preflight, judged as the Fetch standard's CORS-preflight fetch judges it
 *    (https://fetch.spec.whatwg.org/#cors-preflight-fetch): an ok status, Allow-Origin
 *    equal to the origin (or `*`), the method and every requested header allowed. Beside
 *    it, the local evaluation: which rule matched, or, rule by rule, what did not.
 * 4. a real presigned request with that Origin to a temporary key (`sluice-check/…`):
 *    the answer must carry Access-Control-Allow-Origin, and, for the page to complete
 *    multipart uploads, expose ETag.
 * 5. the temporary key removed.
 */
import { createHash, randomUUID } from "node:crypto";
import {
  type ActualResult,
  type CompiledCors,
  type CorsConfiguration,
  compileCors,
  describeRefusal,
  describeRule,
  evaluateActual,
  evaluatePreflight,
  headerList,
  judgePreflightAnswer,
  lintCors,
  originHints,
  parseCors,
  type RuleMismatch,
  ruleLabel,
  suggestCorsFix,
} from "@sluice/cors";
import { objectUrl } from "@sluice/sigv4";
import { createS3Api, type S3Api, type StorageConfig } from "../client/s3-api.js";
import { S3RequestError } from "../client/s3-request-error.js";
import { summarizeS3Error } from "../wire/error-document.js";
import { helpForS3Error } from "../wire/error-help.js";
import { type CheckLine, fail, pass } from "./checklist.js";

/** The bucket to check, and where its credentials came from (to say which were used). */
export interface CheckTarget {
  readonly config: StorageConfig;
  /** `AWS_ACCESS_KEY_ID`, `the app's settings`, … */
  readonly source: string;
}

export interface CorsCheckOptions {
  readonly target: CheckTarget;
  readonly origin: string;
  /** Upper case. */
  readonly method: string;
  /** Lower case: what the page's request sends, so what its preflight asks for. */
  readonly headers: readonly string[];
  /** Doctor's extras: the credentials line first, and the lint of the rules. */
  readonly doctor: boolean;
}

/** The headers a Sluice upload sends besides the browser's own: what the upload API signs. */
export const UPLOAD_HEADERS: readonly string[] = [
  "content-type",
  "if-none-match",
  "x-amz-checksum-sha256",
];

const TIMEOUT_MS = 30_000;
const PROBE_EXPIRES_SECONDS = 300;
const PROBE_BODY = "sluice check: this object is temporary and is removed at once\n";

export async function runCorsChecks(options: CorsCheckOptions): Promise<CheckLine[]> {
  const { target, method } = options;
  const { config: storage } = target;
  const s3 = createS3Api(storage, () => new Date());
  const lines: CheckLine[] = [];
  const context = { ...options, s3, bucket: storage.bucket };

  if (options.doctor) {
    const credentials = await checkCredentials(context);
    lines.push(credentials);
    if (!credentials.ok) return lines;
  }

  // undefined: the bucket has none; null: it could not be read.
  let rules: CorsConfiguration | undefined | null;
  try {
    const xml = await s3.getBucketCors();
    rules = xml === undefined ? undefined : parseCors(xml);
  } catch (error) {
    rules = null;
    lines.push(
      fail(
        "cors-configuration",
        `could not read the CORS configuration of bucket ${storage.bucket}: ${messageOf(error)}`,
        ["the checks below rely on the endpoint's answers alone"],
        error instanceof S3RequestError && error.status === 403
          ? "give these credentials permission to read the bucket's CORS configuration (s3:GetBucketCORS), or run the check with an admin key"
          : undefined,
      ),
    );
  }
  if (rules === undefined) {
    lines.push(
      fail(
        "cors-configuration",
        `bucket ${storage.bucket} has no CORS configuration: browsers' preflights are refused and answers carry no Access-Control-Allow-Origin`,
        [],
        generateFix(context),
      ),
    );
  } else if (rules !== null) {
    lines.push(
      pass(
        "cors-configuration",
        `bucket ${storage.bucket} has ${rules.rules.length} CORS rule${rules.rules.length === 1 ? "" : "s"}`,
        rules.rules.map(describeRule),
      ),
    );
    if (options.doctor) lines.push(checkLint(rules, context));
  }
  const compiled = rules === null ? null : rules === undefined ? undefined : compileCors(rules);

  const key = `sluice-check/${randomUUID()}.txt`;
  lines.push(await checkPreflight(context, compiled, key));
  if (method !== "PUT" && method !== "GET" && method !== "HEAD") {
    return lines;
  }
  const actual = await sendActual(context, key);
  lines.push(...judgeActual(context, compiled, actual));
  if (actual.stored) lines.push(await cleanup(s3, key));
  return lines;
}

interface Context extends CorsCheckOptions {
  readonly s3: S3Api;
  readonly bucket: string;
}

async function checkCredentials(context: Context): Promise<CheckLine> {
  const { s3, target, bucket } = context;
  const { endpoint, credentials, region = "auto" } = target.config;
  const who = `key ${credentials.accessKeyId} (from ${target.source})`;
  try {
    await s3.headBucket();
    return pass("credentials", `credentials work: ${who} may use bucket ${bucket} at ${endpoint}`);
  } catch (error) {
    if (!(error instanceof S3RequestError)) throw error;
    if (error.status === 0) {
      return fail(
        "credentials",
        `cannot reach ${endpoint}: ${error.message}`,
        [],
        "check --endpoint-url (R2: https://ACCOUNT_ID.r2.cloudflarestorage.com) and the network",
      );
    }
    if (error.status === 404) {
      return fail(
        "credentials",
        `bucket ${bucket} does not exist at ${endpoint}`,
        [],
        "check --bucket and --endpoint-url, or create the bucket",
      );
    }
    // A HEAD answer has no body: ask again with a GET, whose error says why.
    let why: S3RequestError = error;
    try {
      await s3.listBuckets();
    } catch (listError) {
      if (listError instanceof S3RequestError) why = listError;
    }
    // This request was signed here, with these credentials: where the table says "the
    // request or the secret", it can only be the secret.
    const help = helpForS3Error(why.code);
    const fix = why.hasCode("SignatureDoesNotMatch")
      ? `the secret access key is not the one ${endpoint} holds for ${credentials.accessKeyId}: copy it again`
      : why.hasCode("InvalidAccessKeyId", "Unauthorized")
        ? `${endpoint} does not know the access key ${credentials.accessKeyId}: check the key, and that the endpoint is the account it belongs to`
        : why.hasCode("AuthorizationHeaderMalformed", "AuthorizationQueryParametersError")
          ? `the request was signed for region ${region}; ${help?.fix} (--region)`
          : why.hasCode("RequestTimeTooSkewed")
            ? `${help?.cause}: ${help?.fix}`
            : `give ${credentials.accessKeyId} read and write access to bucket ${bucket} (R2: an API token with Object Read & Write on it)`;
    return fail(
      "credentials",
      `credentials refused: ${who} got ${error.status} on HeadBucket ${bucket}${why !== error ? `; ListBuckets says ${why.code}: ${why.s3Message}` : ""}`,
      [],
      fix,
    );
  }
}

function checkLint(rules: CorsConfiguration, context: Context): CheckLine {
  const findings = lintCors(rules, { requiredHeaders: context.headers });
  const errors = findings.filter((f) => f.level === "error");
  const warnings = findings.filter((f) => f.level === "warning").map((f) => `! ${f.message}`);
  if (errors.length === 0) {
    return pass(
      "cors-lint",
      `the CORS rules are strict${warnings.length > 0 ? ` (${warnings.length} warning${warnings.length === 1 ? "" : "s"})` : ""}`,
      warnings,
    );
  }
  return fail(
    "cors-lint",
    `the CORS rules are not strict: ${errors.length} problem${errors.length === 1 ? "" : "s"}`,
    [...errors.map((f) => `✗ ${f.message}`), ...warnings],
    generateFix(context),
  );
}

async function checkPreflight(
  context: Context,
  compiled: CompiledCors | undefined | null,
  key: string,
): Promise<CheckLine> {
  const { origin, method, headers, target, bucket } = context;
  const url = objectUrl(target.config.endpoint, bucket, key);
  const requested = [...headers].sort().join(",");
  const asked = `preflight from ${origin} for ${method}${headers.length > 0 ? ` with ${headers.join(", ")}` : ""}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": method,
        ...(requested !== "" ? { "access-control-request-headers": requested } : {}),
      },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    return fail("preflight", `${asked}: no answer from ${url}: ${messageOf(error)}`, [], undefined);
  }
  const body = await response.text();
  const problems = judgePreflightAnswer(response, origin, method, headers);
  const local =
    compiled === null
      ? undefined
      : evaluatePreflight(compiled, {
          origin,
          accessControlRequestMethod: method,
          accessControlRequestHeaders: requested,
          resource: "OBJECT",
        });

  if (problems.length === 0) {
    const details = ["Access-Control-Allow-Origin", "Access-Control-Allow-Methods"]
      .concat(headers.length > 0 ? ["Access-Control-Allow-Headers"] : [])
      .concat(["Access-Control-Max-Age"])
      .flatMap((name) => {
        const value = response.headers.get(name);
        return value === null ? [] : [`${name}: ${value}`];
      });
    if (local && !local.allowed) {
      details.push(
        `note: by the rules read from the bucket it should be refused (${oneLine(describeRefusal(local))}); if they changed a moment ago, the endpoint may not apply them yet`,
      );
    }
    return pass(
      "preflight",
      `${asked} passes: ${response.status}${local?.allowed ? `, ${ruleLabel(compiled, local.rule)} matches` : ""}`,
      details,
    );
  }

  const answer = summarizeS3Error(response.status, body);
  // A refusal's status is in the headline; what else a browser holds against it is not.
  const details = response.ok ? [...problems] : [];
  if (local === undefined) {
    details.push("(the bucket's rules could not be read, so there is no local explanation)");
  } else if (local.allowed) {
    details.push(
      `by the rules read from the bucket, ${ruleLabel(compiled, local.rule)} matches; if they changed a moment ago, the endpoint may not apply them yet (R2 takes up to a minute)`,
    );
  } else if (!compiled) {
    details.push(`bucket ${bucket} has no CORS configuration, so every preflight is refused`);
  } else {
    details.push(...local.reasons.map((r) => `- ${r.message}`));
    details.push(...originHints(compiled, origin));
  }
  return fail(
    "preflight",
    `${asked} is refused${answer ? `: ${answer}` : ""}; the browser would not send the ${method}`,
    details,
    local && !local.allowed ? refusalFix(context, compiled, local.reasons) : undefined,
  );
}

interface ActualOutcome {
  readonly method: string;
  readonly response: Response | undefined;
  readonly body: string;
  /** Transport failure, or a step before the request that failed. */
  readonly error: string | undefined;
  /** The temporary object exists and must be removed. */
  readonly stored: boolean;
}

/** The request a page makes: a presigned PUT (or a GET/HEAD of an object put there first). */
async function sendActual(context: Context, key: string): Promise<ActualOutcome> {
  const { s3, origin, method, headers } = context;
  let stored = false;
  let presigned: { url: string; headers: Readonly<Record<string, string>> };
  if (method === "PUT") {
    presigned = s3.presignPut(
      key,
      { ...probeHeaderValues(headers), "content-length": Buffer.byteLength(PROBE_BODY) },
      PROBE_EXPIRES_SECONDS,
    );
  } else {
    try {
      await s3.putObject(key, PROBE_BODY, { "content-type": "text/plain" });
      stored = true;
    } catch (error) {
      return { method, response: undefined, body: "", error: messageOf(error), stored };
    }
    presigned = s3.presignGet(key, PROBE_EXPIRES_SECONDS);
  }
  // Browsers set Content-Length from the body; fetch does too.
  const { "content-length": _length, ...sent } = presigned.headers;
  try {
    const response = await fetch(presigned.url, {
      method,
      headers: { ...sent, origin },
      ...(method === "PUT" ? { body: PROBE_BODY } : {}),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const body = await response.text();
    if (method === "PUT" && response.ok) stored = true;
    // A refused PUT may still have left an object only if the store misbehaved; look.
    return { method, response, body, error: undefined, stored };
  } catch (error) {
    return { method, response: undefined, body: "", error: messageOf(error), stored };
  }
}

function judgeActual(
  context: Context,
  compiled: CompiledCors | undefined | null,
  actual: ActualOutcome,
): CheckLine[] {
  const { origin, method, bucket } = context;
  const what =
    method === "PUT"
      ? `a signed PUT from ${origin} to bucket ${bucket}`
      : `a signed ${method} from ${origin} of an object in bucket ${bucket}`;
  const response = actual.response;
  if (response === undefined) {
    return [
      fail(
        "upload",
        `${what} failed before an answer: ${actual.error ?? "no response"}`,
        [],
        undefined,
      ),
    ];
  }
  const local: ActualResult | undefined =
    compiled === null ? undefined : evaluateActual(compiled, { origin, method });
  const lines: CheckLine[] = [];
  const allowOrigin = response.headers.get("access-control-allow-origin");
  const readable = allowOrigin === "*" || allowOrigin === origin;
  if (!response.ok) {
    const details = [summarizeS3Error(response.status, actual.body)];
    if (!readable) {
      details.push(
        "and the answer carries no Access-Control-Allow-Origin for this origin, so a page sees only a network error",
      );
    }
    lines.push(fail("upload", `${what} was refused: ${response.status}`, details, undefined));
    return lines;
  }
  if (!readable) {
    const details = [
      allowOrigin === null
        ? `the ${method} succeeded (${response.status}), but the answer has no Access-Control-Allow-Origin: the browser hides it and the page sees a network error`
        : `the ${method} succeeded (${response.status}), but Access-Control-Allow-Origin is ${allowOrigin}, not ${origin}`,
    ];
    if (local && !local.matched) {
      details.push(oneLineHead(describeRefusal(local)));
      details.push(...local.reasons.map((r) => `- ${r.message}`));
      if (compiled) details.push(...originHints(compiled, origin));
    }
    lines.push(
      fail(
        "upload",
        `${what} ${method === "PUT" ? "is stored" : "succeeded"}, but the page cannot read the answer`,
        details,
        local && !local.matched ? refusalFix(context, compiled, local.reasons) : undefined,
      ),
    );
  } else {
    lines.push(
      pass(
        "upload",
        `${what} succeeded (${response.status}) and the page can read the answer (Access-Control-Allow-Origin: ${allowOrigin})${local?.matched ? `; ${ruleLabel(compiled, local.rule)} matches` : ""}`,
      ),
    );
  }
  if (method !== "PUT") return lines;

  const exposed = headerList(response.headers.get("access-control-expose-headers"));
  const etag = response.headers.get("etag");
  const exposesEtag = exposed.some((h) => h.toLowerCase() === "etag" || h === "*");
  if (readable && exposesEtag && etag !== null) {
    lines.push(
      pass(
        "etag",
        `the page can read the ETag (${etag}): Access-Control-Expose-Headers: ${exposed.join(", ")}`,
      ),
    );
  } else {
    const why = !readable
      ? "the answer carries no CORS headers for this origin"
      : etag === null
        ? "the answer has no ETag at all"
        : exposed.length > 0
          ? `Access-Control-Expose-Headers is ${exposed.join(", ")}, without ETag`
          : "the answer has no Access-Control-Expose-Headers, so the browser hides its ETag";
    const rule = local?.matched ? local.rule : undefined;
    lines.push(
      fail(
        "etag",
        `the page cannot read the ETag of its upload: ${why}`,
        [
          "multipart uploads need each part's ETag to complete, and browsers hide every response header not exposed",
        ],
        rule !== undefined
          ? `add "ETag" to ExposeHeaders of ${ruleLabel(compiled, rule)}, or regenerate the rules: ${generateCommand(context)}`
          : generateFix(context),
      ),
    );
  }
  return lines;
}

async function cleanup(s3: S3Api, key: string): Promise<CheckLine> {
  try {
    await s3.deleteObject(key);
    return pass("cleanup", `removed the temporary object ${key}`);
  } catch (error) {
    return fail(
      "cleanup",
      `could not remove the temporary object ${key}: ${messageOf(error)}`,
      [],
      `remove it by hand: aws s3 rm s3://${s3.bucket}/${key} --endpoint-url …`,
    );
  }
}

/** A value for each header the page's request sends, so the request is like a real upload. */
function probeHeaderValues(names: readonly string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of names) {
    switch (name) {
      case "content-length":
        break;
      case "content-type":
        values[name] = "text/plain;charset=utf-8";
        break;
      case "if-none-match":
        values[name] = "*";
        break;
      case "x-amz-checksum-sha256":
        values[name] = createHash("sha256").update(PROBE_BODY).digest("base64");
        break;
      case "content-md5":
        values[name] = createHash("md5").update(PROBE_BODY).digest("base64");
        break;
      case "cache-control":
        values[name] = "no-store";
        break;
      default:
        values[name] = "sluice-check";
    }
  }
  return values;
}

/** The change that makes the closest rule match, and the alternative of regenerating the rules. */
function refusalFix(
  context: Context,
  compiled: CompiledCors | undefined | null,
  reasons: readonly RuleMismatch[],
): string {
  const fix = suggestCorsFix(compiled ?? undefined, reasons, context);
  switch (fix.kind) {
    case "serve-over-https":
      return `serve the page from ${fix.secureOrigin}${fix.allowingRule !== undefined ? `, which ${ruleLabel(compiled, fix.allowingRule)} allows` : ""}: a page on plain http can be altered by anyone on the network path, and sluice cors put refuses http origins unless --allow-insecure`;
    case "change-rule":
      return `${fix.changes.join(", ")} of ${ruleLabel(compiled, fix.rule)}; or regenerate the rules: ${generateCommand(context)}`;
    case "regenerate":
      return generateFix(context);
  }
}

function generateFix(context: Context): string {
  return `${generateCommand(context)} > cors.json && sluice cors put --endpoint-url ${context.target.config.endpoint} --bucket ${context.bucket} --cors-configuration file://cors.json`;
}

function generateCommand(context: Context): string {
  const { origin, method, headers } = context;
  const extra = headers.filter((h) => !UPLOAD_HEADERS.includes(h));
  return [
    "sluice cors generate",
    `--origin ${origin}`,
    ...(method === "GET" || method === "HEAD" ? ["--read"] : []),
    ...extra.map((h) => `--header ${h}`),
  ].join(" ");
}

function oneLine(text: string): string {
  return text.replace(/\n\s*-?\s*/g, "; ");
}

function oneLineHead(text: string): string {
  return text.split("\n")[0] ?? text;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
    return `${error.message}${cause}`;
  }
  return String(error);
}
