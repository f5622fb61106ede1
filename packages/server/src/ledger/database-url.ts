/**
 * Where the ledger lives, decided once from a database URL (the `databaseUrl` option, by
 * default the `DATABASE_URL` variable): a `postgres://` or `postgresql://` URL is a
 * PostgreSQL ledger that app instances can share; no URL, or an empty one, is the
 * embedded SQLite ledger in the data folder. Anything else is refused here, saying why,
 * before anything is opened. Pure: no I/O, and `pg` is not loaded to parse.
 *
 * The URL is read as node-postgres reads it (libpq's URI form, with query parameters such
 * as `sslmode`, `options`, or `host=/run/postgresql` for a unix socket, where the
 * authority may be empty: `postgresql://user@/db?host=…`).
 * https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING-URIS
 */
import { join } from "node:path";
import { LEDGER_FILE } from "./sqlite-ledger.js";

export type LedgerLocation =
  | { readonly kind: "sqlite"; readonly dataDir: string }
  | { readonly kind: "postgres"; readonly url: string };

export interface LedgerLocationOptions {
  /** `postgres://…` or `postgresql://…`; `""` for SQLite. Default: `env.DATABASE_URL`. */
  readonly databaseUrl?: string | undefined;
  /** The SQLite ledger's folder. */
  readonly dataDir: string;
  /** Where `DATABASE_URL` is read when `databaseUrl` is not given. Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
const POSTGRES_SCHEMES = new Set(["postgres", "postgresql"]);

export function ledgerLocation(options: LedgerLocationOptions): LedgerLocation {
  const fromOption = options.databaseUrl !== undefined;
  const source = fromOption ? "databaseUrl" : "DATABASE_URL";
  const raw = fromOption ? options.databaseUrl : (options.env ?? process.env).DATABASE_URL;
  const url = raw?.trim() ?? "";
  if (url === "") return { kind: "sqlite", dataDir: options.dataDir };

  const keep = fromOption
    ? "leave databaseUrl out (and DATABASE_URL unset) for the embedded SQLite ledger"
    : 'unset it, or pass databaseUrl: "" to keep the embedded SQLite ledger';
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    throw new Error(
      `${source} is not a URL; give postgres://user:password@host:5432/database for a PostgreSQL ledger, or ${keep}`,
    );
  }
  if (!POSTGRES_SCHEMES.has(scheme)) {
    throw new Error(
      `${source} is a ${scheme}: URL, but the upload ledger runs on PostgreSQL (postgres:// or postgresql://) or SQLite; ${keep}`,
    );
  }
  if (!parsesAsPg(url)) {
    throw new Error(
      `${source} is not a valid URL (${redactUrl(url)}): percent-encode reserved characters in the user name and password (@ : / ? #), and give a numeric port`,
    );
  }
  return { kind: "postgres", url };
}

/** What a log line or `sluice dev` may show of the ledger: never a password. */
export function describeLedger(location: LedgerLocation): string {
  return location.kind === "sqlite"
    ? `SQLite ${join(location.dataDir, LEDGER_FILE)}`
    : `PostgreSQL ${redactUrl(location.url)}`;
}

/** The URL with its password (in the authority or as `?password=`) masked. */
export function redactUrl(url: string): string {
  const parts = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is.exec(url);
  if (!parts) return url;
  const [, scheme = "", authority = "", rest = ""] = parts;
  const at = authority.lastIndexOf("@");
  const userinfo = at < 0 ? "" : authority.slice(0, at);
  const colon = userinfo.indexOf(":");
  const shownAuthority =
    colon < 0 ? authority : `${userinfo.slice(0, colon)}:***@${authority.slice(at + 1)}`;
  return `${scheme}${shownAuthority}${rest.replace(/([?&]password=)[^&#]*/gi, "$1***")}`;
}

/** As pg-connection-string parses it: WHATWG URL rules, an empty host allowed before `/`. */
function parsesAsPg(url: string): boolean {
  for (const candidate of [url, url.replace("@/", "@localhost/")]) {
    try {
      new URL(candidate);
      return true;
    } catch {
      // Try the next form.
    }
  }
  return false;
}
