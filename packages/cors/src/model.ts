/**
 * The bucket CORS configuration as S3 models it (`CORSConfiguration` / `CORSRule`).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CORSRule.html
 *
 * Field names are the S3 element names in camel case; lists keep configuration order,
 * because S3 answers with `AllowedMethods` and `ExposeHeaders` in that order and uses
 * the first rule that matches.
 */

/** The only methods S3 accepts in `AllowedMethod`, compared case-sensitively. */
export type CorsMethod = "GET" | "PUT" | "POST" | "DELETE" | "HEAD";

export const CORS_METHODS: readonly CorsMethod[] = ["GET", "PUT", "POST", "DELETE", "HEAD"];

export interface CorsRule {
  id?: string;
  allowedOrigins: string[];
  allowedMethods: CorsMethod[];
  /** Original case is kept (GetBucketCors returns it); matching ignores case. */
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
}

export interface CorsConfiguration {
  rules: CorsRule[];
}

/** What a codec or a caller hands to validation: methods are still unchecked strings. */
export interface CorsRuleInput {
  id?: string | undefined;
  allowedOrigins: readonly string[];
  allowedMethods: readonly string[];
  allowedHeaders?: readonly string[] | undefined;
  exposeHeaders?: readonly string[] | undefined;
  maxAgeSeconds?: number | undefined;
}

export interface CorsConfigurationInput {
  rules: readonly CorsRuleInput[];
}

/** Which service's rules validation enforces; R2 adds its own on top of S3's. */
export type CorsFlavor = "s3" | "r2";

/** "Each configuration can have up to 100 rules." (AWS user guide, cors.html) */
export const MAX_RULES = 100;
/** "The size of the CORS configuration is limited to 64 KB." (AWS user guide) */
export const MAX_CONFIGURATION_BYTES = 65_536;
/** CORSRule `ID`: "The value cannot be longer than 255 characters." (API_CORSRule) */
export const MAX_RULE_ID_LENGTH = 255;
/** R2's API schema caps `maxAgeSeconds` at one day. */
export const R2_MAX_AGE_SECONDS = 86_400;
/** `MaxAgeSeconds` is an xsd:int in S3's schema. */
export const MAX_AGE_SECONDS_LIMIT = 2_147_483_647;

/** The namespace S3 puts on `CORSConfiguration`. */
export const S3_XML_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/";
