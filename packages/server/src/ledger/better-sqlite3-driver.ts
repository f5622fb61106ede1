/**
 * SQLite through better-sqlite3, for Node 20 (no `node:sqlite`): an optional dependency,
 * compiled for the Node it was installed with.
 */
import type Database from "better-sqlite3";
import { importRuntimeModule, preparedOnce, type SqliteConnection } from "./sqlite-connection.js";

export async function openBetterSqlite3(path: string): Promise<SqliteConnection> {
  let open: typeof Database;
  try {
    open = (await importRuntimeModule<{ default: typeof Database }>("better-sqlite3")).default;
  } catch (error) {
    throw new Error(
      "the SQLite ledger needs `better-sqlite3` on this Node (before 22.13, which has node:sqlite): npm install better-sqlite3, or use Node 22.13+, or a PostgreSQL ledger",
      { cause: error },
    );
  }
  const db = new open(path);
  const prepare = preparedOnce((sql) => db.prepare(sql));
  return {
    driver: "better-sqlite3",
    exec: (sql) => void db.exec(sql),
    query<Row>(sql: string, params: readonly unknown[]) {
      const statement = prepare(sql);
      if (statement.reader) return statement.all(...params) as Row[];
      statement.run(...params);
      return [];
    },
    run: (sql, params) => prepare(sql).run(...params).changes,
    close: () => {
      if (db.open) db.close();
    },
  };
}
