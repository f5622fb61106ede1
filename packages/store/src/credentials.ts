/**
 * The store's credentials: from the environment when set, otherwise a pair generated
 * once per data folder and kept there, so a restarted dev store keeps its keys.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Credentials } from "@sluice/sigv4";

const FILE = "credentials.json";

export type CredentialsSource = "environment" | "generated" | "data folder";

export function resolveCredentials(
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
): { credentials: Credentials; source: CredentialsSource } {
  const accessKeyId = env.SLUICE_ACCESS_KEY_ID;
  const secretAccessKey = env.SLUICE_SECRET_ACCESS_KEY;
  if (accessKeyId && secretAccessKey)
    return { credentials: { accessKeyId, secretAccessKey }, source: "environment" };
  if (accessKeyId || secretAccessKey) {
    throw new Error("set both SLUICE_ACCESS_KEY_ID and SLUICE_SECRET_ACCESS_KEY, or neither");
  }
  const path = join(dataDir, FILE);
  if (existsSync(path)) {
    const stored = JSON.parse(readFileSync(path, "utf8")) as Credentials;
    return {
      credentials: { accessKeyId: stored.accessKeyId, secretAccessKey: stored.secretAccessKey },
      source: "data folder",
    };
  }
  mkdirSync(dataDir, { recursive: true });
  const credentials = {
    accessKeyId: `SLUICE${randomBytes(7).toString("hex").toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString("base64url"),
  };
  writeFileSync(path, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  return { credentials, source: "generated" };
}
