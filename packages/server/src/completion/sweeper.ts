/**
 * The sweeper settles what nobody else will: pending intents past their deadline, and
 * claims whose holder died. An object that is there and verifies is completed, and
 * `onComplete` runs — the page may have closed right after its PUT — while anything else
 * is aborted, removed from the bucket, and marked `expired`. It also deletes, once more,
 * the key of a single PUT that ended without a file (refused, aborted) while its URL
 * still worked, after that URL has expired. It runs on an interval in
 * each process and once on demand (`sweep()`, `sluice sweep`); claims in the ledger keep
 * two sweepers, or a sweeper and a page, from settling the same upload twice.
 */

import { type Routes, routeNamed } from "../api/route.js";
import type { Ledger } from "../ledger/ledger.js";
import { type Completer, CompletionHookError } from "./completion.js";

export interface SweepReport {
  readonly completed: string[];
  readonly rejected: string[];
  readonly expired: string[];
  /** Ended without a file while their URL still worked: the key deleted once more. */
  readonly cleaned: string[];
  /** Another caller held them; they are theirs to settle. */
  readonly busy: string[];
  /** Undecided this time (the store unreachable, a hook that threw); tried again later. */
  readonly failed: { readonly id: string; readonly error: string }[];
  /** Intents of a route this app no longer defines: left pending, looked at hourly. */
  readonly skipped: { readonly id: string; readonly reason: string }[];
}

export interface SweeperOptions {
  readonly ledger: Ledger;
  readonly completer: Completer;
  readonly routes: Routes;
  readonly now: () => Date;
  /** How long an intent that failed waits before the next try. Default 60 s. */
  readonly retryMs?: number;
}

const BATCH = 100;
const SKIPPED_RETRY_MS = 60 * 60 * 1000;

export function createSweeper(options: SweeperOptions): () => Promise<SweepReport> {
  const { ledger, completer, now } = options;
  const retryMs = options.retryMs ?? 60_000;

  return async function sweep() {
    const report: SweepReport = {
      completed: [],
      rejected: [],
      expired: [],
      cleaned: [],
      busy: [],
      failed: [],
      skipped: [],
    };
    const seen = new Set<string>();
    for (;;) {
      const due = (await ledger.due(now().getTime(), BATCH)).filter((i) => !seen.has(i.id));
      if (due.length === 0) return report;
      for (const intent of due) {
        seen.add(intent.id);
        if (intent.status !== "pending" && intent.status !== "completing") {
          try {
            await completer.cleanup(intent);
            report.cleaned.push(intent.id);
          } catch (error) {
            report.failed.push({ id: intent.id, error: messageOf(error) });
          }
          continue;
        }
        if (!routeNamed(options.routes, intent.route)) {
          report.skipped.push({ id: intent.id, reason: `no route named ${intent.route}` });
          await ledger.extend(intent.id, intent.expiresAt, now().getTime() + SKIPPED_RETRY_MS);
          continue;
        }
        try {
          const settled = await completer.settle(intent, "sweep");
          if (settled.kind === "busy" || settled.kind === "not-ready") {
            report.busy.push(intent.id);
          } else if (settled.outcome.status === "complete") {
            report.completed.push(intent.id);
          } else if (settled.outcome.status === "rejected") {
            report.rejected.push(intent.id);
          } else {
            report.expired.push(intent.id);
          }
        } catch (error) {
          report.failed.push({ id: intent.id, error: messageOf(error) });
          // A failed hook waits for its claim to lapse; anything else, for `retryMs`.
          if (!(error instanceof CompletionHookError)) {
            await ledger.extend(intent.id, intent.expiresAt, now().getTime() + retryMs);
          }
        }
      }
    }
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
