/**
 * `sluice presign put|get`: a presigned URL that binds what it says — the Content-Type
 * and Content-Length given are signed, so the store refuses any other — and the exact
 * headers a client must send with it.
 */
import { parseArgs } from "node:util";
import { createS3Api } from "@sluice/s3/client";
import { DEFAULT_EXPIRES_SECONDS } from "@sluice/server";
import { describePresignedUrl, MAX_EXPIRES_SECONDS } from "@sluice/sigv4";
import { STORAGE_HELP, STORAGE_OPTIONS, storageTarget } from "../storage-options.js";
import { UsageError } from "../usage-error.js";

export const PRESIGN_HELP = `Usage: sluice presign put|get --bucket NAME --key KEY [options]

Prints a presigned URL (on the first line) and the exact headers to send with it. Every header given is
signed: the store refuses the request if the client sends another value, or leaves
one out. Nothing is sent to the endpoint.

Options:
  --key KEY              the object key, as it is (it is encoded here)
  --content-type TYPE    put: bind the Content-Type
  --content-length N     put: bind the size, in bytes
  --header "NAME: VALUE" another header to bind, e.g. "x-amz-meta-owner: alice" or
                         "If-None-Match: *" (repeatable)
  --expires-in SECONDS   lifetime, 1 to ${MAX_EXPIRES_SECONDS} (default ${DEFAULT_EXPIRES_SECONDS})
  --json                 print {method, url, headers, signedHeaders, expiresAt}

${STORAGE_HELP}`;

export async function presignCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      ...STORAGE_OPTIONS,
      key: { type: "string" },
      "content-type": { type: "string" },
      "content-length": { type: "string" },
      header: { type: "string", multiple: true },
      "expires-in": { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(PRESIGN_HELP);
    return 0;
  }
  const [verb, ...extra] = positionals;
  if (verb !== "put" && verb !== "get") {
    throw new UsageError(
      verb === undefined ? "say what to presign: put or get" : `presign put or get, not ${verb}`,
    );
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
  if (values.key === undefined || values.key === "")
    throw new UsageError("give the object: --key KEY");
  const expiresIn = Number(values["expires-in"] ?? DEFAULT_EXPIRES_SECONDS);
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_EXPIRES_SECONDS) {
    throw new UsageError(
      `--expires-in must be a whole number of seconds from 1 to ${MAX_EXPIRES_SECONDS}, not ${values["expires-in"]}`,
    );
  }
  const headers: Record<string, string> = {};
  for (const header of values.header ?? []) {
    const colon = header.indexOf(":");
    if (colon <= 0)
      throw new UsageError(`--header must be "Name: value", not ${JSON.stringify(header)}`);
    headers[header.slice(0, colon).trim().toLowerCase()] = header.slice(colon + 1).trim();
  }
  if (
    verb === "get" &&
    (values["content-type"] !== undefined || values["content-length"] !== undefined)
  ) {
    throw new UsageError("--content-type and --content-length bind an upload: use them with put");
  }
  if (values["content-type"] !== undefined) headers["content-type"] = values["content-type"];
  if (values["content-length"] !== undefined) {
    const length = values["content-length"];
    if (!/^\d+$/.test(length)) {
      throw new UsageError(`--content-length must be a number of bytes, not ${length}`);
    }
    headers["content-length"] = length;
  }
  const target = storageTarget(values);
  const s3 = createS3Api(target.config, () => new Date());
  let presigned: ReturnType<typeof s3.presignPut>;
  try {
    presigned =
      verb === "put"
        ? s3.presignPut(values.key, headers, expiresIn)
        : s3.presignGet(values.key, expiresIn, headers);
  } catch (error) {
    // A header no client could send as signed (a newline in a value, a bad name).
    if (error instanceof TypeError) throw new UsageError(error.message);
    throw error;
  }
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          method: presigned.method,
          url: presigned.url,
          headers: presigned.headers,
          signedHeaders: presigned.signedHeaders,
          expiresAt: presigned.expiresAt.toISOString(),
        },
        null,
        2,
      )}\n`,
    );
    return 0;
  }
  const lines = [
    presigned.url,
    "",
    `${presigned.method}, expires ${presigned.expiresAt.toISOString()} (in ${expiresIn} s)`,
  ];
  const sent = Object.entries(presigned.headers);
  if (sent.length > 0) {
    lines.push("send exactly these headers (each is signed):");
    for (const [name, value] of sent) lines.push(`  ${name}: ${value}`);
  } else {
    lines.push("send no other header the URL would need: it binds only the host");
  }
  // What a GET leaves unbound (type, size) is not a weakness: it uploads nothing.
  const notes = describePresignedUrl(presigned.url).findings.filter(
    (f) => verb === "put" || f.level !== "warning",
  );
  for (const note of notes) lines.push(`! ${note.message}`);
  const curlHeaders = sent
    .filter(([name]) => name !== "content-length")
    .map(([name, value]) => ` -H ${shellQuote(`${name}: ${value}`)}`)
    .join("");
  lines.push(
    verb === "put"
      ? `try: curl --fail-with-body -T FILE${curlHeaders} ${shellQuote(presigned.url)}`
      : `try: curl --fail-with-body -o FILE${curlHeaders} ${shellQuote(presigned.url)}`,
  );
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
