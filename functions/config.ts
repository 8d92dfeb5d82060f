/**
 * The one place the environment is read: every FIDSTREAM_* variable (and PORT, HOST, DATABASE_URL) becomes a
 * typed configuration here, once per process, and is passed down from the entry points (the server, the GPU
 * host, the CLI). tests/functions/config_env_test.ts fails when code elsewhere reads the environment, or when a
 * variable read here is missing from README.md's configuration table.
 */
import type { DatabaseConfig } from "../db/open.ts";
import {
  DEFAULT_DATA_DIR,
  type ExtractionSettings,
  parseBackendName,
  parseInceptionEngine,
} from "../models/runtime/extraction_settings.ts";
import type { ServiceConfig } from "./deps.ts";
import { defaultServiceConfig } from "./deps.ts";
import { defaultListenerLimits, type ListenerLimits } from "./listener.ts";

/** How extraction runs in this process: its settings, and how many worker threads the pool has. */
export interface ExtractionConfig extends ExtractionSettings {
  /** Worker threads (FIDSTREAM_WORKERS; default one per core). */
  workers?: number;
}

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
  /** Feature extraction: backend, fid-inception's engine and weights, OpenBLAS, workers. */
  extraction: ExtractionConfig;
  /** The GPU host process (`deno task gpu-host`): its token, and most images in one forward. */
  gpuHostServer: { token?: string; maxBatch?: number };
  /** What clients of a server (the CLI) send: FIDSTREAM_API_KEY. */
  client: { apiKey?: string };
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/**
 * Reads PORT, HOST, DATABASE_URL, FIDSTREAM_* (see README.md); refuses FIDSTREAM_AUTH=off unless on loopback.
 * `defaultPort` is the entry point's (8000 for the service, 8100 for the GPU host).
 */
export function configFromEnv(
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
  opts: { defaultPort?: number } = {},
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
  const positive = (name: string) => {
    const v = int(name, 0);
    return v > 0 ? v : undefined;
  };
  const text = (name: string) => env(name)?.trim() || undefined;
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
  const dataDir = text("FIDSTREAM_DATA_DIR") ?? DEFAULT_DATA_DIR;
  const openblasLibrary = text("FIDSTREAM_OPENBLAS");
  const backend = parseBackendName(env("FIDSTREAM_BACKEND"), "FIDSTREAM_BACKEND");
  return {
    gpuHost: gpuHosts.length > 0
      ? {
        urls: gpuHosts,
        token: env("FIDSTREAM_GPU_HOST_TOKEN") || undefined,
        timeoutMs: int("FIDSTREAM_GPU_HOST_TIMEOUT_MS", 120_000),
      }
      : undefined,
    port: int("PORT", opts.defaultPort ?? 8000),
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
      vaeTimeoutMs: positive("FIDSTREAM_VAE_TIMEOUT_MS") ?? defaultServiceConfig.vaeTimeoutMs,
      openblasLibrary,
      backend,
    },
    extraction: {
      workers: positive("FIDSTREAM_WORKERS"),
      backend,
      inceptionEngine: parseInceptionEngine(env("FIDSTREAM_INCEPTION_ENGINE"), "FIDSTREAM_INCEPTION_ENGINE"),
      openblasLibrary,
      fidWeights: text("FIDSTREAM_FID_WEIGHTS"),
      dataDir,
    },
    gpuHostServer: {
      token: text("FIDSTREAM_GPU_HOST_TOKEN"),
      maxBatch: positive("FIDSTREAM_GPU_BATCH"),
    },
    client: { apiKey: text("FIDSTREAM_API_KEY") },
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
