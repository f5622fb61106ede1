/**
 * What one database does differently from another, and nothing more: how a statement is
 * run and its parameters written, how a transaction is opened and serialized, what the
 * column types are called, and where the schema's version is kept. Everything else — the
 * schema, the statements, the row mapping — is written once, in `sql-ledger.ts`.
 *
 * Asynchronous throughout, though SQLite answers synchronously, so that a database reached
 * over the network (PostgreSQL, D1) fits the same shape. Rows come back as the ledger
 * wrote them: integers as numbers, JSON columns as their text.
 */

/** A value a statement takes. */
export type SqlValue = string | number | null;

/** Runs statements: written with `?` placeholders, translated by the dialect. */
export interface SqlExecutor {
  all<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /** Resolves with the number of rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

/**
 * A transaction an app may write its own rows in, with its database's own placeholders
 * (`?` in SQLite, `$1` in PostgreSQL). It commits, or rolls back, with the ledger's row.
 */
export interface LedgerTransaction {
  readonly dialect: DialectName;
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

export type DialectName = "sqlite" | "postgres";

export interface Dialect extends SqlExecutor {
  readonly name: DialectName;
  /** Column types by what they hold. */
  readonly types: {
    /** Epoch milliseconds and byte counts: past 2^31. */
    readonly integer: string;
    /** JSON kept as written (key order, `\u0000`). */
    readonly json: string;
  };
  /** After `CREATE TABLE (…)`: e.g. SQLite's ` STRICT`. */
  readonly tableOptions: string;
  /** After a text column in ORDER BY, so ids sort byte for byte everywhere. */
  readonly binaryCollation: string;
  /** A table's name as statements write it (schema-qualified, quoted). */
  table(name: string): string;
  /** The intents table as schema version 1 named it (SQLite's was `intents`). */
  readonly intentsTableV1: string;
  /**
   * Runs `work` in one transaction: committed if it resolves, rolled back if it throws.
   * Transactions naming the same `lock` run one after another, across processes too.
   */
  transaction<T>(
    work: (tx: SqlExecutor, app: LedgerTransaction) => Promise<T>,
    lock?: string,
  ): Promise<T>;
  /**
   * Brings the schema to `version`, once, however many instances start together: reads
   * the stored version (none: a new database), refuses a newer one, and runs
   * `script(from)` and records `version` in one transaction.
   */
  migrate(version: number, script: (from: number | undefined) => string): Promise<void>;
  close(): Promise<void>;
}

/** `?` → `$1`, `$2`, …: the statements here hold no `?` of their own. */
export function numberedPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
