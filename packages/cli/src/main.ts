/**
 * The `sluice` command. Thin by design: it parses arguments with `node:util`
 * and calls the packages' APIs; every behaviour worth testing lives in a package.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const HELP = `sluice — browser uploads straight into S3-compatible storage

Usage: sluice <command> [options]

Commands:
  help                 show this help

Coming in later releases (see the README): dev, store, cors, presign, explain, doctor.

Options:
  -h, --help           show this help
  -v, --version        print the version
`;

const COMING = new Set(["dev", "store", "cors", "presign", "explain", "doctor"]);

/** Exit codes: 0 ok, 1 a check failed, 2 usage error. */
export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseTop>;
  try {
    parsed = parseTop(argv);
  } catch (error) {
    process.stderr.write(`sluice: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const [command] = positionals;
  if (values.help || command === undefined || command === "help") {
    process.stdout.write(HELP);
    return 0;
  }
  if (COMING.has(command)) {
    process.stdout.write(
      `sluice ${command} is not there yet: the embedded store, the upload API and the demo page come next (see the README's "Status").\n`,
    );
    return 0;
  }
  process.stderr.write(`sluice: unknown command "${command}"\n\n${HELP}`);
  return 2;
}

function parseTop(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
    },
  });
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  return String(pkg.version);
}
