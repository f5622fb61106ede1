/**
 * `sluice doctor --origin O`: the whole checklist for a bucket that takes browser
 * uploads, each line ✓ or ✗ with the fix. The checks are `cors check`'s, with the
 * credentials first and a strictness lint of the rules.
 */
import { parseArgs } from "node:util";
import { runCorsChecks, UPLOAD_HEADERS } from "@sluice/s3/diagnose";
import { exitCodeOf, formatChecklist } from "../checklist.js";
import { checkOrigin, STORAGE_HELP, STORAGE_OPTIONS, storageTarget } from "../storage-options.js";
import { UsageError } from "../usage-error.js";
import { headerNames } from "./cors.js";

export const DOCTOR_HELP = `Usage: sluice doctor --bucket NAME --origin ORIGIN [options]

Checks everything a browser upload from ORIGIN needs, one line each, ✓ or ✗ with the fix:
  ✓ credentials work (HeadBucket; on failure ListBuckets says why)
  ✓ the bucket has CORS rules, and they are strict (no *, no http://, no wildcard header)
  ✓ a preflight from ORIGIN for PUT with the upload headers passes
  ✓ a signed test upload from ORIGIN succeeds and the page can read the answer
  ✓ its ETag is readable (Access-Control-Expose-Headers)
  ✓ the test object (sluice-check/...) is removed
Exit 1 if any line is ✗.

Options:
  --origin ORIGIN   the page's origin, as the browser sends it: https://app.example.com
  --header NAME     a header the page's PUT sends (repeatable; default the upload API's:
                    ${UPLOAD_HEADERS.join(", ")})
  --json            print the checks as JSON

${STORAGE_HELP}`;

export async function doctorCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      ...STORAGE_OPTIONS,
      origin: { type: "string" },
      header: { type: "string", multiple: true },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(DOCTOR_HELP);
    return 0;
  }
  if (values.origin === undefined) {
    throw new UsageError("give the page's origin: --origin https://app.example.com");
  }
  const origin = checkOrigin(values.origin);
  const target = storageTarget(values);
  const lines = await runCorsChecks({
    target,
    origin,
    method: "PUT",
    headers: headerNames(values.header),
    doctor: true,
  });
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ ok: exitCodeOf(lines) === 0, checks: lines }, null, 2)}\n`,
    );
  } else {
    process.stdout.write(formatChecklist(lines));
  }
  return exitCodeOf(lines);
}
