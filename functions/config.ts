/** Process configuration from the environment (each variable documented in README.md). */
import type { DatabaseConfig } from "../db/open.ts";
import type { ServiceConfig } from "./deps.ts";
import { defaultServiceConfig } from "./deps.ts";

/** Everything a server process is configured with. */
export interface ProcessConfig {
  port: number;
  hostname: string;
  database: DatabaseConfig;
  service: ServiceConfig;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** Reads PORT, HOST, DATABASE_URL, FIDSTREAM_* (see README.md); refuses FIDSTREAM_AUTH=off unless on loopback. */
export function configFromEnv(
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): ProcessConfig {
  const int = (name: string, fallback: number) => {
    const raw = env(name);
    if (raw === undefined || raw === "") return fallback;
    const v = Number(raw);
    if (!Number.isInteger(v) || v < 0) {
      throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
    }
    return v;
  };
  const url = env("DATABASE_URL");
  const auth = (env("FIDSTREAM_AUTH") ?? "on").toLowerCase();
  if (auth !== "on" && auth !== "off") throw new Error(`FIDSTREAM_AUTH must be "on" or "off", got "${auth}"`);
  const hostname = env("HOST") ?? (auth === "off" ? "127.0.0.1" : "0.0.0.0");
  if (auth === "off" && !LOOPBACK.has(hostname)) {
    throw new Error(
      `FIDSTREAM_AUTH=off is for local work only: HOST must be a loopback address, not "${hostname}"`,
    );
  }
  return {
    port: int("PORT", 8000),
    hostname,
    database: url ? { url } : { dataDir: env("FIDSTREAM_DATA_DIR") ?? "./.data" },
    service: {
      maxBodyBytes: int("FIDSTREAM_MAX_BODY_BYTES", defaultServiceConfig.maxBodyBytes),
      foldIntervalMs: int("FIDSTREAM_FOLD_INTERVAL_MS", defaultServiceConfig.foldIntervalMs),
      foldMaxPending: int("FIDSTREAM_FOLD_MAX_PENDING", defaultServiceConfig.foldMaxPending),
      metricsDelayMs: int("FIDSTREAM_METRICS_DELAY_MS", defaultServiceConfig.metricsDelayMs),
      auth,
      requestsPerMinute: int("FIDSTREAM_REQUESTS_PER_MINUTE", defaultServiceConfig.requestsPerMinute),
    },
  };
}
