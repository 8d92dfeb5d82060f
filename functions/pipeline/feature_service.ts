/**
 * Images to features in a named feature space: on this machine's worker pool, or on a GPU host
 * (`deno task gpu-host`) when FIDSTREAM_GPU_HOST is set -- falling back to the local pool when the host is down,
 * errs or times out, so a batch is never lost to the host.
 */
import { UnprocessableError } from "../../src/errors.ts";
import type { FeatureRows, ImageBatch } from "../../src/features/extractor.ts";
import { encodeNpy, parseNpy } from "../../src/tensors/npy.ts";
import { ExtractorPool } from "../../models/runtime/worker_pool.ts";
import { checkOutput, knownSpaces } from "../../models/runtime/registry.ts";

/** A feature space: an extractor and one of its outputs ("fid-inception:768"; default output when omitted). */
export interface FeatureSpace {
  extractor: string;
  output?: string;
}

/** Parses "extractor" or "extractor:output", both registered (422 naming what is known otherwise). */
export function parseFeatureSpace(name: string): FeatureSpace {
  const m = /^([a-z0-9][a-z0-9._-]*)(?::([A-Za-z0-9._-]+))?$/.exec(name);
  if (!m) {
    throw new UnprocessableError(
      "bad_feature_space",
      `feature space ${JSON.stringify(name)} is not "extractor" or "extractor:output" (e.g. ` +
        `"fid-inception:2048"); known extractors: ${knownSpaces().join(", ")}`,
    );
  }
  checkOutput(m[1], m[2]); // also checks the extractor (a Map lookup: "constructor" is no space)
  return { extractor: m[1], output: m[2] };
}

/** Extracts features; implementations may run off-thread or remotely. */
export interface FeatureService {
  extract(space: string, images: ImageBatch): Promise<FeatureRows>;
  /** PNG/JPEG files (checked from their headers) decoded off the caller's thread and stacked in order. */
  decodeImages(files: Uint8Array[]): Promise<ImageBatch>;
  close(): Promise<void>;
}

/** The worker pool of this machine, started on first use (each worker loads tfjs and its model). */
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

/** Images as the .npy a GPU host takes: float32 NHWC in [0, 1]. */
export function imagesToNpy(images: ImageBatch): Uint8Array {
  return encodeNpy({
    dtype: "float32",
    shape: [images.n, images.height, images.width, images.channels],
    data: images.data,
  });
}

/** A GPU host client that falls back to `local` on any failure of the host. */
export function remoteFeatureService(
  url: string,
  local: FeatureService,
  opts: { timeoutMs?: number; token?: string; log?: (m: string) => void } = {},
): FeatureService {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const log = opts.log ?? ((m: string) => console.error(m));
  return {
    async extract(space, images) {
      try {
        const res = await fetch(`${url.replace(/\/$/, "")}/v1/features?space=${encodeURIComponent(space)}`, {
          method: "POST",
          body: imagesToNpy(images) as BodyInit,
          headers: {
            "content-type": "application/x-npy",
            ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          },
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
        if (!res.ok) throw new Error(`GPU host answered ${res.status}`);
        const a = parseNpy(new Uint8Array(await res.arrayBuffer()));
        if (a.dtype !== "float32" || a.shape.length !== 2 || a.shape[0] !== images.n) {
          throw new Error(`GPU host sent features of shape (${a.shape.join(", ")}) for ${images.n} images`);
        }
        return { n: a.shape[0], dim: a.shape[1], data: a.data as Float32Array };
      } catch (e) {
        if (e instanceof UnprocessableError) throw e;
        log(`GPU host ${url} failed (${e instanceof Error ? e.message : e}); extracting locally`);
        return await local.extract(space, images);
      }
    },
    // Decoding stays on this machine's pool: the host takes pixels.
    decodeImages: (files) => local.decodeImages(files),
    close: () => local.close(),
  };
}
