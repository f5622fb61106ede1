/**
 * The ledger: every upload intent, from the moment a URL is handed out until the upload
 * is complete, rejected, aborted or expired. It is what makes "nothing is lost" true — a
 * restarted app, or another instance sharing the ledger, picks up where this one was.
 *
 * Asynchronous throughout, though the SQLite ledger answers synchronously, so that a
 * PostgreSQL ledger can take its place.
 *
 * A multipart intent is written `creating` before the store's CreateMultipartUpload, and
 * becomes `pending` with the store's upload id after it (`started`): nothing exists in
 * the store that the ledger does not know of, so a create that died in between leaves a
 * row for the sweeper to clean up after.
 *
 * Completion is claimed: `claim` moves an intent from `pending` to `completing` with a
 * lease and a token (a fencing token), atomically, so exactly one caller (one request, one
 * sweeper, in one process or several) verifies it and runs `onComplete`; the others wait
 * for the outcome. The holder renews its lease while it works (`renew`); a claim whose
 * holder died is taken over once its lease has passed. Only the holder of the current
 * token can record the outcome: the token is checked in the very statement that does.
 */
import type { FileRecord, UploadStatus } from "../protocol.js";
import type { LedgerTransaction } from "./dialect.js";

/** `creating`: written before the store's multipart upload exists; never shown to a page. */
export type IntentStatus = UploadStatus | "creating";

export type IntentPlan =
  | { readonly kind: "single" }
  | {
      readonly kind: "multipart";
      /** The store's upload id; `""` while the intent is `creating`. */
      readonly uploadId: string;
      readonly partSize: number;
      readonly partCount: number;
    };

export interface Intent {
  readonly id: string;
  readonly route: string;
  readonly userId: string;
  /** The user as `authorize` returned it, through JSON. */
  readonly user: unknown;
  readonly key: string;
  readonly name: string;
  readonly type: string;
  /**
   * The declared size; `undefined` when none was (Companion's requests carry none), and
   * the route's limits are then checked against the object's real size.
   */
  readonly size: number | undefined;
  /** Hex. */
  readonly sha256: string | undefined;
  readonly metadata: Readonly<Record<string, string>>;
  readonly plan: IntentPlan;
  readonly status: IntentStatus;
  /** Epoch milliseconds, like every time here. */
  readonly createdAt: number;
  /** What the page is told: when its URL (or, for multipart, the upload) lapses. */
  readonly expiresAt: number;
  /** When the sweeper takes a still-pending intent in hand: `expiresAt` plus a grace. */
  readonly sweepAt: number;
  readonly leaseUntil: number | undefined;
  readonly completedAt: number | undefined;
  /** Set once verified; `status` becomes `complete` after `onComplete` has run. */
  readonly record: FileRecord | undefined;
  readonly error: string | undefined;
  /**
   * For a single PUT that ended without a file while its URL still worked: when to
   * delete the key once more, since the URL could still create an object until then.
   */
  readonly cleanupAt: number | undefined;
}

export type NewIntent = Omit<
  Intent,
  "status" | "leaseUntil" | "completedAt" | "record" | "error" | "cleanupAt"
> & {
  /** Default `pending`; `creating` for a multipart upload not yet created in the store. */
  readonly status?: "pending" | "creating";
};

/** How an intent ends. */
export type Outcome =
  | { readonly status: "complete"; readonly record: FileRecord }
  | {
      readonly status: "rejected" | "aborted" | "expired";
      readonly error: string;
      /** See `Intent.cleanupAt`. */
      readonly cleanupAt?: number;
    };

export interface Ledger {
  /**
   * Records a new `pending` (or `creating`) intent, unless its user already has `maxPending` unfinished
   * ones (pending or completing, not yet past their expiry); then resolves `false`.
   * The count and the insert are one atomic step.
   */
  create(intent: NewIntent, maxPending: number, now: number): Promise<boolean>;
  get(id: string): Promise<Intent | undefined>;
  /**
   * `creating` → `pending`, with the store's upload id and the real deadlines; `false`
   * when the intent is no longer `creating` (the sweeper took it for a dead create).
   */
  started(id: string, uploadId: string, expiresAt: number, sweepAt: number): Promise<boolean>;
  /** The user's unfinished intents (pending or completing, not yet past their expiry). */
  countPending(userId: string, now: number): Promise<number>;
  /**
   * `pending` or `creating` (or `completing` with a lapsed lease) → `completing` until
   * `leaseUntil`.
   * Resolves with the claim's token, or `undefined` when someone else holds it or the
   * intent has ended.
   */
  claim(id: string, now: number, leaseUntil: number): Promise<string | undefined>;
  /** Moves the lease on; `false` when the token no longer holds the claim: stop. */
  renew(id: string, token: string, leaseUntil: number): Promise<boolean>;
  /** Keeps the verified record with the claim, so a retry of `onComplete` need not verify again. */
  saveRecord(id: string, token: string, record: FileRecord): Promise<boolean>;
  /**
   * Ends the intent; `false` when the token no longer holds the claim. `within`, when
   * given, runs in the same transaction, after the ledger's row has changed (and only if
   * it did): what it writes commits with the outcome, or neither does.
   */
  finish(
    id: string,
    token: string,
    outcome: Outcome,
    now: number,
    within?: (transaction: LedgerTransaction) => Promise<void>,
  ): Promise<boolean>;
  /**
   * `completing` → `pending` (`creating`, if the store's upload id was never known): it
   * could not be decided yet (not uploaded, storage down).
   */
  release(id: string, token: string): Promise<void>;
  /** A pending intent's new deadlines (a multipart upload that is still active). */
  extend(id: string, expiresAt: number, sweepAt: number): Promise<void>;
  /**
   * What the sweeper must look at, oldest first: pending intents past `sweepAt`, claims
   * past their lease, and ended intents whose `cleanupAt` has come.
   */
  due(now: number, limit: number): Promise<Intent[]>;
  /** The key was cleaned after the intent ended: `cleanupAt` is done. */
  cleaned(id: string): Promise<void>;
  close(): Promise<void>;
}
