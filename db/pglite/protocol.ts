/**
 * Messages between the request thread and the PGlite worker (db/pglite/worker.ts). Every request carries an id;
 * the worker answers each id once, with a value or an error. Notifications (LISTEN) come unasked.
 */

/** A request to the worker. `tx` names an open transaction; without it a statement runs on its own. */
export type PgliteRequest =
  | { id: number; op: "open"; dataDir?: string }
  | {
    id: number;
    op: "query";
    sql: string;
    params: unknown[];
    rowMode: "object" | "array";
    /** Type OIDs whose values come back as PostgreSQL's text, unparsed (what Drizzle asks for timestamps). */
    rawTypes: number[];
    tx?: number;
  }
  | { id: number; op: "exec"; sql: string; tx?: number }
  | { id: number; op: "begin" }
  | { id: number; op: "end"; tx: number; commit: boolean }
  | { id: number; op: "listen"; channel: string }
  | { id: number; op: "unlisten"; channel: string }
  | { id: number; op: "close" };

/** A database error's fields (SQLSTATE code, detail, constraint, ...), kept so callers can tell errors apart. */
export interface PgliteErrorFields {
  name: string;
  message: string;
  [field: string]: unknown;
}

/** An answer, or a notification. */
export type PgliteReply =
  | { id: number; value: unknown }
  | { id: number; error: PgliteErrorFields }
  | { notify: string; payload: string };
