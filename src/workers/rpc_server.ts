/// <reference lib="deno.worker" />
/**
 * The worker's side of the RPC (rpc_client.ts): answers each request with its handler's value (handing over the
 * buffers `transfer` names) or its error in crossing form, lets the handler report progress and events, and
 * applies the setup message before any request.
 */
import { encodeError } from "./rpc_errors.ts";
import type { RpcCall, RpcMessage } from "./rpc_protocol.ts";

/** What a handler can do besides answering. */
export interface RpcContext {
  /** Progress on this request (the caller's onProgress hears it). */
  progress(progress: unknown): void;
}

/** How a worker serves. */
export interface ServeOptions {
  /** Applies the setup message (runs before any request; requests wait for it when it is async). */
  setup?: (setup: unknown) => unknown;
  /** Requests one at a time in arrival order (true), or each as it comes (false: handlers interleave). */
  serial?: boolean;
  /** Buffers of a value to hand over instead of copying. */
  transfer?: (value: unknown) => Transferable[];
}

/** Serves `handle` on this worker's messages. */
export function serveRpc<Req>(
  handle: (request: Req, ctx: RpcContext) => unknown,
  opts: ServeOptions = {},
): void {
  const post = (msg: RpcMessage, transfer: Transferable[] = []) => self.postMessage(msg, transfer);
  let ready: Promise<unknown> = Promise.resolve();
  let queue: Promise<unknown> = Promise.resolve();
  const answer = async (id: number, request: Req) => {
    try {
      await ready;
      const value = await handle(request, { progress: (progress) => post({ id, progress }) });
      post({ id, value }, opts.transfer?.(value) ?? []);
    } catch (e) {
      post({ id, error: encodeError(e) });
    }
  };
  self.onmessage = (e: MessageEvent<RpcCall<Req>>) => {
    const msg = e.data;
    if ("setup" in msg) {
      ready = Promise.resolve(opts.setup?.(msg.setup));
      return;
    }
    if (opts.serial) queue = queue.then(() => answer(msg.id, msg.request));
    else answer(msg.id, msg.request);
  };
}

/** Sends an event nobody asked for (a notification) to the caller's onEvent. */
export function emitEvent(event: unknown): void {
  self.postMessage({ event } satisfies RpcMessage);
}
