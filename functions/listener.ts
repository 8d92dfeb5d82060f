/**
 * The HTTP/1.1 listener of `deno task start` and the GPU host: a fetch handler (the Hono app) served over
 * node:http, with the connection-level limits a public server needs.
 *
 * Why not Deno.serve: it has no header or body timeouts (denoland/deno#3515), so 2,000 half-sent headers stayed
 * open indefinitely, and reading a body preallocated from Content-Length (1,000 connections claiming 256 MiB
 * and sending 6 bytes took 16 GB). Deno's node:http has Node's parser limits: headersTimeout, maxHeaderSize and
 * keep-alive timeouts; bodies arrive as the bytes do. This file adds what it lacks: an idle timeout for bodies
 * (the clock only runs while the handler waits for bytes, so a slow handler is not the client's fault), JSON
 * errors for rejections that happen before any handler runs, and closing a connection whose body was not read.
 */
import http from "node:http";
import type { Socket } from "node:net";

/** Connection-level limits (see README's configuration table). */
export interface ListenerLimits {
  /** Time a client has to send a request's complete headers. */
  headerTimeoutMs: number;
  /** Time a request body may go without a byte while the handler waits for one. */
  bodyIdleTimeoutMs: number;
  /** Largest request head (request line and headers), in bytes. */
  maxHeaderBytes: number;
  /** Open connections at most; more are closed at once. */
  maxConnections: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
}

/** Defaults: 30 s for headers, 60 s without a body byte, 16 KiB of headers, 4,096 connections. */
export const defaultListenerLimits: ListenerLimits = {
  headerTimeoutMs: 30_000,
  bodyIdleTimeoutMs: 60_000,
  maxHeaderBytes: 16 * 1024,
  maxConnections: 4096,
  keepAliveTimeoutMs: 5_000,
};

/** A listening server. */
export interface Listener {
  /** Base URL, e.g. http://127.0.0.1:8000. */
  url: string;
  hostname: string;
  port: number;
  /** Stops accepting, waits for open requests to finish (at most `graceMs`), then closes every connection. */
  shutdown(graceMs?: number): Promise<void>;
}

/** Handler of one request, as Deno.serve and Hono's app.fetch take it. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

/** A raw HTTP/1.1 error answer with a JSON body, for rejections made before any handler runs. */
function rawJsonResponse(status: number, reason: string, code: string, message: string): string {
  const body = JSON.stringify({ error: { code, message } });
  return `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${
    new TextEncoder().encode(body).length
  }\r\nconnection: close\r\n\r\n${body}`;
}

/** What the parser's error means for the client: status, reason phrase, code and message. */
function clientErrorAnswer(err: { code?: string }, limits: ListenerLimits): string {
  switch (err.code) {
    case "HPE_HEADER_OVERFLOW":
      return rawJsonResponse(
        431,
        "Request Header Fields Too Large",
        "headers_too_large",
        `the request's headers are over ${limits.maxHeaderBytes} bytes; send shorter headers ` +
          "(an Idempotency-Key is at most 255 characters)",
      );
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return rawJsonResponse(
        408,
        "Request Timeout",
        "header_timeout",
        `the request's headers did not arrive within ${limits.headerTimeoutMs} ms`,
      );
    default:
      return rawJsonResponse(400, "Bad Request", "bad_http_request", "the request is not valid HTTP/1.1");
  }
}

/** Host header value when it is a plain host[:port], else a neutral one (it only forms the Request's URL). */
function safeHost(host: string | undefined): string {
  return host && /^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host)
    ? host
    : "localhost";
}

/**
 * The request body as a web stream pulled from node's: bytes are requested only when the handler reads, and the
 * idle clock runs only while it waits for them.
 */
function bodyStream(
  req: http.IncomingMessage,
  idleMs: number,
  onIdle: () => void,
): ReadableStream<Uint8Array> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let waiting: ((chunk: Uint8Array | null) => void) | null = null;
  let failed: ((e: Error) => void) | null = null;
  const queue: (Uint8Array | null)[] = [];
  let error: Error | null = null;
  const stopClock = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  req.on("data", (chunk: Uint8Array) => {
    req.pause();
    if (waiting) {
      const w = waiting;
      waiting = failed = null;
      stopClock();
      w(chunk);
    } else queue.push(chunk);
  });
  req.on("end", () => {
    stopClock();
    if (waiting) {
      const w = waiting;
      waiting = failed = null;
      w(null);
    } else queue.push(null);
  });
  const fail = (e: Error) => {
    stopClock();
    error = e;
    if (failed) {
      const f = failed;
      waiting = failed = null;
      f(e);
    }
  };
  req.on("error", fail);
  req.on("close", () => {
    if (!req.complete) fail(new Error("the client closed the connection before its body ended"));
  });
  req.pause();
  return new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      if (error) throw error;
      let chunk = queue.shift();
      if (chunk === undefined) {
        chunk = await new Promise<Uint8Array | null>((resolve, reject) => {
          waiting = resolve;
          failed = reject;
          timer = setTimeout(() => {
            timer = undefined;
            onIdle();
            fail(new Error(`no body byte for ${idleMs} ms`));
          }, idleMs);
          req.resume();
        });
      }
      if (chunk === null) controller.close();
      else controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    },
    cancel: () => {
      stopClock();
      req.pause();
    },
  }, { highWaterMark: 0 });
}

/** Writes a fetch Response to node's response, honouring backpressure; stops when the client goes away. */
async function writeResponse(
  response: Response,
  res: http.ServerResponse,
  closed: Promise<void>,
  method: string,
): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of response.headers) if (k !== "set-cookie") headers[k] = v;
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  res.writeHead(response.status, response.statusText || undefined, headers);
  if (!response.body || method === "HEAD") {
    await response.body?.cancel();
    res.end();
    return;
  }
  const reader = response.body.getReader();
  let gone = false;
  closed.then(() => {
    gone = true;
    // Wakes a stream waiting for its next event (SSE): its cancel handler ends it.
    reader.cancel().catch(() => {});
  });
  try {
    while (!gone) {
      const { value, done } = await reader.read();
      if (done || gone) break;
      if (!res.write(value)) {
        await Promise.race([new Promise((r) => res.once("drain", r)), closed]);
      }
    }
    if (!gone) res.end();
  } catch {
    res.destroy();
  } finally {
    reader.releaseLock();
  }
}

/** How long a connection whose body was refused may go on sending (discarded) before it is cut. */
const LINGER_MS = 2000;

/**
 * After answering a request whose body was not read: what still arrives is discarded, and the connection is cut
 * unless the body ends within LINGER_MS (then it may carry the next request). Closing at once while the client
 * still sends makes the kernel answer with a reset, which can destroy our answer before the client reads it; and
 * draining without a limit would let a client hold the connection by sending slowly for ever.
 */
function lingerAfterRefusal(req: http.IncomingMessage): void {
  if (req.complete) return;
  req.resume();
  const timer = setTimeout(() => req.socket.destroy(), LINGER_MS);
  const done = () => clearTimeout(timer);
  req.once("end", done);
  req.socket.once("close", done);
}

/** Serves `handler` on hostname:port (port 0: any free port) with the given limits. */
export function listen(
  handler: FetchHandler,
  opts: { port: number; hostname: string; limits?: Partial<ListenerLimits> },
): Promise<Listener> {
  const limits = { ...defaultListenerLimits, ...opts.limits };
  const sockets = new Set<Socket>();
  let active = 0;
  let idleWaiters: (() => void)[] = [];
  const server = http.createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      requestTimeout: 0,
      // How often node looks for requests past headersTimeout (default 30 s, as long as the timeout itself).
      connectionsCheckingInterval: Math.max(100, Math.min(1000, limits.headerTimeoutMs / 4)),
    },
    (req, res) => {
      active++;
      handle(req, res).finally(() => {
        active--;
        if (active === 0) { for (const w of idleWaiters.splice(0)) w(); }
      });
    },
  );
  server.headersTimeout = limits.headerTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("clientError", (err: { code?: string }, socket: Socket) => {
    if (socket.writable) socket.end(clientErrorAnswer(err, limits));
    else socket.destroy();
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const abort = new AbortController();
    const closed = new Promise<void>((resolve) => res.once("close", () => resolve()));
    closed.then(() => {
      if (!res.writableFinished) abort.abort();
    });
    let idled = false;
    const method = req.method ?? "GET";
    const hasBody = method !== "GET" && method !== "HEAD";
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      try {
        headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
      } catch { /* a header the fetch API refuses: the handler never needed it */ }
    }
    const path = (req.url ?? "/").startsWith("/") ? req.url! : "/";
    let response: Response;
    try {
      const request = new Request(`http://${safeHost(req.headers.host)}${path}`, {
        method,
        headers,
        signal: abort.signal,
        body: hasBody ? bodyStream(req, limits.bodyIdleTimeoutMs, () => (idled = true)) : undefined,
        // Required by the fetch spec for a streamed request body.
        duplex: "half",
      } as RequestInit);
      response = await handler(request);
    } catch (e) {
      response = Response.json(
        { error: { code: "internal", message: "internal error; nothing was stored for this request" } },
        { status: 500 },
      );
      console.error(`listener: handler failed on ${method} ${path}: ${e instanceof Error ? e.message : e}`);
    }
    if (idled && !res.headersSent) {
      response = Response.json({
        error: {
          code: "body_timeout",
          message: `the request body stalled: no byte for ${limits.bodyIdleTimeoutMs} ms`,
        },
      }, { status: 408 });
    }
    // A body the handler did not read to its end (refused early, or stalled) is not drained for ever: the client
    // may be sending it for ever.
    if (hasBody && !req.complete) res.once("finish", () => lingerAfterRefusal(req));
    await writeResponse(response, res, closed, method);
  }

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.hostname, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : opts.port;
      const host = opts.hostname.includes(":") ? `[${opts.hostname}]` : opts.hostname;
      resolve({
        url: `http://${host}:${port}`,
        hostname: opts.hostname,
        port,
        async shutdown(graceMs = 10_000) {
          const closedServer = new Promise<void>((r) => server.close(() => r()));
          // Idle keep-alive connections would hold close() open: end those with no request in flight now.
          server.closeIdleConnections?.();
          if (active > 0) {
            let timer: ReturnType<typeof setTimeout> | undefined;
            await Promise.race([
              new Promise<void>((r) => idleWaiters.push(r)),
              new Promise((r) => (timer = setTimeout(r, graceMs))),
            ]);
            clearTimeout(timer);
          }
          idleWaiters = [];
          for (const s of sockets) s.destroy();
          await closedServer;
        },
      });
    });
  });
}
