/**
 * Bringing an intent to its end, the same way whether the page asked (`complete`), the
 * sweeper found it due, or the user gave up (`abort`):
 *
 * 1. Claim it in the ledger. Exactly one caller holds the claim; the rest are told
 *    `busy` and wait for the outcome, so `onComplete` runs once even when five requests
 *    and a sweeper on another instance arrive together. The holder renews its lease
 *    every third of it while it works, so a slow verification or hook is never taken
 *    over while its holder lives; a holder that finds its claim gone (it could not renew
 *    in time, or another took it) stops before the hook and before recording, and the
 *    ledger checks its token in the statement that records.
 * 2. For a multipart upload, complete it ourselves from the store's own part list (never
 *    the page's ETags), once every planned part is there at its planned size, with
 *    `If-None-Match: *`.
 * 3. Verify the object (`verify-object.ts`). A refused object is deleted; the intent ends
 *    `rejected` with the reason.
 * 4. Keep the verified record, run `onComplete`, then end the intent `complete`, with the
 *    route's `onCompleteInTransaction` in that same transaction. If a hook throws, the
 *    claim is left to lapse and the hooks are retried from the kept record.
 *
 * Anything undecided (not uploaded yet, the store unreachable) releases the claim: the
 * intent is `pending` again, for the next `complete` or the sweeper. The sweeper settles
 * for good only after an upload's deadline (`sweep`); before it, it looks (`look`): an
 * object that is there is settled at once, a multipart upload idle with no part is
 * expired, and anything else waits. A `creating` intent whose create died is cleaned up:
 * the store's multipart uploads at its key are aborted.
 */

import { unquoteEtag } from "@sluice/s3";
import {
  isS3RequestError,
  isUploadGone,
  type S3Api,
  S3RequestError,
  type StoredPart,
} from "@sluice/s3/client";
import { partSizeOf } from "../api/plan.js";
import { type Routes, routeNamed, type UploadUser } from "../api/route.js";
import type { Intent, Ledger, Outcome } from "../ledger/ledger.js";
import type { FileRecord } from "../protocol.js";
import { verifyObject } from "../verification/verify-object.js";

/** How long a claim holds before another caller may take it over. */
export const DEFAULT_LEASE_MS = 2 * 60 * 1000;

/**
 * Who is settling: the page may be told "not yet"; the sweeper, past the deadline, decides
 * for good; before it, the sweeper only looks.
 */
export type SettleMode = "complete" | "sweep" | "look";

export type Settled =
  | { readonly kind: "ended"; readonly outcome: Outcome }
  /** Not decided: the intent is pending again. */
  | {
      readonly kind: "not-ready";
      readonly code: "not_uploaded" | "parts_missing";
      readonly message: string;
    }
  /** Another caller holds the claim. */
  | { readonly kind: "busy" };

export interface CompleterOptions {
  readonly s3: S3Api;
  readonly ledger: Ledger;
  readonly routes: Routes;
  readonly now: () => Date;
  readonly leaseMs: number;
  /** A multipart upload lapses this long after its last request for part URLs. */
  readonly multipartTtlMs: number;
  /** A multipart upload with no part and no request for this long is expired early. */
  readonly multipartIdleMs: number;
}

/** A claim while it is held: its lease renewed until `stop`. */
interface Claim {
  readonly token: string;
  /** Still ours: renewed in time and not taken. Checked before each step that acts. */
  held(): boolean;
  stop(): void;
}

export interface Completer {
  /** Deletes the key of an ended intent whose `cleanupAt` has come. */
  cleanup(intent: Intent): Promise<void>;
  settle(
    intent: Intent,
    mode: SettleMode,
    pagePartEtags?: ReadonlyMap<number, string>,
  ): Promise<Settled>;
  /** Ends a pending upload as `aborted`, cleaning the store; `busy` if it is being completed. */
  abort(intent: Intent): Promise<Settled>;
}

export function createCompleter(options: CompleterOptions): Completer {
  const { s3, ledger, now } = options;
  const ms = () => now().getTime();

  async function claim(id: string): Promise<Claim | undefined> {
    const leaseMs = options.leaseMs;
    let until = ms() + leaseMs;
    const token = await ledger.claim(id, ms(), until);
    if (token === undefined) return undefined;
    let lost = false;
    let renewing = false;
    const timer = setInterval(
      async () => {
        if (renewing || lost) return;
        renewing = true;
        const next = ms() + leaseMs;
        try {
          if (await ledger.renew(id, token, next)) until = next;
          else lost = true;
        } catch {
          // The ledger unreachable: try again next tick; `held` turns false at `until`.
        } finally {
          renewing = false;
        }
      },
      Math.max(Math.floor(leaseMs / 3), 10),
    );
    timer.unref?.();
    return {
      token,
      held: () => !lost && ms() < until,
      stop: () => clearInterval(timer),
    };
  }

  async function end(intent: Intent, token: string, outcome: Outcome): Promise<Settled> {
    // A single PUT's URL can still create an object at the key until it expires (a
    // refused file PUT again, a PUT that lands after an abort): the sweeper deletes the
    // key once more after that. Part URLs die with their aborted or completed upload.
    const final =
      outcome.status !== "complete" && intent.plan.kind === "single" && ms() < intent.sweepAt
        ? { ...outcome, cleanupAt: intent.sweepAt }
        : outcome;
    const ended = await ledger.finish(intent.id, token, final, ms());
    return ended ? { kind: "ended", outcome: final } : { kind: "busy" };
  }

  /** Removes whatever the store holds for the intent; what is already gone is fine. */
  async function clean(intent: Intent): Promise<void> {
    if (intent.plan.kind === "multipart") {
      await ignoreMissing(s3.abortMultipartUpload(intent.key, intent.plan.uploadId));
    }
    await s3.deleteObject(intent.key);
  }

  async function runHook(intent: Intent, claim: Claim, record: FileRecord): Promise<Settled> {
    const { token } = claim;
    const route = routeNamed(options.routes, intent.route);
    // The hook may fail; the record is kept first so that a retry starts from here.
    if (!(await ledger.saveRecord(intent.id, token, record))) return { kind: "busy" };
    // The user `authorize` returned when the upload was created, kept in the ledger.
    const event = { upload: record, user: intent.user as UploadUser, idempotencyKey: intent.id };
    if (!claim.held()) return { kind: "busy" };
    try {
      await route?.onComplete?.(event);
    } catch (error) {
      throw new CompletionHookError(intent.id, error);
    }
    if (!claim.held()) return { kind: "busy" };
    const inTransaction = route?.onCompleteInTransaction;
    const ended = await ledger.finish(
      intent.id,
      token,
      { status: "complete", record },
      ms(),
      inTransaction &&
        (async (transaction) => {
          try {
            await inTransaction(event, transaction);
          } catch (error) {
            throw new CompletionHookError(intent.id, error);
          }
        }),
    );
    return ended ? { kind: "ended", outcome: { status: "complete", record } } : { kind: "busy" };
  }

  /**
   * Completes the store's multipart upload from its own part list. `undefined` when done
   * (or done before: a previous holder may have completed it and then died).
   */
  async function completeParts(
    intent: Intent,
    mode: SettleMode,
    pagePartEtags: ReadonlyMap<number, string> | undefined,
  ): Promise<
    | { kind: "refused"; message: string }
    | { kind: "not-ready"; message: string; partsStored: number }
    | undefined
  > {
    if (intent.plan.kind !== "multipart") return undefined;
    const plan = intent.plan;
    let stored: StoredPart[];
    try {
      stored = await s3.listParts(intent.key, plan.uploadId);
    } catch (error) {
      if (isUploadGone(error)) return undefined;
      throw error;
    }
    const byNumber = new Map(stored.map((part) => [part.partNumber, part]));
    const missing: number[] = [];
    const chosen: StoredPart[] = [];
    // No plan (`partCount` 0: Uppy cut the parts, through Companion's endpoints): the
    // parts are the page's list when it gave one, else the store's, and must run 1..N.
    const planned = intent.size !== undefined && plan.partCount > 0;
    const partCount = planned
      ? plan.partCount
      : pagePartEtags && pagePartEtags.size > 0
        ? Math.max(...pagePartEtags.keys())
        : Math.max(0, ...byNumber.keys());
    if (partCount === 0) {
      return { kind: "not-ready", message: "no part is uploaded", partsStored: 0 };
    }
    // Without a plan, only the page knows when its last part is in: never guessed.
    if (!planned && mode !== "complete") {
      return {
        kind: "not-ready",
        message: "the page never completed it",
        partsStored: stored.length,
      };
    }
    for (let n = 1; n <= partCount; n++) {
      const part = byNumber.get(n);
      if (!part) {
        missing.push(n);
        continue;
      }
      const size = planned ? partSizeOf(plan, intent.size as number, n) : part.size;
      // The part URLs bind each part's length, so this means a store that ignored it.
      if (part.size !== size) {
        return {
          kind: "refused",
          message: `part ${n} has ${part.size} bytes where the plan says ${size}`,
        };
      }
      const seen = pagePartEtags?.get(n);
      if (seen !== undefined && unquoteEtag(seen) !== part.etag) {
        return {
          kind: "not-ready",
          message: `part ${n} in the store has ETag ${part.etag}, not ${seen} as the page saw it; upload it again or complete without parts`,
          partsStored: stored.length,
        };
      }
      chosen.push(part);
    }
    if (missing.length > 0) {
      const shown = missing.slice(0, 10).join(", ") + (missing.length > 10 ? ", …" : "");
      return {
        kind: "not-ready",
        message: `${missing.length} of ${partCount} parts are not uploaded (${shown})${mode === "complete" ? "; upload them, then complete again" : ""}`,
        partsStored: stored.length,
      };
    }
    try {
      await s3.completeMultipartUpload(intent.key, plan.uploadId, chosen);
    } catch (error) {
      // Completed before (the upload is gone), or the key is taken (PreconditionFailed,
      // with If-None-Match: *): either way, what is at the key is what gets verified.
      if (!isUploadGone(error) && !isS3RequestError(error, "PreconditionFailed")) throw error;
    }
    return undefined;
  }

  /** A create that died between its ledger row and its answer: abort what it made. */
  async function endDeadCreate(intent: Intent, token: string): Promise<Settled> {
    for (const upload of await s3.listMultipartUploads(intent.key)) {
      if (upload.key === intent.key) {
        await ignoreMissing(s3.abortMultipartUpload(upload.key, upload.uploadId));
      }
    }
    return end(intent, token, {
      status: "expired",
      error: "its creation never finished; whatever the store had begun was aborted",
    });
  }

  async function decide(
    intent: Intent,
    claim: Claim,
    mode: SettleMode,
    pagePartEtags: ReadonlyMap<number, string> | undefined,
  ): Promise<Settled> {
    const { token } = claim;
    if (intent.record) return runHook(intent, claim, intent.record);
    if (intent.plan.kind === "multipart" && intent.plan.uploadId === "") {
      return endDeadCreate(intent, token);
    }

    const parts = await completeParts(intent, mode, pagePartEtags);
    if (parts?.kind === "refused") {
      await clean(intent);
      return end(intent, token, { status: "rejected", error: parts.message });
    }
    if (parts?.kind === "not-ready") {
      // Idle: no part, and no request for part URLs, for `multipartIdleMs`.
      const lastActive = intent.expiresAt - options.multipartTtlMs;
      const idle = parts.partsStored === 0 && ms() - lastActive >= options.multipartIdleMs;
      if (mode === "sweep" || (mode === "look" && idle)) {
        await clean(intent);
        return end(intent, token, {
          status: "expired",
          error: `expired before it was complete: ${parts.message}`,
        });
      }
      await ledger.release(intent.id, token);
      return { kind: "not-ready", code: "parts_missing", message: parts.message };
    }

    const route = routeNamed(options.routes, intent.route);
    const verification = await verifyObject(s3, intent, route?.allowHeaders, route);
    switch (verification.kind) {
      case "missing":
        if (mode === "sweep") {
          await clean(intent);
          return end(intent, token, {
            status: "expired",
            error: "expired before the file was uploaded",
          });
        }
        await ledger.release(intent.id, token);
        return {
          kind: "not-ready",
          code: "not_uploaded",
          message: `nothing has been uploaded to ${intent.key} yet: PUT the file, then complete`,
        };
      case "refused":
        await s3.deleteObject(intent.key);
        return end(intent, token, {
          status: "rejected",
          error: `${verification.reason}; the upload was deleted`,
        });
      case "verified":
        return runHook(intent, claim, {
          id: intent.id,
          key: intent.key,
          route: intent.route,
          name: intent.name,
          type: intent.type,
          size: verification.size,
          etag: verification.etag,
          ...(verification.sha256 !== undefined ? { sha256: verification.sha256 } : {}),
          ...(Object.keys(intent.metadata).length > 0 ? { metadata: intent.metadata } : {}),
          createdAt: new Date(intent.createdAt).toISOString(),
          completedAt: now().toISOString(),
        });
    }
  }

  return {
    async cleanup(intent) {
      await s3.deleteObject(intent.key);
      await ledger.cleaned(intent.id);
    },

    async settle(intent, mode, pagePartEtags) {
      const claimed = await claim(intent.id);
      if (claimed === undefined) return { kind: "busy" };
      try {
        // Read again under the claim: a previous holder may have kept a verified record.
        const held = (await ledger.get(intent.id)) ?? intent;
        return await decide(held, claimed, mode, pagePartEtags);
      } catch (error) {
        // A failed hook leaves the claim to lapse, so the hook is retried from the kept
        // record; anything else (the store unreachable) is undecided: pending again.
        if (!(error instanceof CompletionHookError)) {
          await ledger.release(intent.id, claimed.token);
        }
        throw error;
      } finally {
        claimed.stop();
      }
    },

    async abort(intent) {
      const claimed = await claim(intent.id);
      if (claimed === undefined) return { kind: "busy" };
      const { token } = claimed;
      try {
        const held = (await ledger.get(intent.id)) ?? intent;
        // Verified already (its hook failed before): it is the user's file now, not an
        // upload in progress; finish it rather than destroy it.
        if (held.record) return await runHook(held, claimed, held.record);
        await clean(held);
        return await end(held, token, { status: "aborted", error: "aborted by the user" });
      } catch (error) {
        if (!(error instanceof CompletionHookError)) await ledger.release(intent.id, token);
        throw error;
      } finally {
        claimed.stop();
      }
    },
  };
}

/** The app's `onComplete` threw; the upload is verified and kept, and the hook will run again. */
export class CompletionHookError extends Error {
  override readonly name = "CompletionHookError";

  constructor(
    readonly uploadId: string,
    override readonly cause: unknown,
  ) {
    super(
      `upload ${uploadId} is verified and kept, but onComplete failed (it will be retried): ${cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
}

async function ignoreMissing(operation: Promise<void>): Promise<void> {
  try {
    await operation;
  } catch (error) {
    if (!isUploadGone(error) && !(error instanceof S3RequestError && error.status === 404))
      throw error;
  }
}
