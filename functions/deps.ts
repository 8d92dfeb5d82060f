/** Everything a handler needs: the engine and the HTTP layer's own limits, built once per process and passed in. */
import type { Database } from "../db/database.ts";
import { defaultEngineConfig, type Engine, type EngineConfig } from "../engine/engine.ts";
import { createEngine, disposeEngine, type EngineOptions } from "../engine/create_engine.ts";
import { RateLimiter } from "./auth/rate_limit.ts";
import { BodyBudget, UploadSlots } from "./body_limits.ts";

/** Service settings: the engine's and the HTTP layer's (see config.ts for the environment variables behind them). */
export interface ServiceConfig extends EngineConfig {
  /** "on": every /v1 request needs an API key. "off": local work only (configFromEnv refuses it off loopback). */
  auth: "on" | "off";
  /** Requests per key per minute (0 = unlimited); over it: 429 with Retry-After. */
  requestsPerMinute: number;
  /** Bytes the bodies of all requests in flight may hold together (503 with Retry-After over it). */
  bodyMemoryBytes: number;
  /** Requests with a body one key may have in flight at once (429 over it; 0 = no limit). */
  uploadsPerKey: number;
  /** How often an event stream re-checks its API key (a revoked key's streams close within this). */
  streamKeyRecheckMs: number;
  /** Token of the local operator (the CLI on this machine, see auth/operator.ts); unset: none accepted. */
  operatorToken?: string;
}

/** The engine's defaults; 1 GiB of bodies in flight, 32 uploads per key at once, 6000 requests a minute. */
export const defaultServiceConfig: ServiceConfig = {
  ...defaultEngineConfig,
  // Programmatic deps (tests, embedding) default to no auth; the server process (configFromEnv) defaults to on.
  auth: "off",
  requestsPerMinute: 6000,
  bodyMemoryBytes: 1024 * 1024 * 1024,
  uploadsPerKey: 32,
  streamKeyRecheckMs: 5_000,
};

/** The dependencies of every handler: the engine, with the service's config, and the HTTP layer's limits. */
export interface Deps extends Engine {
  config: ServiceConfig;
  rateLimiter: RateLimiter;
  /** Memory for request bodies in flight, shared by every request of this process. */
  bodyBudget: BodyBudget;
  /** Uploads in flight per API key. */
  uploadSlots: UploadSlots;
}

/** Builds the engine over an open database and the HTTP layer's limits beside it. */
export async function createDeps(
  database: Database,
  config: Partial<ServiceConfig> = {},
  opts: EngineOptions = {},
): Promise<Deps> {
  const full = { ...defaultServiceConfig, ...config };
  const engine = await createEngine(database, full, opts);
  const now = () => engine.clock().getTime();
  return Object.assign(engine, {
    rateLimiter: new RateLimiter(full.requestsPerMinute, now),
    bodyBudget: new BodyBudget(full.bodyMemoryBytes),
    uploadSlots: new UploadSlots(full.uploadsPerKey),
  });
}

/** Stops background work and listeners (the database stays open: its owner closes it). */
export function disposeDeps(deps: Deps): Promise<void> {
  return disposeEngine(deps);
}
