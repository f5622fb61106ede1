/**
 * Cloudflare's own form, used by the REST API, wrangler and Terraform:
 * `{"rules":[{"id"?,"allowed":{"origins","methods","headers"?},"exposeHeaders"?,
 * "maxAgeSeconds"?}]}`.
 * https://developers.cloudflare.com/r2/buckets/cors/
 * https://developers.cloudflare.com/api/resources/r2/subresources/buckets/subresources/cors/
 *
 * Same model, same validation as the S3 forms; shape errors are `MalformedJSON`.
 */
import {
  compact,
  expectArray,
  expectObject,
  optionalNumber,
  optionalString,
  optionalStrings,
  parseJsonText,
  requiredStrings,
} from "./json-reader.js";
import type { CorsConfiguration, CorsConfigurationInput, CorsRuleInput } from "./model.js";
import { type ValidateOptions, validateCors } from "./validate.js";

export function parseCloudflareCorsJson(
  text: string,
  options: ValidateOptions = {},
): CorsConfiguration {
  return validateCors(readCloudflareCorsJson(parseJsonText(text)), options);
}

export function readCloudflareCorsJson(value: unknown): CorsConfigurationInput {
  const document = expectObject(value, "the document", ["rules"]);
  const rules = expectArray(document.rules, "rules");
  return { rules: rules.map((rule, index) => readRule(rule, `rules[${index}]`)) };
}

function readRule(value: unknown, path: string): CorsRuleInput {
  const rule = expectObject(value, path, ["id", "allowed", "exposeHeaders", "maxAgeSeconds"]);
  const allowedPath = `${path}.allowed`;
  const allowed = expectObject(rule.allowed, allowedPath, ["origins", "methods", "headers"]);
  return {
    id: optionalString(rule, "id", path),
    allowedOrigins: requiredStrings(allowed, "origins", allowedPath),
    allowedMethods: requiredStrings(allowed, "methods", allowedPath),
    allowedHeaders: optionalStrings(allowed, "headers", allowedPath),
    exposeHeaders: optionalStrings(rule, "exposeHeaders", path),
    maxAgeSeconds: optionalNumber(rule, "maxAgeSeconds", path),
  };
}

export function encodeCloudflareCorsJson(config: CorsConfiguration): string {
  const rules = config.rules.map((rule) =>
    compact([
      ["id", rule.id],
      [
        "allowed",
        compact([
          ["origins", rule.allowedOrigins],
          ["methods", rule.allowedMethods],
          ["headers", rule.allowedHeaders],
        ]),
      ],
      ["exposeHeaders", rule.exposeHeaders],
      ["maxAgeSeconds", rule.maxAgeSeconds],
    ]),
  );
  return JSON.stringify({ rules }, null, 2);
}
