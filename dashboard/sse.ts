/**
 * An EventSource that reconnects with exponential backoff. The browser's own retry waits a fixed ~3 s forever;
 * here the wait doubles from `baseMs` up to `maxMs` (with jitter so many tabs do not reconnect in lockstep) and
 * resets once a connection opens. `onOpen` fires on every (re)connect, so callers can refetch history to fill
 * whatever they missed while disconnected.
 */

/** Connection state for a status indicator. */
export type StreamStatus =
  | { state: "connecting" }
  | { state: "open" }
  | { state: "retrying"; inMs: number; attempt: number }
  | { state: "closed" };

/** What to do with a stream. */
export interface StreamHandlers {
  /** Handlers by event name; data is the parsed JSON (or the raw text when it is not JSON). */
  events: Record<string, (data: unknown) => void>;
  onOpen?: () => void;
  onStatus?: (s: StreamStatus) => void;
}

/** Backoff settings. */
export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  /** Uniform [0, 1) source for jitter (tests pass a fixed one). */
  random?: () => number;
}

/** The wait before reconnect attempt `attempt` (0-based): base * 2^attempt capped at max, times [0.5, 1) jitter. */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? 500, max = opts.maxMs ?? 30_000;
  const raw = Math.min(max, base * 2 ** Math.min(attempt, 30));
  return raw * (0.5 + 0.5 * (opts.random ?? Math.random)());
}

/** A live stream; `close` stops it for good. */
export interface EventStream {
  close(): void;
}

/** Minimal EventSource surface (the real one, or a fake in tests). */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((e: Event) => void) | null;
  onerror: ((e: Event) => void) | null;
  addEventListener(type: string, fn: (e: MessageEvent) => void): void;
  close(): void;
}

/** Opens `url` as Server-Sent Events and keeps it open until `close()`. */
export function openEventStream(
  url: string,
  handlers: StreamHandlers,
  opts: BackoffOptions & { create?: (url: string) => EventSourceLike } = {},
): EventStream {
  const create = opts.create ?? ((u: string) => new EventSource(u) as unknown as EventSourceLike);
  let source: EventSourceLike | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let closed = false;
  const status = (s: StreamStatus) => handlers.onStatus?.(s);

  const connect = () => {
    if (closed) return;
    status({ state: "connecting" });
    const es = create(url);
    source = es;
    es.onopen = () => {
      if (closed || source !== es) return;
      attempt = 0;
      status({ state: "open" });
      handlers.onOpen?.();
    };
    es.onerror = () => {
      if (closed || source !== es) return;
      // Take over from the browser's fixed-interval retry: close and come back after our backoff.
      es.close();
      source = null;
      const inMs = backoffDelay(attempt, opts);
      status({ state: "retrying", inMs, attempt: attempt + 1 });
      attempt++;
      timer = setTimeout(connect, inMs);
    };
    for (const [name, fn] of Object.entries(handlers.events)) {
      es.addEventListener(name, (e: MessageEvent) => {
        if (closed || source !== es) return;
        let data: unknown = e.data;
        try {
          data = JSON.parse(e.data);
        } catch { /* keep the text */ }
        fn(data);
      });
    }
  };
  connect();
  return {
    close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      source?.close();
      source = null;
      status({ state: "closed" });
    },
  };
}
