/**
 * Demo content through the public HTTP API: one reference and runs of three "models" over three seeds each,
 * streamed batch by batch so every run has a full metric history. The VAE runs also upload reconstructions and
 * latents (recon_bce, recon_mse, kl charts). Used by `deno task screenshots`.
 */
import { encodeNpy } from "../../src/tensors/npy.ts";
import { encodeNpz } from "../../src/tensors/npz.ts";
import { mulberry32 } from "../../src/stats/mulberry32.ts";

/** Feature dimension of the demo: big enough for FID and KID of realistic size, small enough to be instant. */
export const DEMO_DIM = 256;

/** Standard normal draws (Box-Muller). */
function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** n x d features: a shared latent factor plus noise; `shift` and `scale` move them off the reference. */
function features(n: number, d: number, r: () => number, shift: number, scale: number): Float32Array {
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const z = gauss(r);
    for (let j = 0; j < d; j++) {
      out[i * d + j] = scale * (gauss(r) + 0.6 * z * Math.sin(j)) + shift * ((j % 4) - 1.5);
    }
  }
  return out;
}

/** What the demo created. */
export interface DemoData {
  reference: string;
  runs: { id: string; name: string; tags: string[] }[];
  /** The run left streaming, and a way to push more batches into it. */
  streaming: { id: string; more(batches: number): Promise<void> };
}

/** Talks to a fidstream server at `url`. */
export async function createDemoData(url: string, opts: { batches?: number; batchSize?: number } = {}) {
  const batches = opts.batches ?? 24, size = opts.batchSize ?? 100;
  const post = async (path: string, body: BodyInit, type: string, key?: string) => {
    const headers: Record<string, string> = { "content-type": type };
    if (key) headers["idempotency-key"] = key;
    const res = await fetch(`${url}${path}`, { method: "POST", body, headers });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return await res.json();
  };
  const npy = (data: Float32Array, n: number, d: number) =>
    encodeNpy({ dtype: "float32", shape: [n, d], data }) as BodyInit;
  const d = DEMO_DIM;
  const ref = await post(
    "/v1/references?name=cifar10-train%20(demo)",
    npy(features(3000, d, mulberry32(1), 0, 1), 3000, d),
    "application/x-npy",
  );

  const models = [
    { model: "vae", shift: 0.16, scale: 1.18 },
    { model: "gan", shift: 0.1, scale: 0.9 },
    { model: "diffusion", shift: 0.04, scale: 1.03 },
  ];
  const runs: DemoData["runs"] = [];
  let streaming: DemoData["streaming"] | null = null;
  for (const [mi, m] of models.entries()) {
    for (const seed of [1, 2, 3]) {
      const tags = [`model:${m.model}`, `seed:${seed}`, "cifar10"];
      const name = `${m.model} seed ${seed}`;
      const run = await post(
        "/v1/runs",
        JSON.stringify({
          name,
          reference: ref.id,
          tags,
          config: { kid: { subsets: 20, subset_size: 200 }, lr: 2e-4, steps: 20000 * (mi + 1) },
        }),
        "application/json",
      );
      runs.push({ id: run.id, name, tags });
      const r = mulberry32(100 * mi + seed);
      // Seeds differ a little in quality, as real ones do.
      const shift = m.shift * (1 + 0.12 * (seed - 2)), scale = m.scale + 0.01 * (seed - 2);
      let sent = 0;
      const push = async (count: number) => {
        for (let b = 0; b < count; b++) {
          const i = sent++;
          if (m.model === "vae") {
            const px = 16, x = new Float32Array(size * px), xh = new Float32Array(size * px);
            const err = 0.25 / Math.sqrt(1 + i);
            for (let k = 0; k < x.length; k++) {
              x[k] = r();
              xh[k] = Math.min(0.999, Math.max(0.001, x[k] + err * gauss(r)));
            }
            await post(
              `/v1/runs/${run.id}/reconstructions`,
              encodeNpz({
                x: { dtype: "float32", shape: [size, px], data: x },
                x_hat: { dtype: "float32", shape: [size, px], data: xh },
              }) as BodyInit,
              "application/zip",
              `rec-${i}`,
            );
            const ld = 8, mu = new Float32Array(size * ld), lv = new Float32Array(size * ld);
            for (let k = 0; k < mu.length; k++) (mu[k] = 0.8 * gauss(r), lv[k] = -0.6 + 0.2 * gauss(r));
            await post(
              `/v1/runs/${run.id}/latents`,
              encodeNpz({
                z_mean: { dtype: "float32", shape: [size, ld], data: mu },
                z_log_var: { dtype: "float32", shape: [size, ld], data: lv },
              }) as BodyInit,
              "application/zip",
              `lat-${i}`,
            );
          }
          await post(
            `/v1/runs/${run.id}/batches`,
            npy(features(size, d, r, shift, scale), size, d),
            "application/x-npy",
            `b-${i}`,
          );
          await waitForMetrics(url, run.id, sent * size);
        }
      };
      const isStreaming = m.model === "diffusion" && seed === 3;
      await push(isStreaming ? Math.floor(batches / 2) : batches);
      if (isStreaming) streaming = { id: run.id, more: push };
      else await post(`/v1/runs/${run.id}/finalize`, "", "application/json");
    }
  }
  return { reference: ref.id, runs, streaming: streaming! } satisfies DemoData;
}

/** Waits until the run's latest metrics cover `n` feature samples. */
async function waitForMetrics(url: string, id: string, n: number) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const run = await (await fetch(`${url}/v1/runs/${id}`)).json();
    if ((run.latest?.n ?? 0) >= n) return;
    await new Promise((r) => setTimeout(r, 15));
  }
  throw new Error(`run ${id}: no metrics for n=${n} within 20 s`);
}
