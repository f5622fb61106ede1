/**
 * `complete` and `abort` act on a pending upload, or wait while another caller (another
 * request, a sweeper, another instance) holds its claim, polling the ledger briefly,
 * until the upload has ended; every caller then answers from that same ending.
 */

import type { Intent } from "../../ledger/ledger.js";
import { apiError } from "../api-error.js";
import { type EndpointContext, notFound } from "./endpoint.js";

const POLL_MS = 25;

/**
 * Runs `act` on the intent while it is unfinished (`"busy"`: someone else holds it) and
 * resolves with the intent once it has ended.
 */
export async function awaitOutcome(
  context: EndpointContext,
  id: string,
  act: (intent: Intent) => Promise<"busy" | "ended">,
): Promise<Intent> {
  const deadline = Date.now() + context.completeWaitMs;
  for (;;) {
    const intent = await context.ledger.get(id);
    if (!intent) throw notFound(id);
    if (intent.status !== "pending" && intent.status !== "completing") return intent;
    if ((await act(intent)) === "ended") continue;
    if (Date.now() >= deadline) {
      throw apiError(
        "completion_in_progress",
        "another request is completing this upload; ask again in a moment",
        { "retry-after": "1" },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
