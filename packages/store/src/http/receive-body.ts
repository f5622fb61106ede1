/**
 * A request body received as an object's bytes — the shared heart of PutObject and
 * UploadPart: the body streams to a temporary blob while MD5 (the ETag) and every
 * claimed checksum are computed; the claims are checked; a body that fails them is
 * discarded before anyone can see it.
 */
import {
  type ChecksumAlgorithm,
  Digests,
  type FinishedDigests,
  isChecksumAlgorithm,
} from "../checksums.js";
import type { PendingBody } from "../storage/object-storage.js";
import { algorithmsFor, checkClaims, readClaims } from "./integrity.js";
import type { OperationContext } from "./operation.js";
import { RequestBody } from "./request-body.js";

export interface ReceivedBody<B extends PendingBody> {
  readonly body: B;
  readonly digests: FinishedDigests;
}

/**
 * `write` takes the body's chunks where they are kept until the commit (an object's
 * body may stay in memory when small, a part's goes to a file); `alsoCompute`: an
 * algorithm to compute even unclaimed (a multipart upload's own).
 */
export async function receiveBody<B extends PendingBody>(
  context: OperationContext,
  write: (chunks: AsyncIterable<Uint8Array>) => Promise<B>,
  alsoCompute?: string,
): Promise<ReceivedBody<B>> {
  const { request, verified, storage } = context;
  const claims = readClaims(request, verified);
  const body = new RequestBody(request, verified, context.flavor.maxPutBytes);
  const algorithms = new Set<ChecksumAlgorithm>(algorithmsFor(claims));
  if (alsoCompute !== undefined && isChecksumAlgorithm(alsoCompute)) algorithms.add(alsoCompute);
  const digests = new Digests(algorithms, { sha256Hex: claims.sha256Hex !== undefined });
  const received = await write(tap(body.chunks(), digests));
  const finished = digests.finish();
  try {
    checkClaims(claims, finished, body.trailers);
  } catch (error) {
    await storage.discard(received);
    throw error;
  }
  return { body: received, digests: finished };
}

/** The response headers of a stored body: its ETag and the checksums computed over it. */
export function storedBodyHeaders(etag: string, digests: FinishedDigests): Record<string, string> {
  const headers: Record<string, string> = { etag: `"${etag}"` };
  for (const [algorithm, value] of Object.entries(digests.checksums))
    headers[`x-amz-checksum-${algorithm}`] = value;
  return headers;
}

/** Passes chunks through, feeding each to the digests on the way. */
export async function* tap(
  source: AsyncIterable<Uint8Array>,
  digests: Digests,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    digests.update(chunk);
    yield chunk;
  }
}
