/**
 * The request thread's side of the PGlite worker: an object with the methods Drizzle's PGlite driver calls
 * (query, exec, transaction) and the LISTEN the notifier uses, each forwarded to db/pglite/worker.ts.
 *
 * Drizzle passes parser functions for timestamps that return PostgreSQL's text unchanged; functions cannot cross
 * threads, so their type OIDs travel instead and the worker applies the same identity there.
 */
import { RpcClient } from "../../src/workers/rpc_client.ts";
import type { PgliteNotification, PgliteRequest } from "./protocol.ts";

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

/** PGlite on a worker thread, with the client surface Drizzle's PGlite driver uses. */
export class PgliteWorkerClient implements Queryable {
  #rpc: RpcClient<PgliteRequest>;
  #listeners = new Map<string, Set<(payload: string) => void>>();
  #closed = false;

  private constructor() {
    this.#rpc = new RpcClient(new URL("./worker.ts", import.meta.url), {
      name: "pglite",
      onEvent: (event) => {
        const { notify, payload } = event as PgliteNotification;
        for (const fn of this.#listeners.get(notify) ?? []) fn(payload);
      },
      crashError: (message) => new Error(`the PGlite worker crashed: ${message}`),
    });
  }

  /** Starts the worker and opens the database in dataDir (in memory when undefined). */
  static async create(dataDir?: string): Promise<PgliteWorkerClient> {
    const client = new PgliteWorkerClient();
    try {
      await client.#call({ op: "open", dataDir });
    } catch (e) {
      client.#rpc.close();
      throw e;
    }
    return client;
  }

  #call<T>(req: PgliteRequest): Promise<T> {
    if (this.#closed) return Promise.reject(new Error("the PGlite database is closed"));
    return this.#rpc.call<T>(req);
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
      this.#rpc.close();
    }
  }
}
