/**
 * The ledger: every upload intent, from the moment a URL is handed out until the upload
 * is complete, rejected, aborted or expired. It is what makes "nothing is lost" true — a
 * restarted app, or another instance sharing the ledger, picks up where this one was.
 *
 * Asynchronous throughout, though the SQLite ledger answers synchronously, so that a
 * PostgreSQL ledger can take its place.
 *
 * Completion is claimed: `claim` moves an intent from `pending` to `completing` with a
 * lease and a token, atomically, so exactly one caller (one request, one sweeper, in one
 * process or several) verifies it and runs `onComplete`; the others wait for the outcome.
 * A claim whose holder died is taken over once its lease has passed. Only the holder of
 * the current token can record the outcome.
 */
import type { FileRecord, UploadStatus } from "../protocol.js";

export type IntentStatus = UploadStatus;

export type IntentPlan =
  | { readonly kind: "single" }
  | {
      readonly kind: "multipart";
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
  readonly size: number;
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
>;

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
   * Records a new `pending` intent, unless its user already has `maxPending` unfinished
   * ones (pending or completing, not yet past their expiry); then resolves `false`.
   * The count and the insert are one atomic step.
   */
  create(intent: NewIntent, maxPending: number, now: number): Promise<boolean>;
  get(id: string): Promise<Intent | undefined>;
  /** The user's unfinished intents (pending or completing, not yet past their expiry). */
  countPending(userId: string, now: number): Promise<number>;
  /**
   * `pending` (or `completing` with a lapsed lease) → `completing` until `leaseUntil`.
   * Resolves with the claim's token, or `undefined` when someone else holds it or the
   * intent has ended.
   */
  claim(id: string, now: number, leaseUntil: number): Promise<string | undefined>;
  /** Keeps the verified record with the claim, so a retry of `onComplete` need not verify again. */
  saveRecord(id: string, token: string, record: FileRecord): Promise<boolean>;
  /** Ends the intent; `false` when the token no longer holds the claim. */
  finish(id: string, token: string, outcome: Outcome, now: number): Promise<boolean>;
  /** `completing` → `pending`: it could not be decided yet (not uploaded, storage down). */
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
