/**
 * When a presigned URL stops working, read from its own query (`X-Amz-Date` plus
 * `X-Amz-Expires`), so a failure can be judged without asking anyone. No secrets, no
 * SigV4: the client only reads what the URL says of itself.
 */

/** Epoch milliseconds, or undefined when the URL carries no (readable) expiry. */
export function presignedUrlExpiresAt(url: string): number | undefined {
  let query: URLSearchParams;
  try {
    query = new URL(url).searchParams;
  } catch {
    return undefined;
  }
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(query.get("X-Amz-Date") ?? "");
  const expires = query.get("X-Amz-Expires") ?? "";
  if (!date || !/^\d+$/.test(expires)) return undefined;
  const [, year, month, day, hours, minutes, seconds] = date;
  const signedAt = Date.parse(`${year}-${month}-${day}T${hours}:${minutes}:${seconds}Z`);
  return Number.isNaN(signedAt) ? undefined : signedAt + Number(expires) * 1000;
}
