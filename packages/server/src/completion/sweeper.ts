/**
 * The sweeper settles what nobody else will: uploads the page did not complete, claims
 * whose holder died, and creates that died half-way. It looks at a pending upload early
 * and then every `settleCheckMs` (a multipart one every `multipartIdleMs`): an object that
 * is there and verifies is completed at once, and `onComplete` runs — the page may have
 * closed right after its PUT — and a multipart upload with no part and no activity is
 * expired. Past the deadline (its URL's expiry plus the grace), anything not there is
 * aborted, removed from the bucket, and marked `expired`. Multipart uploads in the bucket
 * under a route's keys that the ledger does not hold are aborted past `orphanGraceMs`. It also deletes, once more,
 * the key of a single PUT that ended without a file (refused, aborted) while its URL
 * still worked, after that URL has expired. It runs on an interval in
 * each process and once on demand (`sweep()`, `sluice sweep`); claims in the ledger keep
 * two sweepers, or a sweeper and a page, from settling the same upload twice.
 */

import { isUploadGone, type OpenUpload, type S3Api } from "@sluice/s3/client";
import { type Routes, routeNamed } from "../api/route.js";
import { isUploadId } from "../api/upload-id.js";
import type { Intent, Ledger } from "../ledger/ledger.js";
import { type Completer, CompletionHookError } from "./completion.js";

export interface SweepReport {
  readonly completed: string[];
  readonly rejected: string[];
  readonly expired: string[];
  /** Ended without a file while their URL still worked: the key deleted once more. */
  readonly cleaned: string[];
  /** Another caller held them; they are theirs to settle. */
  readonly busy: string[];
  /**
   * Undecided this time (the store unreachable, a hook that threw); tried again later.
   * The id is an upload's, or `ORPHAN_SCAN` when the look for orphans failed.
   */
  readonly failed: { readonly id: string; readonly error: string }[];
  /** Intents of a route this app no longer defines: left pending, looked at hourly. */
  readonly skipped: { readonly id: string; readonly reason: string }[];
  /** Multipart uploads in the store that no intent holds (a create that died): aborted. */
  readonly orphans: { readonly key: string; readonly uploadId: string }[];
}

export interface SweeperOptions {
  readonly ledger: Ledger;
  readonly completer: Completer;
  readonly routes: Routes;
  readonly now: () => Date;
  readonly s3: S3Api;
  /** Past `expiresAt` plus this, an upload is settled for good. */
  readonly sweepGraceMs: number;
  /** How often a pending single PUT is looked at before its deadline. */
  readonly settleCheckMs: number;
  /** How often a pending multipart upload is looked at before its deadline. */
  readonly multipartIdleMs: number;
  /** How old an unknown multipart upload under a route's keys must be to be aborted. */
  readonly orphanGraceMs: number;
  /** How long an intent that failed waits before the next try. Default 60 s. */
  readonly retryMs?: number;
}

const BATCH = 100;
/** In `SweepReport.failed`: the look for multipart uploads that no intent holds. */
export const ORPHAN_SCAN = "multipart uploads under the routes' keys";
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
      orphans: [],
    };
    const seen = new Set<string>();
    for (;;) {
      const due = (await ledger.due(now().getTime(), BATCH)).filter((i) => !seen.has(i.id));
      if (due.length === 0) {
        try {
          await abortOrphans(report);
        } catch (error) {
          report.failed.push({ id: ORPHAN_SCAN, error: messageOf(error) });
        }
        return report;
      }
      for (const intent of due) {
        seen.add(intent.id);
        const unfinished = ["creating", "pending", "completing"].includes(intent.status);
        if (!unfinished) {
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
        const at = now().getTime();
        const deadline = intent.expiresAt + options.sweepGraceMs;
        try {
          const settled = await completer.settle(intent, at >= deadline ? "sweep" : "look");
          if (settled.kind === "not-ready") {
            // Not there yet, and still in time: the next look, never past the deadline.
            const every =
              intent.plan.kind === "multipart" ? options.multipartIdleMs : options.settleCheckMs;
            await ledger.extend(intent.id, intent.expiresAt, Math.min(deadline, at + every));
          } else if (settled.kind === "busy") {
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

  /**
   * Multipart uploads under a route's default keys (`{route}/…/{upload id}{extension}`)
   * that no unfinished intent holds, older than the grace: what a create left when it
   * died before its ledger row (from before `creating` rows), or a store that answered
   * after the sweeper had given up on it.
   */
  async function abortOrphans(report: SweepReport): Promise<void> {
    const cutoff = now().getTime() - options.orphanGraceMs;
    for (const route of Object.keys(options.routes)) {
      const open = await options.s3.listMultipartUploads(`${route}/`);
      for (const upload of open) {
        if (!(upload.initiated.getTime() <= cutoff)) continue;
        const id = uploadIdOfKey(upload.key);
        if (id === undefined) continue;
        if (holds(await ledger.get(id), upload)) continue;
        try {
          await options.s3.abortMultipartUpload(upload.key, upload.uploadId);
        } catch (error) {
          if (!isUploadGone(error)) throw error;
        }
        report.orphans.push({ key: upload.key, uploadId: upload.uploadId });
      }
    }
  }
}

/** The intent is still using this very upload (or may yet: its create is under way). */
function holds(intent: Intent | undefined, upload: OpenUpload): boolean {
  if (intent?.plan.kind !== "multipart") return false;
  if (intent.status === "creating") return true;
  const unfinished = intent.status === "pending" || intent.status === "completing";
  return unfinished && intent.plan.uploadId === upload.uploadId;
}

/** The upload id a default key ends with, before the extension. */
function uploadIdOfKey(key: string): string | undefined {
  const last = key.slice(key.lastIndexOf("/") + 1);
  const dot = last.indexOf(".");
  const stem = dot === -1 ? last : last.slice(0, dot);
  return isUploadId(stem) ? stem : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
