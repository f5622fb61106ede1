/**
 * Companion's S3 endpoints under the API's base path — `GET {base}/s3/params`,
 * `POST {base}/s3/multipart`, `GET|DELETE {base}/s3/multipart/{uploadId}`,
 * `GET {base}/s3/multipart/{uploadId}/{partNumber}`, `…/batch`, `POST …/complete` and
 * `GET {base}/s3/sts`, which `@uppy/aws-s3` calls given `endpoint:` (Uppy 4, 5) or
 * `companionEndpoint:` (Uppy 6) — are not served. Their requests carry no file size, and
 * Uppy cuts parts by its own rule, so no URL could bind what Sluice's URLs bind (each
 * body's exact length), and Uppy 6 sends files of 5 MiB or less as POST forms, which R2
 * does not accept. `@sluice/uppy` gives Uppy 4, 5 and 6 the native API instead.
 *
 * They answer 404 in both shapes: Sluice's `{ error: { code, message } }`, and
 * Companion's top-level `message`, which Uppy 4 and 5 show to the user for a 4xx
 * (`@uppy/companion-client`'s `UserFacingApiError`).
 */
import { json } from "../endpoints/endpoint.js";

export const COMPANION_REFUSAL =
  "this upload API does not serve Companion's S3 endpoints (its requests carry no file " +
  "size, so no URL could bind one); with Uppy, use @sluice/uppy's SluiceUpload in place " +
  "of @uppy/aws-s3";

/** `/s3` or below it, relative to the base path. */
export function isCompanionPath(subpath: string): boolean {
  return subpath === "/s3" || subpath.startsWith("/s3/");
}

export function companionRefusal(): Response {
  return json(404, {
    error: { code: "not_found", message: COMPANION_REFUSAL },
    message: COMPANION_REFUSAL,
  });
}
