/**
 * `sluice explain`: why a presigned URL or a signed request was refused, in words.
 * Argument parsing, two calls to `@sluice/s3/diagnose` (`explainPresignedUrl`,
 * `explainS3Error`) and a renderer: the explanations themselves are the library's, so an
 * app can show the same ones.
 */
import { parseArgs } from "node:util";
import { parseS3Error, type S3ErrorDocument } from "@sluice/s3";
import {
  type DiagnosisFinding,
  explainPresignedUrl,
  explainS3Error,
  type FindingLevel,
  type PresignedUrlExplanation,
  type RequestSent,
} from "@sluice/s3/diagnose";
import { readArgument } from "../read-input.js";
import { credentialsFromEnv } from "../storage-options.js";
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

const MARK: Readonly<Record<FindingLevel, string>> = {
  problem: "✗",
  warning: "!",
  ok: "✓",
  info: "·",
};

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
  const findings: DiagnosisFinding[] = [];
  const json: Record<string, unknown> = {};
  let seen: RequestSent | undefined;

  if (document !== undefined) {
    const explained = explainS3Error(document, { credentials, url });
    seen = explained.requestSeen;
    sections.push(explained.summary.join("\n"));
    findings.push(...explained.findings);
    json.error = { code: document.code, message: document.message, fields: document.fields };
    if (explained.serverSaw) json.serverSaw = explained.serverSaw;
  }

  if (url !== undefined) {
    // Without headers of its own, the request the server saw stands in for the client's.
    const effective = request ?? seen;
    let analysis: PresignedUrlExplanation;
    try {
      analysis = explainPresignedUrl(url, {
        request: effective,
        credentials,
        region: values.region,
      });
    } catch (error) {
      // splitUrl's refusal of what is not an absolute http(s) URL.
      if (error instanceof TypeError) throw new UsageError(error.message);
      throw error;
    }
    sections.unshift(analysis.summary.join("\n"));
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
): RequestSent | undefined {
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
