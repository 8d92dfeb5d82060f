/**
 * Keyset paging of newest-first listings: a page starts after the last row of the previous one, identified by
 * its creation time in microseconds (a JavaScript Date keeps milliseconds only, and rows created within one
 * millisecond would be skipped or repeated) and its id.
 */
import { type AnyColumn, type SQL, sql } from "drizzle-orm";

/** Where a page starts: after the row created at createdUs (microseconds since the epoch, as text) with id. */
export interface PageCursor {
  createdUs: string;
  id: string;
}

/** A timestamp column as exact microseconds since the epoch (bigint, sortable). */
export function micros(column: AnyColumn): SQL<string> {
  return sql<string>`(extract(epoch from ${column}) * 1000000)::bigint`;
}

/** Rows strictly after the cursor in (created desc, id desc) order; undefined (no filter) without a cursor. */
export function afterCursor(created: AnyColumn, id: AnyColumn, cursor?: PageCursor): SQL | undefined {
  return cursor ? sql`(${micros(created)}, ${id}) < (${cursor.createdUs}::bigint, ${cursor.id})` : undefined;
}
