/**
 * Conditional requests. Writes take `If-None-Match: *` (create only) and `If-Match`
 * (replace only that version), checked atomically with the commit. Reads follow
 * RFC 9110 §13.2.2's order: If-Match, If-Unmodified-Since, If-None-Match,
 * If-Modified-Since.
 *
 * AWS answers `If-None-Match: <etag>` and `If-Match: *` on writes with 501; R2 accepts
 * every conditional header on PutObject. Under `--flavor r2` we do as R2 does, with
 * `If-None-Match: <etag>` meaning "not while the object has this ETag", and
 * `If-Modified-Since` / `If-Unmodified-Since` answered 412 when they fail
 * (https://developers.cloudflare.com/r2/api/s3/extensions/, "Conditional operations in
 * PutObject"). A list of ETags is honoured, as R2 does since 2022-07-30 ("`If-Match` /
 * `If-None-Match` headers now support arrays of ETags ... as per the HTTP standard and
 * undocumented AWS S3 behavior").
 */
import { unquoteEtag } from "@sluice/s3";
import type { FlavorName } from "../flavor.js";
import type { ObjectRecord } from "../storage/object-storage.js";
import { noSuchKey, preconditionFailed, S3Error } from "./s3-error.js";

export type WriteCondition =
  | { readonly kind: "none" }
  /** `If-None-Match: *`: only when no object has the key. */
  | { readonly kind: "absent" }
  /** `If-Match: *`: only when an object has the key. */
  | { readonly kind: "present" }
  /** `If-Match: etag, ...`: only when the current object has one of these ETags. */
  | { readonly kind: "etag"; readonly etags: readonly string[] }
  /** `If-None-Match: etag, ...`: only when the current object has none of these ETags. */
  | { readonly kind: "not-etag"; readonly etags: readonly string[] };

function etagList(header: string): string[] {
  return header.split(",").map((tag) => unquoteEtag(tag.trim()));
}

function matches(header: string, etag: string): boolean {
  return etagList(header).some((tag) => tag === "*" || tag === etag);
}

function notImplementedHeader(header: string, message: string): S3Error {
  return new S3Error("NotImplemented", message, { Header: header });
}

/** The condition a write carries, checked for the forms this flavor accepts. */
export function writeCondition(headers: Headers, flavor: FlavorName): WriteCondition {
  const ifMatch = headers.get("if-match");
  const ifNoneMatch = headers.get("if-none-match");
  if (ifMatch !== null && ifNoneMatch !== null) {
    throw notImplementedHeader(
      "If-Match,If-None-Match",
      "Multiple conditional request headers present in the request",
    );
  }
  if (ifNoneMatch !== null) {
    if (ifNoneMatch.trim() === "*") return { kind: "absent" };
    if (flavor === "s3") {
      throw notImplementedHeader(
        "If-None-Match",
        "A header you provided implies functionality that is not implemented",
      );
    }
    return { kind: "not-etag", etags: etagList(ifNoneMatch) };
  }
  if (ifMatch !== null) {
    if (ifMatch.trim() === "*") {
      if (flavor === "s3") {
        throw notImplementedHeader(
          "If-Match",
          "A header you provided implies functionality that is not implemented",
        );
      }
      return { kind: "present" };
    }
    return { kind: "etag", etags: etagList(ifMatch) };
  }
  return { kind: "none" };
}

/** Refuses early (before the body is read) a write whose condition already fails. */
export function checkWriteCondition(
  condition: WriteCondition,
  current: ObjectRecord | undefined,
  key: string,
): void {
  const failure = writeConditionFailure(condition, current);
  if (failure) throw writeConditionError(failure, key);
}

export type WriteConditionFailure =
  | "exists"
  | "missing"
  | "etag-differs"
  | "etag-matches"
  /** If-Unmodified-Since failed: the object changed after the date. */
  | "modified"
  /** If-Modified-Since failed: the object has not changed since the date. */
  | "unmodified";

export function writeConditionFailure(
  condition: WriteCondition,
  current: { readonly etag: string } | undefined,
): WriteConditionFailure | undefined {
  switch (condition.kind) {
    case "none":
      return undefined;
    case "absent":
      return current ? "exists" : undefined;
    case "present":
      return current ? undefined : "missing";
    case "etag":
      if (!current) return "missing";
      return condition.etags.includes(current.etag) ? undefined : "etag-differs";
    case "not-etag":
      return current && condition.etags.includes(current.etag) ? "etag-matches" : undefined;
  }
}

export function writeConditionError(failure: WriteConditionFailure, key: string): S3Error {
  switch (failure) {
    case "exists":
    case "etag-matches":
      return preconditionFailed("If-None-Match");
    case "missing":
      return noSuchKey(key);
    case "etag-differs":
      return preconditionFailed("If-Match");
    case "modified":
      return preconditionFailed("If-Unmodified-Since");
    case "unmodified":
      return preconditionFailed("If-Modified-Since");
  }
}

/** A write's date conditions (R2 only; S3's writes take none, and ignore them). */
export interface WriteDates {
  readonly unmodifiedSinceMs: number | undefined;
  readonly modifiedSinceMs: number | undefined;
}

export function writeDates(headers: Headers, flavor: FlavorName): WriteDates | undefined {
  if (flavor !== "r2") return undefined;
  const parse = (name: string) => {
    const value = headers.get(name);
    const ms = value === null ? Number.NaN : Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  };
  const dates = {
    unmodifiedSinceMs: parse("if-unmodified-since"),
    modifiedSinceMs: parse("if-modified-since"),
  };
  return dates.unmodifiedSinceMs === undefined && dates.modifiedSinceMs === undefined
    ? undefined
    : dates;
}

/**
 * Whether the object as it is fails the dates, to the second as HTTP dates go. A key
 * with no object has no date to compare: the write proceeds (R2: the 412 applies "if
 * ... the object exists", changelog 2022-05-27).
 */
export function dateFailure(
  dates: WriteDates | undefined,
  current: { readonly lastModifiedMs: number } | undefined,
): WriteConditionFailure | undefined {
  if (dates === undefined || current === undefined) return undefined;
  const modified = Math.floor(current.lastModifiedMs / 1000);
  if (
    dates.unmodifiedSinceMs !== undefined &&
    modified > Math.floor(dates.unmodifiedSinceMs / 1000)
  )
    return "modified";
  if (dates.modifiedSinceMs !== undefined && modified <= Math.floor(dates.modifiedSinceMs / 1000))
    return "unmodified";
  return undefined;
}

/**
 * The condition a write commits under. The dates were judged against `seen`, the object
 * read before the body; an object written since then was written "now", so it is judged
 * again with that date.
 */
export function commitCondition(
  condition: WriteCondition,
  dates: WriteDates | undefined,
  seen: { readonly etag: string } | undefined,
  nowMs: number,
): (current: { readonly etag: string } | undefined) => WriteConditionFailure | undefined {
  return (current) => {
    const failure = writeConditionFailure(condition, current);
    if (failure !== undefined || dates === undefined || current === undefined) return failure;
    if (seen !== undefined && seen.etag === current.etag) return undefined;
    return dateFailure(dates, { lastModifiedMs: nowMs });
  };
}

export type ReadOutcome = "proceed" | "not-modified";

/** Evaluates read preconditions; throws 412, or says to answer 304. */
export function checkReadConditions(headers: Headers, record: ObjectRecord): ReadOutcome {
  const ifMatch = headers.get("if-match");
  const ifUnmodifiedSince = headers.get("if-unmodified-since");
  const ifNoneMatch = headers.get("if-none-match");
  const ifModifiedSince = headers.get("if-modified-since");
  const modifiedSecond = Math.floor(record.lastModifiedMs / 1000);

  if (ifMatch !== null) {
    if (!matches(ifMatch, record.etag)) throw preconditionFailed("If-Match");
  } else if (ifUnmodifiedSince !== null) {
    const since = Date.parse(ifUnmodifiedSince);
    if (!Number.isNaN(since) && modifiedSecond > Math.floor(since / 1000)) {
      throw preconditionFailed("If-Unmodified-Since");
    }
  }
  if (ifNoneMatch !== null) {
    if (matches(ifNoneMatch, record.etag)) return "not-modified";
  } else if (ifModifiedSince !== null) {
    const since = Date.parse(ifModifiedSince);
    if (!Number.isNaN(since) && modifiedSecond <= Math.floor(since / 1000)) return "not-modified";
  }
  return "proceed";
}
