/// <reference lib="deno.worker" />
/**
 * The PGlite database on its own thread. PGlite is PostgreSQL compiled to WebAssembly and runs synchronously
 * wherever it lives: on the request thread, storing one 64 MiB statistics blob held every other request for
 * 5 s. Here it holds only this thread. Statements run through PGlite's own methods, so its ordering holds as
 * before: a statement waits for an open transaction, and a transaction's statements run inside it.
 */
import { PGlite, types } from "@electric-sql/pglite";
import { byteaFromText, byteaToText } from "../bytea_codec.ts";
import { emitEvent, serveRpc } from "../../src/workers/rpc_server.ts";
import type { PgliteNotification, PgliteRequest } from "./protocol.ts";

type Transaction = Parameters<Parameters<PGlite["transaction"]>[0]>[0];

let db: PGlite | null = null;
let nextTx = 1;
/** Open transactions: their PGlite handle and how to end them. */
const open = new Map<
  number,
  { tx: Transaction; end: (commit: boolean) => void; settled?: Promise<unknown> }
>();
const listening = new Map<string, () => Promise<void>>();
const identity = (value: string) => value;

/** Buffers of bytea values that own their whole buffer: handed over instead of copied. */
function transferables(value: unknown): ArrayBuffer[] {
  const rows = (value as { rows?: unknown[] } | null)?.rows;
  if (!Array.isArray(rows)) return [];
  const out = new Set<ArrayBuffer>();
  for (const row of rows) {
    for (const v of Array.isArray(row) ? row : Object.values(row as object)) {
      if (v instanceof Uint8Array && v.byteOffset === 0 && v.buffer.byteLength === v.byteLength) {
        out.add(v.buffer as ArrayBuffer);
      }
    }
  }
  return [...out];
}

/** The handle a statement runs on: its transaction's, or the database's. */
function target(tx: number | undefined): Pick<PGlite, "query" | "exec"> {
  if (tx === undefined) return db!;
  const t = open.get(tx);
  if (!t) throw new Error(`transaction ${tx} is not open`);
  return t.tx;
}

async function handle(req: PgliteRequest): Promise<unknown> {
  switch (req.op) {
    case "open":
      // PGlite's own bytea conversion is byte-at-a-time JS: whole-buffer hex instead (see bytea_codec.ts).
      db = await PGlite.create({
        dataDir: req.dataDir,
        parsers: { [types.BYTEA]: byteaFromText },
        serializers: { [types.BYTEA]: byteaToText },
      });
      return null;
    case "query": {
      const parsers = Object.fromEntries(req.rawTypes.map((oid) => [oid, identity]));
      const result = await target(req.tx).query(req.sql, req.params, { rowMode: req.rowMode, parsers });
      return { rows: result.rows, fields: result.fields, affectedRows: result.affectedRows };
    }
    case "exec": {
      const results = await target(req.tx).exec(req.sql);
      return results.map((r) => ({ rows: r.rows, fields: r.fields }));
    }
    case "begin": {
      const id = nextTx++;
      let began!: () => void;
      const started = new Promise<void>((r) => (began = r));
      let end!: (commit: boolean) => void;
      const ended = new Promise<boolean>((r) => (end = r));
      const done = db!.transaction(async (tx) => {
        open.set(id, { tx, end });
        began();
        if (!(await ended)) await tx.rollback();
      });
      // What ending the transaction gives: null, or the error its COMMIT raised.
      const settled = done.then(() => null, (e) => e).finally(() => open.delete(id));
      // The transaction's BEGIN runs once PGlite's transaction lock is ours; answer then.
      await Promise.race([started, settled]);
      const entry = open.get(id);
      if (!entry) throw (await settled) ?? new Error("the transaction could not begin");
      entry.settled = settled;
      return id;
    }
    case "end": {
      const t = open.get(req.tx);
      if (!t) throw new Error(`transaction ${req.tx} is not open`);
      t.end(req.commit);
      const error = await t.settled;
      if (error) throw error;
      return null;
    }
    case "listen": {
      if (!listening.has(req.channel)) {
        listening.set(
          req.channel,
          await db!.listen(
            req.channel,
            (payload) => emitEvent({ notify: req.channel, payload } satisfies PgliteNotification),
          ),
        );
      }
      return null;
    }
    case "unlisten":
      await listening.get(req.channel)?.();
      listening.delete(req.channel);
      return null;
    case "close":
      await db?.close();
      db = null;
      return null;
  }
}

// Requests interleave (a transaction's statements arrive while it holds PGlite's transaction lock): PGlite's own
// locks order them, as they did on the request thread.
serveRpc<PgliteRequest>(handle, { transfer: transferables });
