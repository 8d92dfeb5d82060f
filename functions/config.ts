/** Process configuration from the environment (each variable documented in README.md). */
import type { DatabaseConfig } from "../db/open.ts";
import type { ServiceConfig } from "./deps.ts";
import { defaultServiceConfig } from "./deps.ts";
import { defaultListenerLimits, type ListenerLimits } from "./listener.ts";

/** Everything a server process is configured with. */
export interface ProcessConfig {
  port: number;
  hostname: string;
  /** FIDSTREAM_DATA_DIR: local state (the embedded database in db/, models, the first admin key). */
  dataDir: string;
  database: DatabaseConfig;
  service: ServiceConfig;
  /** Connection limits of the listener (timeouts, header size, connections). */
  listener: ListenerLimits;
  /** GPU hosts for feature extraction (FIDSTREAM_GPU_HOST, comma-separated), with their token and timeout. */
  gpuHost?: { urls: string[]; token?: string; timeoutMs: number };
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
  const gpuHosts = gpuHostUrls(env("FIDSTREAM_GPU_HOST"));
  const maxBodyBytes = int("FIDSTREAM_MAX_BODY_BYTES", defaultServiceConfig.maxBodyBytes);
  const bodyMemoryBytes = int("FIDSTREAM_BODY_MEMORY_BYTES", defaultServiceConfig.bodyMemoryBytes);
  if (bodyMemoryBytes < maxBodyBytes) {
    throw new Error(
      `FIDSTREAM_BODY_MEMORY_BYTES (${bodyMemoryBytes}) must be at least FIDSTREAM_MAX_BODY_BYTES (${maxBodyBytes}): ` +
        "else the largest accepted body could never be read",
    );
  }
  const dataDir = env("FIDSTREAM_DATA_DIR") || "./.data";
  return {
    gpuHost: gpuHosts.length > 0
      ? {
        urls: gpuHosts,
        token: env("FIDSTREAM_GPU_HOST_TOKEN") || undefined,
        timeoutMs: int("FIDSTREAM_GPU_HOST_TIMEOUT_MS", 120_000),
      }
      : undefined,
    port: int("PORT", 8000),
    hostname,
    dataDir,
    // The embedded database gets its own folder: models and other files live beside it, never inside it.
    database: url ? { url } : { dataDir: `${dataDir}/db` },
    service: {
      maxBodyBytes,
      foldIntervalMs: int("FIDSTREAM_FOLD_INTERVAL_MS", defaultServiceConfig.foldIntervalMs),
      foldMaxPending: int("FIDSTREAM_FOLD_MAX_PENDING", defaultServiceConfig.foldMaxPending),
      metricsDelayMs: int("FIDSTREAM_METRICS_DELAY_MS", defaultServiceConfig.metricsDelayMs),
      auth,
      requestsPerMinute: int("FIDSTREAM_REQUESTS_PER_MINUTE", defaultServiceConfig.requestsPerMinute),
      defaultFeatureSpace: env("FIDSTREAM_DEFAULT_FEATURES") ?? defaultServiceConfig.defaultFeatureSpace,
      bodyMemoryBytes,
      uploadsPerKey: int("FIDSTREAM_UPLOADS_PER_KEY", defaultServiceConfig.uploadsPerKey),
      decodeMemoryBytes: int("FIDSTREAM_DECODE_MEMORY_BYTES", defaultServiceConfig.decodeMemoryBytes),
      streamKeyRecheckMs: int("FIDSTREAM_STREAM_KEY_RECHECK_MS", defaultServiceConfig.streamKeyRecheckMs),
    },
    listener: {
      headerTimeoutMs: int("FIDSTREAM_HEADER_TIMEOUT_MS", defaultListenerLimits.headerTimeoutMs),
      bodyIdleTimeoutMs: int("FIDSTREAM_BODY_IDLE_TIMEOUT_MS", defaultListenerLimits.bodyIdleTimeoutMs),
      maxHeaderBytes: int("FIDSTREAM_MAX_HEADER_BYTES", defaultListenerLimits.maxHeaderBytes),
      maxConnections: int("FIDSTREAM_MAX_CONNECTIONS", defaultListenerLimits.maxConnections),
      keepAliveTimeoutMs: defaultListenerLimits.keepAliveTimeoutMs,
    },
  };
}

/** The hosts of FIDSTREAM_GPU_HOST ("http://a:8100,http://b:8100"), each an http(s) URL; none when unset. */
export function gpuHostUrls(raw: string | undefined): string[] {
  const urls = (raw ?? "").split(",").map((u) => u.trim()).filter((u) => u !== "");
  for (const u of urls) {
    let ok = false;
    try {
      ok = ["http:", "https:"].includes(new URL(u).protocol);
    } catch { /* not a URL */ }
    if (!ok) {
      throw new Error(`FIDSTREAM_GPU_HOST must list http(s) URLs separated by commas; "${u}" is not one`);
    }
  }
  return urls;
}
