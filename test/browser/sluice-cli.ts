/** `sluice` from its TypeScript sources, for tests that run the command itself. */
import { main } from "@sluice/cli";

process.exitCode = await main(process.argv.slice(2));
