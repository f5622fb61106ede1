/**
 * @sluice/s3/diagnose — the project's explanations as library functions, so an app can
 * show what `sluice` prints:
 *
 * - `explainPresignedUrl`: what a URL binds, its traps, and why a request made with it
 *   fails (pure);
 * - `explainS3Error`: S3's `<Error>` answer in words, with what the server signed (pure);
 * - `runCorsChecks`: the checks of `sluice cors check` and `sluice doctor`, against the
 *   real endpoint (credentials, the bucket's rules and their lint, a real preflight, a
 *   real signed upload, ETag exposed, clean-up), each a `CheckLine` with its fix.
 *
 * Judging a preflight answer and suggesting the fix for the rules are `@sluice/cors`'s
 * (`judgePreflightAnswer`, `suggestCorsFix`); an error code's cause and fix are
 * `@sluice/s3`'s table (`helpForS3Error`).
 */
export { type CheckLine, fail, pass } from "./diagnose/checklist.js";
export {
  type CheckTarget,
  type CorsCheckOptions,
  runCorsChecks,
  UPLOAD_HEADERS,
} from "./diagnose/cors-checks.js";
export {
  type ExplainPresignedUrlOptions,
  explainPresignedUrl,
  type PresignedUrlExplanation,
} from "./diagnose/explain-presigned-url.js";
export {
  type ExplainS3ErrorOptions,
  explainS3Error,
  type S3ErrorExplanation,
} from "./diagnose/explain-s3-error.js";
export type {
  DiagnosisFinding,
  FindingLevel,
  RequestSent,
  SigningCredentials,
} from "./diagnose/finding.js";
