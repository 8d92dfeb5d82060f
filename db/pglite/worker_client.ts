/**
 * The request thread's side of the PGlite worker: an object with the methods Drizzle's PGlite driver calls
 * (query, exec, transaction) and the LISTEN the notifier uses, each forwarded to db/pglite/worker.ts.
 *
 * Drizzle passes parser functions for timestamps that return PostgreSQL's text unchanged; functions cannot cross
 * threads, so their type OIDs travel instead and the worker applies the same identity there.
 */
import type { PgliteErrorFields, PgliteReply, PgliteRequest } from "./protocol.ts";

/** What a statement returns (the part of PGlite's Results that Drizzle reads). */
export interface QueryResult {
  rows: unknown[];
  fields: { name: string; dataTypeID: number }[];
  affectedRows?: number;
}

/** Statement methods of the client and of a transaction. */
export interface Queryable {
  query(
    sql: string,
    params?: unknown[],
    options?: { rowMode?: "object" | "array"; parsers?: object },
  ): Promise<
    QueryResult
  >;
  exec(sql: string): Promise<QueryResult[]>;
}

/** An Error carrying the database error's fields (code = SQLSTATE, detail, constraint, ...). */
function reviveError(fields: PgliteErrorFields): Error {
  const e = new Error(fields.message);
  Object.assign(e, fields);
  e.name = fields.name;
  return e;
}

type RequestBody = PgliteRequest extends infer R ? R extends { id: number } ? Omit<R, "id"> : never : never;

/** PGlite on a worker thread, with the client surface Drizzle's PGlite driver uses. */
export class PgliteWorkerClient implements Queryable {
  #worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #next = 1;
  #listeners = new Map<string, Set<(payload: string) => void>>();
  #closed = false;

  private constructor() {
    this.#worker.onmessage = (e: MessageEvent<PgliteReply>) => {
      const msg = e.data;
      if ("notify" in msg) {
        for (const fn of this.#listeners.get(msg.notify) ?? []) fn(msg.payload);
        return;
      }
      const p = this.#pending.get(msg.id);
      if (!p) return;
      this.#pending.delete(msg.id);
      if ("error" in msg) p.reject(reviveError(msg.error));
      else p.resolve(msg.value);
    };
    this.#worker.onerror = (e) => {
      e.preventDefault();
      const error = new Error(`the PGlite worker crashed: ${e.message}`);
      for (const p of this.#pending.values()) p.reject(error);
      this.#pending.clear();
    };
  }

  /** Starts the worker and opens the database in dataDir (in memory when undefined). */
  static async create(dataDir?: string): Promise<PgliteWorkerClient> {
    const client = new PgliteWorkerClient();
    try {
      await client.#call({ op: "open", dataDir });
    } catch (e) {
      client.#worker.terminate();
      throw e;
    }
    return client;
  }

  #call<T>(req: RequestBody): Promise<T> {
    if (this.#closed) return Promise.reject(new Error("the PGlite database is closed"));
    return new Promise<T>((resolve, reject) => {
      const id = this.#next++;
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#worker.postMessage({ ...req, id } as PgliteRequest);
    });
  }

  #query(tx: number | undefined, sql: string, params: unknown[] = [], options: {
    rowMode?: "object" | "array";
    parsers?: object;
  } = {}): Promise<QueryResult> {
    return this.#call({
      op: "query",
      sql,
      params,
      rowMode: options.rowMode ?? "object",
      rawTypes: Object.keys(options.parsers ?? {}).map(Number),
      tx,
    });
  }

  /** One statement with parameters. */
  query(sql: string, params?: unknown[], options?: { rowMode?: "object" | "array"; parsers?: object }) {
    return this.#query(undefined, sql, params, options);
  }

  /** Statements without parameters. */
  exec(sql: string): Promise<QueryResult[]> {
    return this.#call({ op: "exec", sql });
  }

  /** Runs fn in a transaction: committed when it returns, rolled back when it throws. */
  async transaction<T>(fn: (tx: Queryable & { rollback(): Promise<void> }) => Promise<T>): Promise<T> {
    const id = await this.#call<number>({ op: "begin" });
    let rolledBack = false;
    const tx = {
      query: (
        sql: string,
        params?: unknown[],
        options?: { rowMode?: "object" | "array"; parsers?: object },
      ) => this.#query(id, sql, params, options),
      exec: (sql: string) => this.#call<QueryResult[]>({ op: "exec", sql, tx: id }),
      rollback: async () => {
        rolledBack = true;
        await this.#call({ op: "end", tx: id, commit: false });
      },
    };
    let result: T;
    try {
      result = await fn(tx);
    } catch (e) {
      if (!rolledBack) await this.#call({ op: "end", tx: id, commit: false }).catch(() => {});
      throw e;
    }
    if (!rolledBack) await this.#call({ op: "end", tx: id, commit: true });
    return result;
  }

  /** Calls fn with each payload NOTIFYed on channel; resolves to the unsubscribe. */
  async listen(channel: string, fn: (payload: string) => void): Promise<() => Promise<void>> {
    let set = this.#listeners.get(channel);
    if (!set) {
      set = new Set();
      this.#listeners.set(channel, set);
      await this.#call({ op: "listen", channel });
    }
    set.add(fn);
    return async () => {
      set!.delete(fn);
      if (set!.size === 0 && this.#listeners.get(channel) === set) {
        this.#listeners.delete(channel);
        if (!this.#closed) await this.#call({ op: "unlisten", channel });
      }
    };
  }

  /** Closes the database and stops the worker. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#call({ op: "close" });
    } finally {
      this.#closed = true;
      this.#worker.terminate();
    }
  }
}
