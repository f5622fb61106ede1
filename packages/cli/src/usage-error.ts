/** A command line the CLI cannot act on: exit code 2, with the message and the help. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
