/**
 * Listing a bucket's objects in S3's order (the memcmp order of the keys' UTF-8 bytes,
 * which is how SQLite orders the BLOB keys), grouping keys that share a prefix up to the
 * delimiter into common prefixes.
 */
import type { Db } from "./database.js";
import { type ObjectRow, toObject } from "./object-rows.js";
import type { ObjectRecord } from "./records.js";

export interface ListOptions {
  readonly prefix: string;
  readonly delimiter: string | undefined;
  /** Entries up to and including this key (or common prefix) are skipped. */
  readonly after: string | undefined;
  readonly maxKeys: number;
}

export interface ListPage {
  readonly objects: ObjectRecord[];
  readonly commonPrefixes: string[];
  readonly isTruncated: boolean;
  /** The last key or common prefix returned, to continue after. */
  readonly last: string | undefined;
}

export class ObjectListing {
  readonly #statements;

  constructor(db: Db) {
    this.#statements = {
      listFrom: db.prepare<[string, Buffer, number], ObjectRow>(
        "SELECT * FROM objects WHERE bucket = ? AND key > ? ORDER BY key LIMIT ?",
      ),
      listFromInclusive: db.prepare<[string, Buffer, number], ObjectRow>(
        "SELECT * FROM objects WHERE bucket = ? AND key >= ? ORDER BY key LIMIT ?",
      ),
      listFromStart: db.prepare<[string, number], ObjectRow>(
        "SELECT * FROM objects WHERE bucket = ? ORDER BY key LIMIT ?",
      ),
    };
  }

  /**
   * One page of a bucket's keys. A group is skipped in one step, so a page costs queries
   * in proportion to what it returns, not to what it skips.
   */
  list(bucket: string, options: ListOptions): ListPage {
    const { prefix, delimiter, maxKeys } = options;
    const prefixBytes = Buffer.from(prefix, "utf8");
    const after = options.after === undefined ? undefined : Buffer.from(options.after, "utf8");
    const objects: ObjectRecord[] = [];
    const commonPrefixes: string[] = [];
    let last: string | undefined;
    const page = (isTruncated: boolean): ListPage => ({
      objects,
      commonPrefixes,
      isTruncated,
      last,
    });
    if (maxKeys <= 0) return page(false);

    // Start strictly after `after`, or at the prefix, whichever is later.
    let cursor: { key: Buffer; inclusive: boolean } | undefined =
      after !== undefined && Buffer.compare(after, prefixBytes) >= 0
        ? { key: after, inclusive: false }
        : prefixBytes.length > 0
          ? { key: prefixBytes, inclusive: true }
          : undefined;
    const batch = Math.min(maxKeys + 1, 1001);
    for (;;) {
      const rows: ObjectRow[] =
        cursor === undefined
          ? this.#statements.listFromStart.all(bucket, batch)
          : cursor.inclusive
            ? this.#statements.listFromInclusive.all(bucket, cursor.key, batch)
            : this.#statements.listFrom.all(bucket, cursor.key, batch);
      let jumped = false;
      for (const row of rows) {
        if (!startsWith(row.key, prefixBytes)) return page(false);
        if (objects.length + commonPrefixes.length === maxKeys) return page(true);
        const key = row.key.toString("utf8");
        const group = delimiter ? commonPrefixOf(key, prefix, delimiter) : undefined;
        if (group === undefined) {
          objects.push(toObject(row));
          last = key;
          cursor = { key: row.key, inclusive: false };
          continue;
        }
        const groupBytes = Buffer.from(group, "utf8");
        // A continuation resumes after the group it returned last; a marker or start-after
        // that is a key inside a group still lists the group.
        if (after === undefined || !groupBytes.equals(after)) {
          commonPrefixes.push(group);
          last = group;
        }
        // No UTF-8 byte is 0xFF, so this sorts after every key in the group.
        cursor = { key: Buffer.concat([groupBytes, Buffer.from([0xff])]), inclusive: false };
        jumped = true;
        break;
      }
      if (!jumped && rows.length < batch) return page(false);
    }
  }
}

function startsWith(bytes: Buffer, prefix: Buffer): boolean {
  return (
    bytes.length >= prefix.length && bytes.compare(prefix, 0, prefix.length, 0, prefix.length) === 0
  );
}

/** The common prefix `key` rolls up into, or undefined when it has no delimiter past the prefix. */
function commonPrefixOf(key: string, prefix: string, delimiter: string): string | undefined {
  const at = key.indexOf(delimiter, prefix.length);
  return at < 0 ? undefined : key.slice(0, at + delimiter.length);
}
