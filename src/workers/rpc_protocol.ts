/** Messages of the worker RPC (rpc_client.ts on the caller's thread, rpc_server.ts in the worker). */
import type { RpcError } from "./rpc_errors.ts";

/** Caller -> worker: a request with its id, or the setup every worker gets before any request. */
export type RpcCall<Req> = { id: number; request: Req } | { setup: unknown };

/** Worker -> caller: the answer to a request, progress on it, or an event nobody asked for. */
export type RpcMessage =
  | { id: number; value: unknown }
  | { id: number; error: RpcError }
  | { id: number; progress: unknown }
  | { event: unknown };
