/**
 * Bringing an intent to its end, the same way whether the page asked (`complete`), the
 * sweeper found it due, or the user gave up (`abort`):
 *
 * 1. Claim it in the ledger. Exactly one caller holds the claim; the rest are told
 *    `busy` and wait for the outcome, so `onComplete` runs once even when five requests
 *    and a sweeper on another instance arrive together.
 * 2. For a multipart upload, complete it ourselves from the store's own part list (never
 *    the page's ETags), once every planned part is there at its planned size, with
 *    `If-None-Match: *`.
 * 3. Verify the object (`verify-object.ts`). A refused object is deleted; the intent ends
 *    `rejected` with the reason.
 * 4. Keep the verified record, run `onComplete`, then end the intent `complete`. If the
 *    hook throws, the claim is left to lapse and the hook is retried from the kept record.
 *
 * Anything undecided (not uploaded yet, the store unreachable) releases the claim: the
 * intent is `pending` again, for the next `complete` or the sweeper.
 */

import { unquoteEtag } from "@sluice/s3";
import {
  isS3RequestError,
  isUploadGone,
  type S3Api,
  S3RequestError,
  type StoredPart,
} from "@sluice/s3/client";
import type { Intent, Ledger, Outcome } from "./ledger.js";
import { partSizeOf } from "./plan.js";
import type { FileRecord } from "./protocol.js";
import { type Routes, routeNamed, type UploadUser } from "./route.js";
import { verifyObject } from "./verify-object.js";

/** How long a claim holds before another caller may take it over. */
export const DEFAULT_LEASE_MS = 2 * 60 * 1000;

/** Who is settling: the page may be told "not yet"; the sweeper decides for good. */
export type SettleMode = "complete" | "sweep";

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

  async function claim(id: string): Promise<string | undefined> {
    return ledger.claim(id, ms(), ms() + options.leaseMs);
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

  async function runHook(intent: Intent, token: string, record: FileRecord): Promise<Settled> {
    const route = routeNamed(options.routes, intent.route);
    // The hook may fail; the record is kept first so that a retry starts from here.
    if (!(await ledger.saveRecord(intent.id, token, record))) return { kind: "busy" };
    try {
      // The user `authorize` returned when the upload was created, kept in the ledger.
      await route?.onComplete?.({ upload: record, user: intent.user as UploadUser });
    } catch (error) {
      throw new CompletionHookError(intent.id, error);
    }
    return end(intent, token, { status: "complete", record });
  }

  /**
   * Completes the store's multipart upload from its own part list. `undefined` when done
   * (or done before: a previous holder may have completed it and then died).
   */
  async function completeParts(
    intent: Intent,
    mode: SettleMode,
    pagePartEtags: ReadonlyMap<number, string> | undefined,
  ): Promise<{ kind: "not-ready" | "refused"; message: string } | undefined> {
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
    for (let n = 1; n <= plan.partCount; n++) {
      const part = byNumber.get(n);
      if (!part) {
        missing.push(n);
        continue;
      }
      const size = partSizeOf(plan, intent.size, n);
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
        };
      }
      chosen.push(part);
    }
    if (missing.length > 0) {
      const shown = missing.slice(0, 10).join(", ") + (missing.length > 10 ? ", …" : "");
      return {
        kind: "not-ready",
        message: `${missing.length} of ${plan.partCount} parts are not uploaded (${shown})${mode === "sweep" ? "" : "; upload them, then complete again"}`,
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

  async function decide(
    intent: Intent,
    token: string,
    mode: SettleMode,
    pagePartEtags: ReadonlyMap<number, string> | undefined,
  ): Promise<Settled> {
    if (intent.record) return runHook(intent, token, intent.record);

    const parts = await completeParts(intent, mode, pagePartEtags);
    if (parts?.kind === "refused") {
      await clean(intent);
      return end(intent, token, { status: "rejected", error: parts.message });
    }
    if (parts?.kind === "not-ready") {
      if (mode === "sweep") {
        await clean(intent);
        return end(intent, token, {
          status: "expired",
          error: `expired before it was complete: ${parts.message}`,
        });
      }
      await ledger.release(intent.id, token);
      return { kind: "not-ready", code: "parts_missing", message: parts.message };
    }

    const verification = await verifyObject(s3, intent);
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
        return runHook(intent, token, {
          id: intent.id,
          key: intent.key,
          route: intent.route,
          name: intent.name,
          type: intent.type,
          size: intent.size,
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
      const token = await claim(intent.id);
      if (token === undefined) return { kind: "busy" };
      // Read again under the claim: a previous holder may have kept a verified record.
      const held = (await ledger.get(intent.id)) ?? intent;
      try {
        return await decide(held, token, mode, pagePartEtags);
      } catch (error) {
        // A failed hook leaves the claim to lapse, so the hook is retried from the kept
        // record; anything else (the store unreachable) is undecided: pending again.
        if (!(error instanceof CompletionHookError)) await ledger.release(intent.id, token);
        throw error;
      }
    },

    async abort(intent) {
      const token = await claim(intent.id);
      if (token === undefined) return { kind: "busy" };
      const held = (await ledger.get(intent.id)) ?? intent;
      try {
        // Verified already (its hook failed before): it is the user's file now, not an
        // upload in progress; finish it rather than destroy it.
        if (held.record) return await runHook(held, token, held.record);
        await clean(held);
      } catch (error) {
        if (!(error instanceof CompletionHookError)) await ledger.release(intent.id, token);
        throw error;
      }
      return end(held, token, { status: "aborted", error: "aborted by the user" });
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
