/** An in-process fidstream app over a given database, plus small HTTP helpers for tests. */
import type { Database } from "../../db/database.ts";
import { createApp } from "../../functions/app.ts";
import { createDeps, type Deps, disposeDeps, type ServiceConfig } from "../../functions/deps.ts";
import type { FeatureService } from "../../engine/pipeline/feature_service.ts";
import { testEachDatabase } from "./databases.ts";
import { type SseEvent, sseEvents } from "../../cli/sse_events.ts";

/** A running app: call `request` like fetch; `close` stops background work. */
export interface TestService {
  deps: Deps;
  request(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** Builds the full app on `database` with fast cadences suited to tests. */
export async function startTestService(
  database: Database,
  config: Partial<ServiceConfig> = {},
  opts: { features?: FeatureService } = {},
): Promise<TestService> {
  const deps = await createDeps(database, { metricsDelayMs: 10, foldIntervalMs: 0, ...config }, {
    log: () => {},
    ...opts,
  });
  const app = createApp(deps);
  return {
    deps,
    request: (path, init) => Promise.resolve(app.request(path, init)),
    close: () => disposeDeps(deps),
  };
}

/** POSTs an .npy body with an idempotency key. */
export function postNpy(
  service: TestService,
  path: string,
  body: Uint8Array,
  key?: string,
): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/x-npy" };
  if (key) headers["idempotency-key"] = key;
  return service.request(path, { method: "POST", body: body as BodyInit, headers });
}

/** POSTs JSON. */
export function postJson(service: TestService, path: string, body: unknown): Promise<Response> {
  return service.request(path, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
  });
}

export type { SseEvent };

/** Reads SSE events from a response body until `until` says stop (or the stream ends). */
export async function readEvents(res: Response, until: (e: SseEvent) => boolean): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const event of sseEvents(res.body!)) {
    events.push(event);
    if (until(event)) break;
  }
  return events;
}

/** Registers `fn` as one test per database kind, each with its own service over a fresh database, closed after. */
export function testEachService(
  name: string,
  fn: (s: TestService) => Promise<void>,
  config: Partial<ServiceConfig> = {},
) {
  testEachDatabase(name, async (db) => {
    const s = await startTestService(db, config);
    try {
      await fn(s);
    } finally {
      await s.close();
    }
  });
}
