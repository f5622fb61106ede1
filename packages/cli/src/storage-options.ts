/**
 * What every command that talks to a bucket shares: `--endpoint-url`, `--bucket`,
 * `--region` and credentials from the environment, so one command line works against
 * R2, S3 and the embedded store alike. Anything missing is a usage error naming it.
 */
import type { StorageConfig } from "@sluice/s3/client";
import type { Credentials } from "@sluice/sigv4";
import { UsageError } from "./usage-error.js";

/** `parseArgs` options; spread into a command's own. */
export const STORAGE_OPTIONS = {
  "endpoint-url": { type: "string" },
  bucket: { type: "string" },
  region: { type: "string", default: "auto" },
} as const;

export const STORAGE_HELP = `Storage options:
  --endpoint-url URL   the S3 endpoint: https://ACCOUNT_ID.r2.cloudflarestorage.com,
                       https://s3.REGION.amazonaws.com, or http://127.0.0.1:9000 for
                       sluice store (default: $AWS_ENDPOINT_URL_S3, then $AWS_ENDPOINT_URL)
  --bucket NAME        the bucket
  --region REGION      the signing region (default auto, as R2 wants; S3 wants its own)

Credentials: SLUICE_ACCESS_KEY_ID and SLUICE_SECRET_ACCESS_KEY when both are set, else
AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN, if set).
`;

export interface EnvCredentials {
  readonly credentials: Credentials;
  /** The variable the key id came from, to say which pair was used. */
  readonly source: "SLUICE_ACCESS_KEY_ID" | "AWS_ACCESS_KEY_ID";
}

/**
 * The first complete pair, SLUICE_* before AWS_* (the more specific wins). `undefined`
 * when neither is set; a string saying what is missing when a pair is half set.
 */
export function credentialsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): EnvCredentials | string | undefined {
  for (const prefix of ["SLUICE", "AWS"] as const) {
    const id = env[`${prefix}_ACCESS_KEY_ID`] || undefined;
    const secret = env[`${prefix}_SECRET_ACCESS_KEY`] || undefined;
    if (id === undefined && secret === undefined) continue;
    if (id === undefined)
      return `${prefix}_SECRET_ACCESS_KEY is set but ${prefix}_ACCESS_KEY_ID is not`;
    if (secret === undefined)
      return `${prefix}_ACCESS_KEY_ID is set but ${prefix}_SECRET_ACCESS_KEY is not`;
    const token = prefix === "AWS" ? env.AWS_SESSION_TOKEN || undefined : undefined;
    return {
      credentials: {
        accessKeyId: id,
        secretAccessKey: secret,
        ...(token !== undefined ? { sessionToken: token } : {}),
      },
      source: `${prefix}_ACCESS_KEY_ID`,
    };
  }
  return undefined;
}

export interface StorageTarget {
  readonly config: StorageConfig & { readonly region: string };
  readonly source: EnvCredentials["source"];
}

interface StorageValues {
  readonly "endpoint-url"?: string | undefined;
  readonly bucket?: string | undefined;
  readonly region?: string | undefined;
}

/** The storage to talk to, or a `UsageError` listing everything that is missing. */
export function storageTarget(
  values: StorageValues,
  env: NodeJS.ProcessEnv = process.env,
): StorageTarget {
  const problems: string[] = [];
  const endpoint =
    values["endpoint-url"] || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  if (endpoint === undefined) {
    problems.push(
      "no endpoint: give --endpoint-url (https://ACCOUNT_ID.r2.cloudflarestorage.com for R2, http://127.0.0.1:9000 for sluice store) or set AWS_ENDPOINT_URL",
    );
  } else if (!/^https?:\/\/[^/?#]+/i.test(endpoint)) {
    problems.push(`--endpoint-url must be an http(s) URL, not ${JSON.stringify(endpoint)}`);
  }
  const bucket = values.bucket || undefined;
  if (bucket === undefined) problems.push("no bucket: give --bucket NAME");
  const region = values.region || "auto";
  const found = credentialsFromEnv(env);
  if (found === undefined) {
    problems.push(
      "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or SLUICE_ACCESS_KEY_ID and SLUICE_SECRET_ACCESS_KEY)",
    );
  } else if (typeof found === "string") {
    problems.push(`incomplete credentials: ${found}`);
  }
  if (problems.length > 0 || endpoint === undefined || bucket === undefined) {
    throw new UsageError(problems.join("\n  "));
  }
  const { credentials, source } = found as EnvCredentials;
  return { config: { endpoint, bucket, region, credentials }, source };
}

/** Which CORS validation rules the service behind an endpoint applies. */
export function flavorOf(endpoint: string): "r2" | "s3" {
  return /^https?:\/\/[^/]*\.r2\.cloudflarestorage\.com(?::\d+)?(?:\/|$)/i.test(endpoint)
    ? "r2"
    : "s3";
}

/** `scheme://host[:port]`, as browsers send it: no path, no trailing slash. */
export function checkOrigin(origin: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]+$/.test(origin)) {
    throw new UsageError(
      `--origin ${JSON.stringify(origin)} is not an origin as browsers send it: scheme://host[:port], lower case, no path or trailing slash (e.g. https://app.example.com)`,
    );
  }
  return origin;
}
