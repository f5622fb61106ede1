/**
 * The AWS CLI's JSON form (`aws s3api put-bucket-cors --cors-configuration`, and what
 * `get-bucket-cors` prints): `{"CORSRules":[{"ID","AllowedOrigins","AllowedMethods",
 * "AllowedHeaders","ExposeHeaders","MaxAgeSeconds"}]}`; also the R2 dashboard's JSON tab,
 * which is the bare rule array `[{"AllowedOrigins":…}]`.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/ManageCorsUsing.html
 * https://developers.cloudflare.com/r2/buckets/cors/
 *
 * Shape errors are `MalformedJSON` (ours; S3 never sees JSON); values are validated as
 * PutBucketCors validates them, with S3's codes.
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

const RULE_KEYS = [
  "ID",
  "AllowedOrigins",
  "AllowedMethods",
  "AllowedHeaders",
  "ExposeHeaders",
  "MaxAgeSeconds",
] as const;

/** Parses `{"CORSRules":[…]}` or a bare rule array, and validates it. */
export function parseAwsCorsJson(text: string, options: ValidateOptions = {}): CorsConfiguration {
  return validateCors(readAwsCorsJson(parseJsonText(text)), options);
}

export function readAwsCorsJson(value: unknown): CorsConfigurationInput {
  const rules = Array.isArray(value)
    ? value
    : expectArray(expectObject(value, "the document", ["CORSRules"]).CORSRules, "CORSRules");
  return { rules: rules.map((rule, index) => readRule(rule, `CORSRules[${index}]`)) };
}

function readRule(value: unknown, path: string): CorsRuleInput {
  const rule = expectObject(value, path, RULE_KEYS);
  return {
    id: optionalString(rule, "ID", path),
    allowedOrigins: requiredStrings(rule, "AllowedOrigins", path),
    allowedMethods: requiredStrings(rule, "AllowedMethods", path),
    allowedHeaders: optionalStrings(rule, "AllowedHeaders", path),
    exposeHeaders: optionalStrings(rule, "ExposeHeaders", path),
    maxAgeSeconds: optionalNumber(rule, "MaxAgeSeconds", path),
  };
}

export interface AwsJsonOptions {
  /** The R2 dashboard's bare array instead of `{"CORSRules":[…]}`. */
  bareArray?: boolean;
}

/** Pretty-printed, with empty lists and unset fields left out, as the AWS CLI prints. */
export function encodeAwsCorsJson(config: CorsConfiguration, options: AwsJsonOptions = {}): string {
  const rules = config.rules.map((rule) =>
    compact([
      ["ID", rule.id],
      ["AllowedOrigins", rule.allowedOrigins],
      ["AllowedMethods", rule.allowedMethods],
      ["AllowedHeaders", rule.allowedHeaders],
      ["ExposeHeaders", rule.exposeHeaders],
      ["MaxAgeSeconds", rule.maxAgeSeconds],
    ]),
  );
  return JSON.stringify(options.bareArray ? rules : { CORSRules: rules }, null, 2);
}
