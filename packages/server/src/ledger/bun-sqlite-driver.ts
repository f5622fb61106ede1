/**
 * SQLite built into Bun (`bun:sqlite`), where better-sqlite3's addon does not load.
 * `query()` caches the prepared statement by its text. https://bun.sh/docs/api/sqlite
 */
import { importRuntimeModule, type SqliteConnection } from "./sqlite-connection.js";

interface BunStatement {
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number };
}
interface BunDatabase {
  exec(sql: string): void;
  query(sql: string): BunStatement;
  close(): void;
}
type BunSqlite = { Database: new (path: string, options?: { create?: boolean }) => BunDatabase };

export async function openBunSqlite(path: string): Promise<SqliteConnection> {
  const { Database } = await importRuntimeModule<BunSqlite>("bun:sqlite");
  const db = new Database(path, { create: true });
  let open = true;
  return {
    driver: "bun:sqlite",
    exec: (sql) => db.exec(sql),
    // all() runs a statement that returns no rows too, and answers [].
    query: <Row>(sql: string, params: readonly unknown[]) => db.query(sql).all(...params) as Row[],
    run: (sql, params) => db.query(sql).run(...params).changes,
    close: () => {
      if (open) db.close();
      open = false;
    },
  };
}
