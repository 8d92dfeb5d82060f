/** The one session interface that every driver (db/pglite, db/postgres) provides. */
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type * as schema from "./schema.ts";

/** Drizzle handle over the fidstream schema, whatever the driver. */
// deno-lint-ignore no-explicit-any
export type Db = PgDatabase<PgQueryResultHKT, typeof schema> & { $client: any };

/** An open database: a Drizzle handle plus the notification channel every process shares. */
export interface Database {
  readonly kind: "pglite" | "postgres";
  readonly db: Db;
  /** Calls fn with each payload sent on channel (by any process); resolves to an unsubscribe function. */
  listen(channel: string, fn: (payload: string) => void): Promise<() => Promise<void>>;
  /** Closes connections; pending listeners stop. */
  close(): Promise<void>;
}

/** Rows of a raw `db.execute(sql...)` result: PGlite wraps them in {rows}, postgres.js returns an array. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}
