/**
 * mnist-lenet extraction throughput (images/s, "features" output) on the held-out MNIST digits:
 *   deno run -A bench/mnist_lenet_bench.ts [--images 4000] [--batch 500] [--workers N] [--rounds 3]
 *
 * Measures, each after a warm-up call: WASM in this thread (one core: tfjs' WASM backend has no threads
 * under Deno), the worker pool on WASM (FIDSTREAM_WORKERS or one worker per core, each with its own model,
 * batches submitted concurrently so every worker is busy), and the CPU backend in this thread (the last
 * resort; one pass over two batches). Reports the best of --rounds runs. On a shared machine the numbers are noisy.
 */
import { initBackend } from "../models/runtime/backend.ts";
import { defaultPoolSize, ExtractorPool } from "../models/runtime/worker_pool.ts";
import { splitDigits } from "../models/mnist-lenet/digits.ts";
import { loadMnistLenet } from "../models/mnist-lenet/model.ts";
import type { ImageBatch } from "../src/features/extractor.ts";

function arg(name: string, fallback: number): number {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}
const total = arg("--images", 4000);
const batchSize = arg("--batch", 500);
const workers = arg("--workers", defaultPoolSize());
const rounds = arg("--rounds", 3);

const { heldOut } = splitDigits();
const images = new Float32Array(total * 784);
for (let i = 0; i < total; i++) {
  images.set(heldOut.images.subarray((i % heldOut.n) * 784, (i % heldOut.n + 1) * 784), i * 784);
}
const batches: ImageBatch[] = [];
for (let s = 0; s < total; s += batchSize) {
  const n = Math.min(batchSize, total - s);
  batches.push({ n, height: 28, width: 28, channels: 1, data: images.subarray(s * 784, (s + n) * 784) });
}

/** Best images/s over `rounds` runs of `run` (which processes all `total` images). */
async function best(run: () => Promise<void>): Promise<number> {
  let fastest = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    await run();
    fastest = Math.min(fastest, (performance.now() - t) / 1000);
  }
  return total / fastest;
}

const results: Record<string, number> = {};

await initBackend("wasm");
const wasm = await loadMnistLenet();
await wasm.extract(batches[0]);
results["wasm, 1 thread"] = await best(async () => {
  for (const b of batches) await wasm.extract(b);
});
wasm.dispose();

const pool = new ExtractorPool({ workers, backend: "wasm" });
await Promise.all(Array.from({ length: workers }, () => pool.extract("mnist-lenet", batches[0])));
results[`wasm, pool of ${workers} workers`] = await best(async () => {
  await Promise.all(batches.map((b) => pool.extract("mnist-lenet", b)));
});
await pool.close();

await initBackend("cpu");
const cpu = await loadMnistLenet();
await cpu.extract(batches[0]);
// The CPU backend is slow: time one pass over the first two batches only.
const cpuBatches = batches.slice(0, 2);
const cpuStart = performance.now();
for (const b of cpuBatches) await cpu.extract(b);
results["cpu, 1 thread"] = cpuBatches.reduce((s, b) => s + b.n, 0) / ((performance.now() - cpuStart) / 1000);
cpu.dispose();

console.log(
  `mnist-lenet "features", ${total} images in batches of ${batchSize}, ${navigator.hardwareConcurrency} cores:`,
);
for (const [name, ips] of Object.entries(results)) {
  console.log(`  ${name.padEnd(28)} ${ips.toFixed(0).padStart(8)} images/s`);
}
console.log(JSON.stringify(Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Math.round(v)]))));
