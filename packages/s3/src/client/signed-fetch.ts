/**
 * One header-signed request to an S3 endpoint, as an operator's tool sends it: SigV4 over
 * the method, URL, headers and (small, in-memory) body, then `fetch`. The S3 client's
 * operations are built on it; it is exported for the odd request they do not cover.
 */
import { type Credentials, sign } from "@sluice/sigv4";

export interface SignedFetchOptions {
  readonly credentials: Credentials;
  /** `auto` (R2's) unless given. */
  readonly region?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Default: now. */
  readonly signingDate?: Date;
  /** No timeout unless given. */
  readonly timeoutMs?: number;
}

export function signedFetch(
  method: string,
  url: string,
  options: SignedFetchOptions,
): Promise<Response> {
  const signed = sign({
    method,
    url,
    credentials: options.credentials,
    region: options.region ?? "auto",
    ...(options.signingDate ? { signingDate: options.signingDate } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.body !== undefined ? { body: options.body } : {}),
  });
  // fetch sets Host itself, to the value signed.
  const { host: _host, ...headers } = signed.headers;
  return fetch(signed.url, {
    method,
    headers,
    ...(options.body !== undefined ? { body: options.body } : {}),
    ...(options.timeoutMs !== undefined ? { signal: AbortSignal.timeout(options.timeoutMs) } : {}),
  });
}
