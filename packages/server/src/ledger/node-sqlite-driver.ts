/**
 * SQLite built into Node (22.13+, unflagged; 22.5+ with `--experimental-sqlite`) and
 * Deno (2.2+): `DatabaseSync`, no native compile at install.
 * https://nodejs.org/api/sqlite.html https://docs.deno.com/api/node/sqlite/
 */
import { importRuntimeModule, preparedOnce, type SqliteConnection } from "./sqlite-connection.js";

interface StatementSync {
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number | bigint };
}
interface DatabaseSync {
  exec(sql: string): void;
  prepare(sql: string): StatementSync;
  close(): void;
}
type NodeSqlite = { DatabaseSync: new (path: string) => DatabaseSync };

export async function openNodeSqlite(path: string): Promise<SqliteConnection> {
  const { DatabaseSync } = await importRuntimeModule<NodeSqlite>("node:sqlite");
  const db = new DatabaseSync(path);
  let open = true;
  const prepare = preparedOnce((sql) => db.prepare(sql));
  return {
    driver: "node:sqlite",
    exec: (sql) => db.exec(sql),
    // all() runs a statement that returns no rows too, and answers [].
    query: <Row>(sql: string, params: readonly unknown[]) => prepare(sql).all(...params) as Row[],
    run: (sql, params) => Number(prepare(sql).run(...params).changes),
    close: () => {
      if (open) db.close();
      open = false;
    },
  };
}
