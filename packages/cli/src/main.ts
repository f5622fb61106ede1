/**
 * The `sluice` command. Thin by design: it parses arguments with `node:util` and calls
 * the packages' APIs; every behaviour worth testing lives in a package.
 *
 * Exit codes: 0 ok, 1 a check failed, 2 usage error.
 */
import { readFileSync } from "node:fs";
import { storeCommand } from "./commands/store.js";
import { UsageError } from "./usage-error.js";

const HELP = `sluice — browser uploads straight into S3-compatible storage

Usage: sluice <command> [options]

Commands:
  store                run the embedded S3-compatible store (sluice store --help)
  help                 show this help

Coming in later releases (see the README): dev, cors, presign, explain, doctor.

Options:
  -h, --help           show this help
  -v, --version        print the version
`;

const COMMANDS: Readonly<Record<string, (argv: string[]) => Promise<number>>> = {
  store: storeCommand,
};

const COMING = new Set(["dev", "cors", "presign", "explain", "doctor"]);

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
