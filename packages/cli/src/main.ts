/**
 * The `sluice` command. Thin by design: it parses arguments with `node:util` and calls
 * the packages' APIs; every behaviour worth testing lives in a package.
 *
 * Exit codes: 0 ok, 1 a check failed, 2 usage error.
 */
import { readFileSync } from "node:fs";
import { corsCommand } from "./commands/cors.js";
import { devCommand } from "./commands/dev.js";
import { doctorCommand } from "./commands/doctor.js";
import { explainCommand } from "./commands/explain.js";
import { presignCommand } from "./commands/presign.js";
import { storeCommand } from "./commands/store.js";
import { sweepCommand } from "./commands/sweep.js";
import { UsageError } from "./usage-error.js";

const HELP = `sluice — browser uploads straight into S3-compatible storage

Usage: sluice <command> [options]

Commands:
  dev                  run the demo: page, upload API and store (sluice dev --help)
  store                run the embedded S3-compatible store (sluice store --help)
  cors                 put, get, delete, generate or check a bucket's CORS rules
  presign              print a presigned PUT or GET URL and the headers to send with it
  explain              say why a presigned URL or a signed request was refused
  doctor               check a bucket for browser uploads from an origin, with fixes
  sweep                run the upload API's sweeper once (sluice sweep --app MODULE)
  help                 show this help

Options:
  -h, --help           show this help
  -v, --version        print the version
`;

const COMMANDS: Readonly<Record<string, (argv: string[]) => Promise<number>>> = {
  dev: devCommand,
  store: storeCommand,
  cors: corsCommand,
  presign: presignCommand,
  explain: explainCommand,
  doctor: doctorCommand,
  sweep: sweepCommand,
};

const COMING = new Set<string>();

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    process.stdout.write(HELP);
    return 0;
  }
  if (command === "--version" || command === "-v") {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const run = COMMANDS[command];
  if (run) {
    try {
      return await run(rest);
    } catch (error) {
      if (
        error instanceof UsageError ||
        (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
      ) {
        process.stderr.write(`sluice ${command}: ${(error as Error).message}\n`);
        return 2;
      }
      throw error;
    }
  }
  if (COMING.has(command)) {
    process.stdout.write(
      `sluice ${command} is not there yet: the upload API, the demo page and the operator commands come next (see the README's "Status").\n`,
    );
    return 0;
  }
  process.stderr.write(`sluice: unknown command "${command}"\n\n${HELP}`);
  return 2;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  return String(pkg.version);
}
