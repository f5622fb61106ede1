/**
 * @sluice/cors — S3 bucket CORS rules: the model, its three codecs (S3 XML, AWS CLI /
 * R2 dashboard JSON, Cloudflare API JSON), S3's validation, a strictness lint, and an
 * evaluator that answers preflights and actual requests exactly as S3 does — and says
 * why when it refuses. Pure: no I/O, no Node APIs, no dependencies.
 *
 * Sources:
 * - https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html (evaluation)
 * - https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketCors.html (validation)
 * - https://developers.cloudflare.com/r2/buckets/cors/ (R2's forms and limits)
 * - AWS responses recorded in LocalStack's AWS-validated snapshots
 *   (localstack/localstack, tests/aws/services/s3/test_s3_cors.snapshot.json): the header
 *   set and order, the error codes and messages.
 *
 * Deliberate differences from S3, each explained where it is enforced:
 * - Validation: ID > 255 characters, a MaxAgeSeconds outside 0..2^31-1 and characters
 *   XML cannot carry are MalformedXML; ExposeHeader values must be header-name characters
 *   (InvalidRequest); a configuration over 64 KiB is MaxMessageLengthExceeded.
 * - JSON shape errors are `MalformedJSON` (S3 never sees JSON).
 * - Evaluation: `*` in AllowedOrigin/AllowedHeader matches zero or more characters (AWS
 *   unrecorded; RGW and s3-tests agree); an empty Origin counts as missing; a requested
 *   header name with invalid characters matches no rule, not even `*`.
 * - Refusals carry `reasons`, which S3 does not send.
 *
 * Conventions: every `rule` field is a 0-based index; sentences say "rule N", 1-based.
 */
export {
  type CorsFix,
  describeRule,
  headerList,
  judgePreflightAnswer,
  originHints,
  type PreflightAnswer,
  type RefusedRequest,
  ruleLabel,
  suggestCorsFix,
} from "./advice.js";
export { type AwsJsonOptions, encodeAwsCorsJson, parseAwsCorsJson } from "./aws-json.js";
export { encodeCloudflareCorsJson, parseCloudflareCorsJson } from "./cloudflare-json.js";
export { CompiledCors, type CorsHeader, compileCors, VARY_VALUE } from "./compile.js";
export {
  CorsConfigError,
  type CorsConfigErrorCode,
  MALFORMED_XML_MESSAGE,
} from "./cors-config-error.js";
export { encodeCorsXml, parseCorsXml } from "./cors-xml.js";
export {
  type ActualMatched,
  type ActualRequest,
  type ActualResult,
  type ActualUnmatched,
  type CorsResource,
  evaluateActual,
  evaluatePreflight,
  type PreflightAllowed,
  type PreflightBadRequest,
  type PreflightForbidden,
  type PreflightRefusal,
  type PreflightRequest,
  type PreflightResult,
} from "./evaluate.js";
export {
  DEFAULT_UPLOAD_MAX_AGE_SECONDS,
  type GenerateUploadCorsOptions,
  generateUploadCors,
} from "./generate.js";
export {
  DEFAULT_REQUIRED_HEADERS,
  type LintCode,
  type LintFinding,
  type LintLevel,
  type LintOptions,
  lintCors,
} from "./lint.js";
export {
  CORS_METHODS,
  type CorsConfiguration,
  type CorsConfigurationInput,
  type CorsFlavor,
  type CorsMethod,
  type CorsRule,
  type CorsRuleInput,
  MAX_CONFIGURATION_BYTES,
  MAX_RULE_ID_LENGTH,
  MAX_RULES,
  R2_MAX_AGE_SECONDS,
  S3_XML_NAMESPACE,
} from "./model.js";
export { type CorsJsonForm, detectCorsJsonForm, parseCors, parseCorsJson } from "./parse-cors.js";
export { describeRefusal, type RuleMismatch } from "./reasons.js";
export { type ValidateOptions, validateCors } from "./validate.js";
// The project's one XML reader and escaper. They live here because the CORS codec needs
// them and this package imports nothing; every other reader of S3's XML takes them from
// `@sluice/s3`, which re-exports them with the rest of the wire.
export { readXml, type XmlElement } from "./xml-reader.js";
export { escapeXml } from "./xml-writer.js";
