/**
 * Opening the ledger a database URL names (`database-url.ts`): SQLite in the data folder
 * by default, PostgreSQL when the URL says so. `openLedger` resolves once the ledger is
 * ready; `openLedgerOnFirstUse` gives a ledger at once and connects behind it, which is
 * what lets `createUploadHandler` stay synchronous.
 */
import { join } from "node:path";
import { type LedgerLocation, ledgerLocation } from "./database-url.js";
import type { Ledger } from "./ledger.js";
import { openPostgresLedger } from "./postgres-ledger.js";
import { openSqliteLedger } from "./sqlite-ledger.js";

export interface OpenLedgerOptions {
  /**
   * `postgres://…` or `postgresql://…` for a ledger app instances share; `""` for SQLite.
   * Default: `process.env.DATABASE_URL`.
   */
  readonly databaseUrl?: string | undefined;
  /** Where the SQLite ledger lives; default `.sluice` in the working folder. */
  readonly dataDir?: string;
  /** Errors of idle PostgreSQL connections (the pool replaces them). Default: logged. */
  readonly onError?: (error: unknown) => void;
}

export function defaultDataDir(): string {
  return join(process.cwd(), ".sluice");
}

/** Where `openLedger` would open the ledger; throws, saying why, for a URL it cannot use. */
export function locateLedger(options: OpenLedgerOptions): LedgerLocation {
  return ledgerLocation({
    databaseUrl: options.databaseUrl,
    dataDir: options.dataDir ?? defaultDataDir(),
  });
}

/** The ledger, open: for PostgreSQL, connected, with its tables in place. */
export async function openLedger(options: OpenLedgerOptions = {}): Promise<Ledger> {
  return openAt(locateLedger(options), options.onError);
}

async function openAt(
  location: LedgerLocation,
  onError: ((error: unknown) => void) | undefined,
): Promise<Ledger> {
  if (location.kind === "sqlite") return openSqliteLedger(location);
  return openPostgresLedger({
    connectionString: location.url,
    ...(onError ? { onError } : {}),
  });
}

export interface LedgerOnFirstUse {
  readonly ledger: Ledger;
  /** Opens it now if not yet; rejects with why it cannot be opened. */
  ready(): Promise<void>;
}

/**
 * A ledger that opens on first use, and again on the next use after an open that failed
 * (the database was not up yet, a folder it cannot write), instead of staying broken
 * until a restart. Opening is asynchronous for SQLite too: its driver is the runtime's
 * own, loaded when first needed.
 */
export function openLedgerOnFirstUse(options: OpenLedgerOptions): LedgerOnFirstUse {
  const location = locateLedger(options);
  let opening: Promise<Ledger> | undefined;
  let closed = false;
  const open = (): Promise<Ledger> => {
    if (closed) return Promise.reject(new Error("the upload ledger is closed"));
    opening ??= openAt(location, options.onError).catch((error: unknown) => {
      opening = undefined;
      throw error;
    });
    return opening;
  };
  const ledger: Ledger = {
    create: async (...args) => (await open()).create(...args),
    get: async (...args) => (await open()).get(...args),
    countPending: async (...args) => (await open()).countPending(...args),
    started: async (...args) => (await open()).started(...args),
    renew: async (...args) => (await open()).renew(...args),
    claim: async (...args) => (await open()).claim(...args),
    saveRecord: async (...args) => (await open()).saveRecord(...args),
    finish: async (...args) => (await open()).finish(...args),
    release: async (...args) => (await open()).release(...args),
    extend: async (...args) => (await open()).extend(...args),
    due: async (...args) => (await open()).due(...args),
    cleaned: async (...args) => (await open()).cleaned(...args),
    async close() {
      closed = true;
      const opened = await opening?.catch(() => undefined);
      await opened?.close();
    },
  };
  return {
    ledger,
    async ready() {
      await open();
    },
  };
}
