/** Arguments that name their content the AWS CLI's way: `file://path`, or `-` for stdin. */
import { readFileSync } from "node:fs";
import { UsageError } from "./usage-error.js";

/**
 * The text an argument stands for: `file://cors.json` and `fileb://cors.json` (relative
 * to the working folder, as the AWS CLI reads them), `-` for standard input, otherwise
 * the argument itself when `inline` allows it.
 */
export async function readArgument(
  value: string,
  flag: string,
  options: { inline: boolean },
): Promise<string> {
  if (value === "-") return readStdin();
  const path = /^fileb?:\/\/(.+)$/.exec(value)?.[1];
  if (path === undefined && options.inline) return value;
  const file = path ?? value;
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `${flag}: cannot read ${file}${code === "ENOENT" ? ": no such file" : `: ${(error as Error).message}`}`,
    );
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
