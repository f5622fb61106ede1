/**
 * A route is one upload policy: who may upload (`authorize`), what (`types`, sizes), for
 * how long a URL lives, where it lands (the key), and what the app does once the bytes are
 * verified (`onComplete`). Everything is checked here, when the app starts, so a typo in
 * a policy fails at boot rather than on a user's upload.
 */
import { MAX_EXPIRES_SECONDS } from "@sluice/sigv4";
import type { LedgerTransaction } from "../ledger/dialect.js";
import type { FileRecord } from "../protocol.js";
import { expandTypes } from "./content-types.js";
import { defaultKey, type KeyContext } from "./object-key.js";
import { MAX_OBJECT_SIZE, MAX_PART_SIZE, MAX_SINGLE_PUT_SIZE, MIN_PART_SIZE, MiB } from "./plan.js";

/** What `authorize` returns: the app's user, with an id at least. */
export interface UploadUser {
  readonly id: string;
}

export interface MetadataContext<User> {
  readonly user: User;
  readonly id: string;
  readonly name: string;
  readonly type: string;
  /** `undefined` when the page declared none (Uppy through Companion's endpoints). */
  readonly size: number | undefined;
}

export interface CompleteEvent<User> {
  readonly upload: FileRecord;
  /**
   * The user who created the upload, as `authorize` returned it then, kept in the
   * ledger as JSON (so keep users plain data): the sweeper may complete an upload long
   * after that request, in another process.
   */
  readonly user: User;
  /**
   * The key that makes the app's own effects exactly-once: the upload's id (also
   * `upload.id`). A hook may run again for the same upload (it threw, or the process died
   * while it ran); one that records this key in a unique column, or checks for it first,
   * does its work once.
   */
  readonly idempotencyKey: string;
}

/** What a route may let a PUT store beyond what its URL binds. */
export type AllowedHeader =
  | "content-disposition"
  | "cache-control"
  | "content-language"
  | "expires";

export interface RouteOptions<User extends UploadUser> {
  /** Exact types (`image/png`) or families (`image/*`, expanded now to a fixed list). */
  readonly types: readonly string[];
  /** Bytes. */
  readonly maxSize: number;
  /** Bytes; smaller files are refused with 400 `too_small`. Default 0. */
  readonly minSize?: number;
  /** Lifetime of every presigned URL, seconds. Default 300. */
  readonly expiresIn?: number;
  /** Files larger than this are uploaded in parts. Default 64 MiB. */
  readonly multipartThreshold?: number;
  /** Preferred part size, grown when a file would need more than 10,000. Default 8 MiB. */
  readonly partSize?: number;
  /** Uploads a user may have started and not finished. Default 20. */
  readonly maxPendingPerUser?: number;
  /** The object key; default `{route}/{user id}/{upload id}{extension}`. */
  readonly key?: (context: KeyContext<User>) => string;
  /**
   * Object metadata, stored as `x-amz-meta-{name}`. Bound by the signature, so a single
   * PUT must send each as a header (they are listed in the upload's `headers` and in
   * the handler's `signedHeaders`, for the bucket's CORS rules).
   */
  readonly metadata?: Readonly<Record<string, (context: MetadataContext<User>) => string>>;
  /**
   * Stored headers a PUT may add that its URL does not bind (the URL cannot forbid a
   * header it does not sign), checked when the upload completes: an object carrying any
   * other is rejected and deleted. Default none. `content-encoding` is never allowed:
   * the bytes are verified as stored, and a gzip body is not the declared type.
   */
  readonly allowHeaders?: readonly AllowedHeader[];
  /**
   * Who is asking: the user, or `undefined` for 401. Throw `new ApiError(403, ...)` to
   * refuse someone who is signed in but may not upload here.
   */
  readonly authorize: (request: Request) => User | undefined | Promise<User | undefined>;
  /**
   * Runs once per verified upload, after the ledger holds it. If it throws, or the
   * process dies while it runs, it is run again later (by `complete` or the sweeper):
   * make it idempotent on `idempotencyKey` for those cases. The upload's claim is
   * renewed while it runs, so a slow hook is never run a second time alongside itself.
   */
  readonly onComplete?: (event: CompleteEvent<User>) => void | Promise<void>;
  /**
   * Runs after `onComplete`, in the very transaction of the ledger's database that marks
   * the upload complete: what it writes through `transaction` (the app's tables in that
   * database) commits with the outcome, or, if it throws or the process dies, neither
   * does and it runs again later. Exactly once in effect, with no idempotency of its own.
   * Statements use the database's placeholders (`?` in SQLite, `$1` in PostgreSQL).
   * Keep it to a few writes: the transaction holds a lock while it runs (SQLite's one
   * write lock). Only with the ledger the handler opens, or one from `openLedger`.
   */
  readonly onCompleteInTransaction?: (
    event: CompleteEvent<User>,
    transaction: LedgerTransaction,
  ) => void | Promise<void>;
}

export interface Route<User extends UploadUser = UploadUser> {
  /** The explicit list, families expanded. */
  readonly types: readonly string[];
  readonly maxSize: number;
  readonly minSize: number;
  readonly expiresIn: number;
  readonly multipartThreshold: number;
  readonly partSize: number;
  readonly maxPendingPerUser: number;
  readonly key: (context: KeyContext<User>) => string;
  readonly metadata: Readonly<Record<string, (context: MetadataContext<User>) => string>>;
  readonly allowHeaders: readonly AllowedHeader[];
  readonly authorize: (request: Request) => User | undefined | Promise<User | undefined>;
  readonly onComplete: ((event: CompleteEvent<User>) => void | Promise<void>) | undefined;
  readonly onCompleteInTransaction:
    | ((event: CompleteEvent<User>, transaction: LedgerTransaction) => void | Promise<void>)
    | undefined;
}

/** Route name → policy, as an app declares them; each route has its app's own user type. */
// biome-ignore lint/suspicious/noExplicitAny: a route's user type is the app's, one per route
export type Routes = Readonly<Record<string, Route<any>>>;

/** The route with this name, never one inherited from `Object.prototype`. */
export function routeNamed(routes: Routes, name: string): Route | undefined {
  return Object.hasOwn(routes, name) ? routes[name] : undefined;
}

export const DEFAULT_EXPIRES_SECONDS = 300;
export const DEFAULT_MULTIPART_THRESHOLD = 64 * MiB;
export const DEFAULT_PART_SIZE = 8 * MiB;
export const DEFAULT_MAX_PENDING_PER_USER = 20;

const METADATA_NAME = /^[a-z0-9][a-z0-9-]*$/;

export function defineRoute<User extends UploadUser>(options: RouteOptions<User>): Route<User> {
  const types = expandTypes(options.types);
  const maxSize = options.maxSize;
  if (!Number.isSafeInteger(maxSize) || maxSize < 1 || maxSize > MAX_OBJECT_SIZE) {
    throw new RangeError(`maxSize must be an integer from 1 to ${MAX_OBJECT_SIZE} bytes`);
  }
  const minSize = options.minSize ?? 0;
  if (!Number.isSafeInteger(minSize) || minSize < 0 || minSize > maxSize) {
    throw new RangeError("minSize must be an integer from 0 to maxSize");
  }
  const expiresIn = options.expiresIn ?? DEFAULT_EXPIRES_SECONDS;
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_EXPIRES_SECONDS) {
    throw new RangeError(`expiresIn must be an integer from 1 to ${MAX_EXPIRES_SECONDS} seconds`);
  }
  const multipartThreshold = options.multipartThreshold ?? DEFAULT_MULTIPART_THRESHOLD;
  // Anything up to the threshold goes in one PUT, which R2 caps at 5 GiB - 5 MiB.
  if (
    !Number.isSafeInteger(multipartThreshold) ||
    multipartThreshold < 0 ||
    multipartThreshold > MAX_SINGLE_PUT_SIZE
  ) {
    throw new RangeError(
      `multipartThreshold must be an integer from 0 to ${MAX_SINGLE_PUT_SIZE} bytes (the largest single PUT R2 takes)`,
    );
  }
  const partSize = options.partSize ?? DEFAULT_PART_SIZE;
  if (!Number.isSafeInteger(partSize) || partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
    throw new RangeError(`partSize must be an integer from ${MIN_PART_SIZE} to ${MAX_PART_SIZE}`);
  }
  const maxPendingPerUser = options.maxPendingPerUser ?? DEFAULT_MAX_PENDING_PER_USER;
  if (!(maxPendingPerUser >= 1)) throw new RangeError("maxPendingPerUser must be at least 1");
  for (const name of Object.keys(options.metadata ?? {})) {
    if (!METADATA_NAME.test(name)) {
      throw new RangeError(
        `metadata name ${JSON.stringify(name)} must be lower-case letters, digits and "-"`,
      );
    }
  }
  if (typeof options.authorize !== "function") {
    throw new TypeError("a route needs an authorize(request) function");
  }
  return {
    types,
    maxSize,
    minSize,
    expiresIn,
    multipartThreshold,
    partSize,
    maxPendingPerUser,
    key: options.key ?? defaultKey,
    metadata: options.metadata ?? {},
    allowHeaders: checkAllowHeaders(options.allowHeaders ?? []),
    authorize: options.authorize,
    onComplete: options.onComplete,
    onCompleteInTransaction: options.onCompleteInTransaction,
  };
}

const ALLOWABLE: readonly string[] = [
  "content-disposition",
  "cache-control",
  "content-language",
  "expires",
] satisfies AllowedHeader[];

function checkAllowHeaders(names: readonly string[]): readonly AllowedHeader[] {
  for (const name of names) {
    if (!ALLOWABLE.includes(name)) {
      throw new TypeError(
        `allowHeaders takes ${ALLOWABLE.join(", ")}; not ${JSON.stringify(name)}${name.toLowerCase() === "content-encoding" ? " (the bytes are verified as stored)" : ""}`,
      );
    }
  }
  return names as readonly AllowedHeader[];
}
