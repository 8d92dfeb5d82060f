/**
 * Images to features in a named feature space: on this machine's worker pool, or on GPU hosts
 * (`deno task gpu-host`) when FIDSTREAM_GPU_HOST lists them -- the least loaded ready host first, then the others,
 * falling back to the local pool when every host is down, errs or times out, so a batch is never lost to a host.
 */
import { UnprocessableError } from "../../src/errors.ts";
import type { FeatureRows, ImageBatch } from "../../src/features/extractor.ts";
import { encodeNpy, parseNpy } from "../../src/tensors/npy.ts";
import { ExtractorPool } from "../../models/runtime/worker_pool.ts";
import { parseFeatureSpace } from "../feature_spaces.ts";

/** Extracts features; implementations may run off-thread or remotely. */
export interface FeatureService {
  extract(space: string, images: ImageBatch): Promise<FeatureRows>;
  /** PNG/JPEG files (checked from their headers) decoded off the caller's thread and stacked in order. */
  decodeImages(files: Uint8Array[]): Promise<ImageBatch>;
  close(): Promise<void>;
}

/**
 * The worker pool of this machine, started on first use (each worker loads tfjs and its model), with the
 * configured extraction settings and worker count.
 */
export function localFeatureService(
  poolFactory: () => Pick<ExtractorPool, "extract" | "decodeImages" | "close"> = () => new ExtractorPool(),
): FeatureService {
  let pool: ReturnType<typeof poolFactory> | undefined;
  return {
    extract(space, images) {
      const { extractor, output } = parseFeatureSpace(space);
      pool ??= poolFactory();
      return pool.extract(extractor, images, output);
    },
    decodeImages(files) {
      pool ??= poolFactory();
      return pool.decodeImages(files);
    },
    async close() {
      await pool?.close();
    },
  };
}

/**
 * Images as the .npy a GPU host takes: uint8 when every value is a multiple of 1/255 (what decoded 8-bit PNG/JPEG
 * and uint8 uploads are: a quarter of the bytes, and the host maps them back to the same floats), else float32
 * NHWC in [0, 1].
 */
export function imagesToNpy(images: ImageBatch): Uint8Array {
  const shape = [images.n, images.height, images.width, images.channels];
  const bytes = new Uint8Array(images.data.length);
  for (let i = 0; i < bytes.length; i++) {
    const v = images.data[i];
    const q = Math.round(v * 255);
    if (!(q >= 0 && q <= 255 && Math.fround(q / 255) === v)) {
      return encodeNpy({ dtype: "float32", shape, data: images.data });
    }
    bytes[i] = q;
  }
  return encodeNpy({ dtype: "uint8", shape, data: bytes });
}

/** Options of remoteFeatureService. */
export interface RemoteFeatureOptions {
  /** A request slower than this goes to the next host, or home (default 120 s). */
  timeoutMs?: number;
  token?: string;
  log?: (m: string) => void;
  /** How often a host's health (ready, queued images) is asked again (default 5 s). */
  healthIntervalMs?: number;
  /** A health check slower than this counts the host as down (default 2 s). */
  healthTimeoutMs?: number;
}

/** A host's 503: it is warming up (or out of service), not broken. */
class HostNotReady extends Error {
  constructor() {
    super("GPU host is not ready (503)");
  }
}

/** What the client knows of one host. */
interface HostState {
  url: string;
  /** Answered its last health check (or request). */
  up: boolean;
  /** Serves the model now (false while it warms up). */
  ready: boolean;
  /** Images queued or computing there at its last health check. */
  load: number;
  /** Images this client has sent there and not yet had back. */
  sent: number;
  checkedAt: number;
  checking: Promise<void> | null;
}

/**
 * A GPU host client over one or more hosts (FIDSTREAM_GPU_HOST=url[,url...]): each batch goes to the least loaded
 * ready host (load = the images it reported queued or computing at its last health check + what this client sent
 * it since), then the next on failure, and home to `local` when every host failed, so a batch is never lost to
 * a host. Health is asked every healthIntervalMs in the background (a host never asked yet is asked first).
 */
export function remoteFeatureService(
  urls: string | readonly string[],
  local: FeatureService,
  opts: RemoteFeatureOptions = {},
): FeatureService {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const interval = opts.healthIntervalMs ?? 5_000;
  const healthTimeout = opts.healthTimeoutMs ?? 2_000;
  const log = opts.log ?? ((m: string) => console.error(m));
  const auth: Record<string, string> = opts.token ? { authorization: `Bearer ${opts.token}` } : {};
  const hosts: HostState[] = (typeof urls === "string" ? [urls] : [...urls]).map((url) => ({
    url: url.replace(/\/$/, ""),
    up: false,
    ready: false,
    load: 0,
    sent: 0,
    checkedAt: -Infinity,
    checking: null,
  }));

  const check = (h: HostState): Promise<void> => {
    h.checking ??= (async () => {
      try {
        const res = await fetch(`${h.url}/v1/health`, {
          headers: auth,
          signal: AbortSignal.timeout(healthTimeout),
        });
        const body = res.ok ? await res.json() : (await res.body?.cancel(), null);
        h.up = body?.ok === true;
        // Hosts from before the health report said only {ok: true}: ready, load unknown.
        h.ready = h.up && body.ready !== false;
        h.load = Number(body?.queuedImages ?? 0) + Number(body?.inFlightImages ?? 0);
      } catch {
        h.up = false;
      } finally {
        h.checkedAt = performance.now();
        h.checking = null;
      }
    })();
    return h.checking;
  };

  /** Checks hosts never checked (awaited) and stale ones (in the background). */
  const refresh = async (): Promise<void> => {
    const now = performance.now();
    await Promise.all(hosts.filter((h) => h.checkedAt === -Infinity).map(check));
    for (const h of hosts) if (now - h.checkedAt > interval) check(h);
  };

  /** The least loaded ready host not tried yet (chosen and charged in one synchronous step). */
  const pick = (tried: Set<HostState>): HostState | undefined => {
    const ready = hosts.filter((h) => h.up && h.ready && !tried.has(h));
    return ready.sort((a, b) => a.load + a.sent - (b.load + b.sent))[0];
  };

  const post = async (h: HostState, space: string, images: ImageBatch): Promise<FeatureRows> => {
    const res = await fetch(`${h.url}/v1/features?space=${encodeURIComponent(space)}`, {
      method: "POST",
      body: imagesToNpy(images) as BodyInit,
      headers: { "content-type": "application/x-npy", ...auth },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.status === 422 || res.status === 400) {
      // The input itself is bad: local extraction would refuse it too.
      const err = (await res.json()).error;
      throw new UnprocessableError(
        err?.code ?? "gpu_host_rejected",
        err?.message ?? "the GPU host refused the images",
      );
    }
    if (res.status === 503) {
      await res.body?.cancel();
      throw new HostNotReady();
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`GPU host answered ${res.status}`);
    }
    const a = parseNpy(new Uint8Array(await res.arrayBuffer()));
    if (a.dtype !== "float32" || a.shape.length !== 2 || a.shape[0] !== images.n) {
      throw new Error(`GPU host sent features of shape (${a.shape.join(", ")}) for ${images.n} images`);
    }
    return { n: a.shape[0], dim: a.shape[1], data: a.data as Float32Array };
  };

  return {
    async extract(space, images) {
      await refresh();
      const tried = new Set<HostState>();
      for (let h = pick(tried); h; h = pick(tried)) {
        tried.add(h);
        h.sent += images.n;
        try {
          return await post(h, space, images);
        } catch (e) {
          if (e instanceof UnprocessableError) throw e;
          // Warming up, or down, erring, too slow: skipped until its next health check says otherwise.
          if (e instanceof HostNotReady) h.ready = false;
          else h.up = false;
          h.checkedAt = performance.now();
          log(`GPU host ${h.url} failed (${e instanceof Error ? e.message : e}); trying the next host`);
        } finally {
          h.sent -= images.n;
        }
      }
      log(`no GPU host of ${hosts.map((h) => h.url).join(", ")} took the batch; extracting locally`);
      return await local.extract(space, images);
    },
    // Decoding stays on this machine's pool: the host takes pixels.
    decodeImages: (files) => local.decodeImages(files),
    close: () => local.close(),
  };
}
