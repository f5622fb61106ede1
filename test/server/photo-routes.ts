/**
 * A route as an app with its own table would write it: `onComplete` for what may run
 * again (idempotent on its key), `onCompleteInTransaction` for the app's row, written in
 * the transaction that marks the upload complete. Used in-process and by `api-process.ts`.
 */
import { defineRoute, type LedgerTransaction, type Route } from "@sluice/server";
import { authorize, MiB, type TestUser } from "./helpers.js";

export type Stall = "HOOK" | "IN-TRANSACTION";

export interface PhotoRouteOptions {
  /** The app's table: `upload_id` (unique), `user_id`, `size`. */
  readonly table: string;
  /** Called at each step; a promise returned is awaited (one that never settles stalls). */
  readonly onStep?: (step: Stall, id: string) => Promise<never> | undefined;
  readonly onComplete?: (id: string) => Promise<void> | void;
}

export function photoRoutes(options: PhotoRouteOptions): Record<string, Route<TestUser>> {
  return {
    photos: defineRoute({
      types: ["image/png"],
      maxSize: 64 * MiB,
      multipartThreshold: 5 * MiB,
      partSize: 5 * MiB,
      authorize,
      async onComplete({ idempotencyKey }) {
        await options.onStep?.("HOOK", idempotencyKey);
        await options.onComplete?.(idempotencyKey);
      },
      async onCompleteInTransaction({ upload, user }, transaction) {
        await insertPhoto(transaction, options.table, upload.id, user.id, upload.size);
        await options.onStep?.("IN-TRANSACTION", upload.id);
      },
    }),
  };
}

/** The app's write, with its database's own placeholders. */
export async function insertPhoto(
  transaction: LedgerTransaction,
  table: string,
  id: string,
  userId: string,
  size: number,
): Promise<void> {
  const [a, b, c] = transaction.dialect === "postgres" ? ["$1", "$2", "$3"] : ["?", "?", "?"];
  await transaction.query(
    `INSERT INTO ${table} (upload_id, user_id, size) VALUES (${a}, ${b}, ${c})`,
    [id, userId, size],
  );
}

export const PHOTOS_TABLE_SQL = (table: string) =>
  `CREATE TABLE ${table} (upload_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, size BIGINT NOT NULL)`;
