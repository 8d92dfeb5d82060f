/**
 * FID InceptionV3 throughput at 299x299 on tfjs wasm (one thread) and cpu, with random folded weights
 * (speed does not depend on the values), plus peak memory of a 256-image extraction on wasm:
 *   deno run -A bench/inception_bench.ts [--no-cpu] [--quick] [--mem-images 256] [--mem-batch 32]
 *
 * Each timing is one forward pass end to end: preprocess (2x - 1 at 299) + network + download of pool3.
 * Baselines (ENVIRONMENT.md, 2 quiet cores): torch 1.13 pytorch-fid InceptionV3 ~8 img/s at batch 1-8 and
 * ~5 img/s at batch 32; tfjs-wasm on one thread ~2 img/s. Other jobs may share this machine: the figures
 * are noisy, compare them side by side only.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { FidInceptionExtractor } from "../models/fid-inception/extractor.ts";
import {
  buildFidInception,
  type FidInceptionNetwork,
  fidInceptionWeightShapes,
  type FoldedWeights,
} from "../models/fid-inception/network.ts";
import { preprocessForFidInception } from "../models/fid-inception/preprocess.ts";
import { seededRandom } from "../tools/arrays.ts";

const TORCH_IMG_PER_S: Record<number, number> = { 1: 8, 8: 8, 32: 5 };
const quick = Deno.args.includes("--quick");
const runCpu = !Deno.args.includes("--no-cpu");
function argValue(name: string, fallback: number): number {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}
const memImages = argValue("--mem-images", 256);
const memBatch = argValue("--mem-batch", 32);

/** He-uniform random weights of the right shapes (values of order one keep clear of denormals). */
function randomWeights(): FoldedWeights {
  const r = seededRandom(1);
  const m: FoldedWeights = new Map();
  for (const [key, shape] of fidInceptionWeightShapes()) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const fanIn = key.endsWith(".bias") ? 1 : key === "fc.weight" ? 2048 : shape[0] * shape[1] * shape[2];
    const bound = key.endsWith(".bias") ? 0.1 : Math.sqrt(6 / fanIn);
    for (let i = 0; i < data.length; i++) data[i] = (2 * r() - 1) * bound;
    m.set(key, { shape, data });
  }
  return m;
}

function randomImages(n: number, side: number, seed: number): Float32Array {
  const r = seededRandom(seed);
  const data = new Float32Array(n * side * side * 3);
  for (let i = 0; i < data.length; i++) data[i] = r();
  return data;
}

async function useBackend(name: "cpu" | "wasm"): Promise<void> {
  if (name === "wasm") {
    const dist = new URL(import.meta.resolve("@tensorflow/tfjs-backend-wasm/dist/")).pathname;
    setWasmPaths(dist.endsWith("/") ? dist : dist + "/");
  }
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
}

/** Seconds of one end-to-end forward pass of `batch` 299x299 images. */
async function timeForward(net: FidInceptionNetwork, images: Float32Array, batch: number): Promise<number> {
  const t0 = performance.now();
  const out = tf.tidy(() => {
    const x = tf.tensor4d(images.subarray(0, batch * 299 * 299 * 3), [batch, 299, 299, 3]);
    return net.run(preprocessForFidInception(x), ["pool3"]).pool3!;
  });
  await out.data();
  out.dispose();
  return (performance.now() - t0) / 1000;
}

const MiB = 1024 * 1024;

/** Throughput table: wasm batch 1/8/32, cpu batch 1. */
async function throughput(weights: FoldedWeights): Promise<void> {
  const images = randomImages(32, 299, 2);
  const rows: { backend: string; batch: number; runs: number; perImage: number }[] = [];
  const plan: { backend: "cpu" | "wasm"; batch: number; runs: number }[] = [
    { backend: "wasm", batch: 1, runs: quick ? 2 : 4 },
    { backend: "wasm", batch: 8, runs: quick ? 1 : 2 },
    { backend: "wasm", batch: 32, runs: 1 },
    ...(runCpu ? [{ backend: "cpu" as const, batch: 1, runs: 1 }] : []),
  ];
  for (const backend of ["wasm", "cpu"] as const) {
    const mine = plan.filter((p) => p.backend === backend);
    if (mine.length === 0) continue;
    await useBackend(backend);
    const net = buildFidInception(weights);
    if (backend === "wasm") await timeForward(net, images, 1); // warm-up: first-call kernel setup
    for (const { batch, runs } of mine) {
      let total = 0;
      for (let i = 0; i < runs; i++) total += await timeForward(net, images, batch);
      const perImage = total / (runs * batch);
      rows.push({ backend, batch, runs, perImage });
      console.log(`  ${backend} batch ${batch}: ${(1 / perImage).toFixed(2)} img/s`);
    }
    net.dispose();
  }
  console.log("\nFID InceptionV3 at 299x299, random weights (preprocess + forward + pool3 download)");
  console.log("backend  batch  runs  s/img   img/s   torch 1.13, 2 quiet cores (ENVIRONMENT.md)");
  for (const r of rows) {
    const torch = r.backend === "wasm" ? `${TORCH_IMG_PER_S[r.batch]} img/s` : "-";
    console.log(
      `${r.backend.padEnd(8)} ${String(r.batch).padStart(5)} ${String(r.runs).padStart(5)}  ` +
        `${r.perImage.toFixed(3)}  ${(1 / r.perImage).toFixed(2).padStart(6)}   ${torch}`,
    );
  }
  console.log("(tfjs-wasm on one thread was ~2 img/s in ENVIRONMENT.md; one Deno Worker per core scales it)");
}

/** Peak RSS of memImages images through the extractor in chunks of memBatch on wasm (run in a fresh process). */
async function peakMemory(weights: FoldedWeights): Promise<void> {
  await useBackend("wasm");
  const rssStart = Deno.memoryUsage().rss;
  const big = randomImages(memImages, 299, 3);
  const rssWithInput = Deno.memoryUsage().rss;
  const ex = FidInceptionExtractor.fromWeights(weights, { batchSize: memBatch });
  let peak = Deno.memoryUsage().rss;
  const t0 = performance.now();
  for (let start = 0; start < memImages; start += memBatch) {
    // One extract call per chunk so RSS is sampled between forward passes; the wasm heap only grows, so
    // its size after a chunk is that chunk's high-water mark.
    const n = Math.min(memBatch, memImages - start);
    const sub = big.subarray(start * 299 * 299 * 3, (start + n) * 299 * 299 * 3);
    await ex.extract({ n, height: 299, width: 299, channels: 3, data: sub });
    peak = Math.max(peak, Deno.memoryUsage().rss);
  }
  const seconds = (performance.now() - t0) / 1000;
  // deno-lint-ignore no-explicit-any
  const heap = (tf.backend() as any).wasm?.HEAPU8?.buffer?.byteLength as number | undefined;
  ex.dispose();
  console.log(
    `\nwasm, ${memImages} images 299x299 in chunks of ${memBatch}: ${
      (memImages / seconds).toFixed(2)
    } img/s, ` +
      `peak RSS ${(peak / MiB).toFixed(0)} MiB (fresh process with random weights ${
        (rssStart / MiB).toFixed(0)
      } MiB, ` +
      `plus the ${(big.byteLength / MiB).toFixed(0)} MiB input ${(rssWithInput / MiB).toFixed(0)} MiB)` +
      (heap ? `, wasm heap ${(heap / MiB).toFixed(0)} MiB` : ""),
  );
}

if (Deno.args.includes("--mem-only")) {
  await peakMemory(randomWeights());
} else {
  await throughput(randomWeights());
  // The wasm heap never shrinks, so the memory figure comes from a fresh process.
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "--mem-only", ...Deno.args],
    stdout: "inherit",
    stderr: "null",
  });
  const { code } = await child.output();
  if (code !== 0) console.log(`memory run failed with exit code ${code}`);
}
