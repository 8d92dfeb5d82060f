/**
 * Requests of the request thread to the PGlite worker (db/pglite/worker.ts), carried by the worker RPC
 * (src/workers/); notifications (LISTEN) come back as its events.
 */

/** A request to the worker. `tx` names an open transaction; without it a statement runs on its own. */
export type PgliteRequest =
  | { op: "open"; dataDir?: string }
  | {
    op: "query";
    sql: string;
    params: unknown[];
    rowMode: "object" | "array";
    /** Type OIDs whose values come back as PostgreSQL's text, unparsed (what Drizzle asks for timestamps). */
    rawTypes: number[];
    tx?: number;
  }
  | { op: "exec"; sql: string; tx?: number }
  | { op: "begin" }
  | { op: "end"; tx: number; commit: boolean }
  | { op: "listen"; channel: string }
  | { op: "unlisten"; channel: string }
  | { op: "close" };

/** A notification a LISTEN delivered, as the worker's RPC event. */
export type PgliteNotification = { notify: string; payload: string };
