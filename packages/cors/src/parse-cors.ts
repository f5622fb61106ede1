/**
 * One entry point for a configuration whose form is not known in advance (a file given
 * to the CLI, a body the store receives): XML by its `<`, then the JSON form by its shape.
 */
import { readAwsCorsJson } from "./aws-json.js";
import { readCloudflareCorsJson } from "./cloudflare-json.js";
import { malformedJson } from "./cors-config-error.js";
import { parseCorsXml } from "./cors-xml.js";
import { isJsonObject, parseJsonText } from "./json-reader.js";
import type { CorsConfiguration } from "./model.js";
import { type ValidateOptions, validateCors } from "./validate.js";

export type CorsJsonForm = "aws" | "r2-dashboard" | "cloudflare";

/** Which JSON form a parsed value is, by its outermost shape; undefined when none. */
export function detectCorsJsonForm(value: unknown): CorsJsonForm | undefined {
  if (Array.isArray(value)) return "r2-dashboard";
  if (!isJsonObject(value)) return undefined;
  if ("CORSRules" in value) return "aws";
  if ("rules" in value) return "cloudflare";
  return undefined;
}

/** Parses any of the three JSON forms and validates it. */
export function parseCorsJson(text: string, options: ValidateOptions = {}): CorsConfiguration {
  const value = parseJsonText(text);
  switch (detectCorsJsonForm(value)) {
    case "aws":
    case "r2-dashboard":
      return validateCors(readAwsCorsJson(value), options);
    case "cloudflare":
      return validateCors(readCloudflareCorsJson(value), options);
    default:
      throw malformedJson(
        'expected {"CORSRules":[…]} (AWS CLI), [{"AllowedOrigins":…}] (R2 dashboard) or {"rules":[…]} (Cloudflare API)',
      );
  }
}

/** XML when the text starts with `<`, any JSON form otherwise. */
export function parseCors(text: string, options: ValidateOptions = {}): CorsConfiguration {
  return /^\uFEFF?\s*</.test(text) ? parseCorsXml(text, options) : parseCorsJson(text, options);
}
