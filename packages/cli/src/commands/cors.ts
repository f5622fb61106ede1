/**
 * `sluice cors put|get|delete|generate|check`: a bucket's CORS rules, strict by default,
 * on R2, S3 or the embedded store. `put` takes what `aws s3api put-bucket-cors` takes
 * (and Cloudflare's JSON, and S3's XML), and lints before it sends.
 */
import { parseArgs } from "node:util";
import {
  CorsConfigError,
  type CorsConfiguration,
  describeRule,
  encodeAwsCorsJson,
  encodeCloudflareCorsJson,
  encodeCorsXml,
  generateUploadCors,
  lintCors,
  parseCors,
} from "@sluice/cors";
import { createS3Api, S3RequestError } from "@sluice/s3/client";
import { runCorsChecks, UPLOAD_HEADERS } from "@sluice/s3/diagnose";
import { exitCodeOf, formatChecklist } from "../checklist.js";
import { readArgument } from "../read-input.js";
import {
  checkOrigin,
  flavorOf,
  STORAGE_HELP,
  STORAGE_OPTIONS,
  storageTarget,
} from "../storage-options.js";
import { UsageError } from "../usage-error.js";

export const CORS_HELP = `Usage: sluice cors <put|get|delete|generate|check> [options]

A bucket's CORS rules: the browser's permission to upload from your app's origin.

  put        set the rules from a file, after a strictness lint
  get        print the rules (AWS CLI JSON, Cloudflare JSON or S3 XML)
  delete     remove the rules
  generate   print the strict rules Sluice uploads need from your origins
  check      ask the bucket what a browser on an origin would meet, and why

Run sluice cors <command> --help for each command's options.
Exit codes: 0 ok, 1 refused or a check failed, 2 usage error.
`;

const PUT_HELP = `Usage: sluice cors put --bucket NAME --cors-configuration file://cors.json [options]

Sets the bucket's CORS rules, like aws s3api put-bucket-cors. The file may be the AWS CLI
JSON ({"CORSRules":[...]}), the R2 dashboard's rule array, Cloudflare's API JSON
({"rules":[{"allowed":{...}}]}) or S3's XML; "-" reads standard input, and JSON may be
given inline.

It is linted first. Refused unless --allow-insecure: an origin of * or null, an http://
origin other than localhost/127.0.0.1, a wildcard (*) AllowedHeader, a PUT rule without
content-type. Warned about: ETag not exposed, no MaxAgeSeconds, loopback origins.

Options:
  --cors-configuration ARG  file://PATH, fileb://PATH, - (stdin) or the JSON itself
  --allow-insecure          set the rules even when the lint finds errors
  --json                    print the result as JSON

${STORAGE_HELP}`;

const GET_HELP = `Usage: sluice cors get --bucket NAME [--format aws|cloudflare|xml]

Prints the bucket's CORS rules: as aws s3api get-bucket-cors prints them (aws, the
default, which sluice cors put and aws s3api put-bucket-cors take back), as Cloudflare's
API JSON (cloudflare), or as S3's XML (xml). Exit 1 when the bucket has none.

${STORAGE_HELP}`;

const DELETE_HELP = `Usage: sluice cors delete --bucket NAME [--json]

Removes the bucket's CORS rules: browsers can no longer use it from any page.

${STORAGE_HELP}`;

const GENERATE_HELP = `Usage: sluice cors generate --origin ORIGIN [--origin ORIGIN ...] [options]

Prints the smallest CORS configuration that lets pages on those origins upload through
Sluice: PUT only (GET and HEAD too with --read), exactly the headers the upload API signs
(${UPLOAD_HEADERS.join(", ")}), ETag exposed, preflights cached for an hour.
Nothing is sent; save it and apply it with sluice cors put (or aws s3api put-bucket-cors).

Options:
  --origin ORIGIN      an origin exactly as browsers send it: https://app.example.com
                       (repeat for more; http:// only for localhost and 127.0.0.1)
  --read               also allow GET and HEAD, for pages that read the files back
  --header NAME        a header your uploads send besides the upload API's own, such as
                       x-amz-meta-owner for a route with metadata (repeatable)
  --max-age SECONDS    how long browsers cache a preflight (default 3600)
  --id ID              the rule's ID (default sluice-uploads)
  --format FORMAT      aws (default), cloudflare or xml

Example:
  sluice cors generate --origin https://app.example.com > cors.json
  sluice cors put --endpoint-url https://ACCOUNT_ID.r2.cloudflarestorage.com \\
    --bucket uploads --cors-configuration file://cors.json
`;

const CHECK_HELP = `Usage: sluice cors check --bucket NAME --origin ORIGIN [options]

Asks the bucket what a browser on ORIGIN meets when it uploads, and explains it:
  - the bucket's CORS rules (GetBucketCors);
  - a real preflight (OPTIONS) like the browser's, judged as a browser judges it, beside
    the bucket's rules evaluated here: which rule matched, or rule by rule what did not;
  - a real presigned PUT with that Origin to a temporary key (sluice-check/...):
    Access-Control-Allow-Origin present, ETag exposed; then the key is removed.
Exit 1 when anything a browser needs is missing.

Options:
  --origin ORIGIN   the page's origin, as the browser sends it: https://app.example.com
  --method METHOD   the request the page makes (default PUT; GET and HEAD are tried
                    on a temporary object, other methods by preflight only)
  --header NAME     a header the page's request sends (repeatable). Default for PUT:
                    what the upload API signs, ${UPLOAD_HEADERS.join(", ")};
                    for other methods, none
  --json            print the checks as JSON

${STORAGE_HELP}`;

const FORMATS = ["aws", "cloudflare", "xml"] as const;
type Format = (typeof FORMATS)[number];

export async function corsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case "put":
      return corsPut(rest);
    case "get":
      return corsGet(rest);
    case "delete":
      return corsDelete(rest);
    case "generate":
      return corsGenerate(rest);
    case "check":
      return corsCheck(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(CORS_HELP);
      return sub === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown subcommand "${sub}": use put, get, delete, generate or check`);
  }
}

async function corsPut(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      ...STORAGE_OPTIONS,
      "cors-configuration": { type: "string" },
      "allow-insecure": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return help(PUT_HELP);
  const source = values["cors-configuration"];
  if (source === undefined) {
    throw new UsageError("give the rules: --cors-configuration file://cors.json");
  }
  const target = storageTarget(values);
  const text = await readArgument(source, "--cors-configuration", { inline: true });
  let config: CorsConfiguration;
  try {
    config = parseCors(text, { flavor: flavorOf(target.config.endpoint) });
  } catch (error) {
    if (error instanceof CorsConfigError) {
      throw new UsageError(`--cors-configuration: ${error.code}: ${error.detail}`);
    }
    throw error;
  }
  const findings = lintCors(config);
  const errors = findings.filter((f) => f.level === "error");
  const refused = errors.length > 0 && !values["allow-insecure"];
  const failure = refused ? undefined : await putRules(target.config, config);
  if (values.json) {
    printJson({
      ok: !refused && failure === undefined,
      bucket: target.config.bucket,
      rules: JSON.parse(encodeAwsCorsJson(config)).CORSRules,
      findings,
      ...(failure !== undefined ? { error: failure } : {}),
    });
    return refused || failure !== undefined ? 1 : 0;
  }
  for (const finding of findings) {
    const mark = finding.level === "error" && refused ? "✗" : "!";
    process.stderr.write(`${mark} ${finding.message}\n`);
  }
  if (refused) {
    process.stderr.write(
      `refused: ${errors.length} lint error${errors.length === 1 ? "" : "s"} in the rules; fix ${errors.length === 1 ? "it" : "them"} (sluice cors generate prints strict rules), or pass --allow-insecure to set them anyway\n`,
    );
    return 1;
  }
  if (failure !== undefined) {
    process.stderr.write(`✗ ${failure}\n`);
    return 1;
  }
  process.stdout.write(
    `✓ set ${config.rules.length} CORS rule${config.rules.length === 1 ? "" : "s"} on bucket ${target.config.bucket}\n${config.rules.map((r, i) => `    ${describeRule(r, i)}\n`).join("")}`,
  );
  return 0;
}

/** PutBucketCors; what went wrong, when the endpoint refused or could not be reached. */
async function putRules(
  storage: ReturnType<typeof storageTarget>["config"],
  config: CorsConfiguration,
): Promise<string | undefined> {
  try {
    await createS3Api(storage, () => new Date()).putBucketCors(encodeCorsXml(config));
    return undefined;
  } catch (error) {
    if (error instanceof S3RequestError) return error.message;
    throw error;
  }
}

async function corsGet(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      ...STORAGE_OPTIONS,
      format: { type: "string", default: "aws" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return help(GET_HELP);
  const format = checkFormat(values.format);
  const target = storageTarget(values);
  let xml: string | undefined;
  try {
    xml = await createS3Api(target.config, () => new Date()).getBucketCors();
  } catch (error) {
    if (!(error instanceof S3RequestError)) throw error;
    process.stderr.write(`✗ ${error.message}\n`);
    return 1;
  }
  if (xml === undefined) {
    process.stderr.write(`bucket ${target.config.bucket} has no CORS configuration\n`);
    return 1;
  }
  let config: CorsConfiguration;
  try {
    config = parseCors(xml);
  } catch (error) {
    if (!(error instanceof CorsConfigError) || format !== "xml") throw error;
    // Shown as it came: the endpoint's own document, even one our reader refuses.
    process.stdout.write(xml.endsWith("\n") ? xml : `${xml}\n`);
    return 0;
  }
  process.stdout.write(`${encode(config, format)}\n`);
  return 0;
}

async function corsDelete(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      ...STORAGE_OPTIONS,
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return help(DELETE_HELP);
  const target = storageTarget(values);
  try {
    await createS3Api(target.config, () => new Date()).deleteBucketCors();
  } catch (error) {
    if (!(error instanceof S3RequestError)) throw error;
    if (values.json) printJson({ ok: false, bucket: target.config.bucket, error: error.message });
    else process.stderr.write(`✗ ${error.message}\n`);
    return 1;
  }
  if (values.json) printJson({ ok: true, bucket: target.config.bucket });
  else process.stdout.write(`✓ removed the CORS rules of bucket ${target.config.bucket}\n`);
  return 0;
}

async function corsGenerate(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      origin: { type: "string", multiple: true },
      read: { type: "boolean", default: false },
      header: { type: "string", multiple: true },
      "max-age": { type: "string" },
      id: { type: "string" },
      format: { type: "string", default: "aws" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return help(GENERATE_HELP);
  const origins = values.origin ?? [];
  if (origins.length === 0)
    throw new UsageError("give at least one --origin https://app.example.com");
  for (const origin of origins) checkOrigin(origin);
  const format = checkFormat(values.format);
  let maxAgeSeconds: number | undefined;
  if (values["max-age"] !== undefined) {
    maxAgeSeconds = Number(values["max-age"]);
    if (!Number.isInteger(maxAgeSeconds) || maxAgeSeconds < 0) {
      throw new UsageError(`--max-age must be a whole number of seconds, not ${values["max-age"]}`);
    }
  }
  const headers = [...UPLOAD_HEADERS];
  for (const header of values.header ?? []) {
    const name = header.toLowerCase();
    if (!headers.includes(name)) headers.push(name);
  }
  let config: CorsConfiguration;
  try {
    config = generateUploadCors({
      origins,
      read: values.read,
      headers,
      ...(maxAgeSeconds !== undefined ? { maxAgeSeconds } : {}),
      ...(values.id !== undefined ? { id: values.id } : {}),
    });
  } catch (error) {
    if (error instanceof RangeError || error instanceof CorsConfigError) {
      throw new UsageError(error instanceof CorsConfigError ? error.detail : error.message);
    }
    throw error;
  }
  for (const finding of lintCors(config, { requiredHeaders: headers })) {
    process.stderr.write(`! ${finding.message}\n`);
  }
  process.stdout.write(`${encode(config, format)}\n`);
  return 0;
}

async function corsCheck(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      ...STORAGE_OPTIONS,
      origin: { type: "string" },
      method: { type: "string", default: "PUT" },
      header: { type: "string", multiple: true },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return help(CHECK_HELP);
  if (values.origin === undefined) {
    throw new UsageError("give the page's origin: --origin https://app.example.com");
  }
  const origin = checkOrigin(values.origin);
  const method = checkMethod(values.method);
  const target = storageTarget(values);
  const lines = await runCorsChecks({
    target,
    origin,
    method,
    headers: headerNames(values.header, method),
    doctor: false,
  });
  if (values.json) printJson({ ok: exitCodeOf(lines) === 0, checks: lines });
  else process.stdout.write(formatChecklist(lines));
  return exitCodeOf(lines);
}

/** `--header` names, lower-cased; for a PUT without any, the upload API's. */
export function headerNames(given: readonly string[] | undefined, method = "PUT"): string[] {
  if (given === undefined || given.length === 0) return method === "PUT" ? [...UPLOAD_HEADERS] : [];
  const names: string[] = [];
  for (const header of given) {
    // `--header "Content-Type: image/png"` means the name; the value does not matter here.
    const name = header.split(":")[0]?.trim().toLowerCase() ?? "";
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) {
      throw new UsageError(`--header ${JSON.stringify(header)} is not a header name`);
    }
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

export function checkMethod(method: string): string {
  const upper = method.toUpperCase();
  if (!["GET", "PUT", "POST", "DELETE", "HEAD"].includes(upper)) {
    throw new UsageError(`--method must be one of GET, PUT, POST, DELETE, HEAD, not ${method}`);
  }
  return upper;
}

function checkFormat(format: string): Format {
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format must be aws, cloudflare or xml, not ${format}`);
  }
  return format as Format;
}

function encode(config: CorsConfiguration, format: Format): string {
  switch (format) {
    case "aws":
      return encodeAwsCorsJson(config);
    case "cloudflare":
      return encodeCloudflareCorsJson(config);
    case "xml":
      return encodeCorsXml(config);
  }
}

function help(text: string): number {
  process.stdout.write(text);
  return 0;
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
