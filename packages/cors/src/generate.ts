/**
 * The smallest configuration that lets a browser upload through Sluice, and nothing more:
 * PUT (plus GET and HEAD when the page also reads), only the headers uploads send,
 * ETag exposed for multipart completion, and a preflight cached for an hour.
 * It is validated with R2's rules, which are S3's plus more, so it applies to both, and
 * it passes `lintCors` without errors — inputs that would break that are refused.
 */
import { DEFAULT_REQUIRED_HEADERS, lintCors } from "./lint.js";
import type { CorsConfiguration, CorsMethod } from "./model.js";
import { validateCors } from "./validate.js";

export interface GenerateUploadCorsOptions {
  /** The app's origins, exactly as browsers send them: `https://app.example.com`. */
  origins: readonly string[];
  /** Also allow GET and HEAD, for pages that read the objects back. */
  read?: boolean;
  /** Headers the upload API signs beyond content-type (e.g. `x-amz-meta-owner`). */
  headers?: readonly string[];
  /** Default 3600: one preflight per hour per URL instead of one per upload. */
  maxAgeSeconds?: number;
  /** Default "sluice-uploads". */
  id?: string;
}

export const DEFAULT_UPLOAD_MAX_AGE_SECONDS = 3600;

export function generateUploadCors(options: GenerateUploadCorsOptions): CorsConfiguration {
  if (options.origins.length === 0) {
    throw new RangeError("generateUploadCors needs at least one origin");
  }
  const headers = [...DEFAULT_REQUIRED_HEADERS];
  for (const header of options.headers ?? []) {
    if (!headers.some((h) => h.toLowerCase() === header.toLowerCase())) headers.push(header);
  }
  const methods: CorsMethod[] = options.read ? ["PUT", "GET", "HEAD"] : ["PUT"];
  const config = validateCors(
    {
      rules: [
        {
          id: options.id ?? "sluice-uploads",
          allowedOrigins: [...new Set(options.origins)],
          allowedMethods: methods,
          allowedHeaders: headers,
          exposeHeaders: ["ETag"],
          maxAgeSeconds: options.maxAgeSeconds ?? DEFAULT_UPLOAD_MAX_AGE_SECONDS,
        },
      ],
    },
    { flavor: "r2" },
  );
  const errors = lintCors(config, { requiredHeaders: headers }).filter((f) => f.level === "error");
  if (errors.length > 0) {
    throw new RangeError(
      `refusing to generate a configuration that fails lint:\n${errors.map((f) => `  - ${f.code}: ${f.message}`).join("\n")}`,
    );
  }
  return config;
}
