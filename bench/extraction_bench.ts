/**
 * Feature extraction speed side by side, in one session:
 *   deno run -A bench/extraction_bench.ts [--quick] [--no-webgpu] [--no-cpu] [--mem-images 256]
 *   deno run -A bench/extraction_bench.ts --gpu [--quick] [--profile] [--batches 1,8,32]
 *       [--http-clients 4] [--http-batch 64] [--http-rounds 4] [--tile 128x64x16/8x4] [--concurrency 132]
 *
 * --gpu compares the WebGPU engines (bench/gpu_extraction.ts explains it): the WGSL engine, tfjs-webgpu, the CPU
 * engine and torch on CUDA in process by batch, and the GPU host over HTTP. On the GPU machine:
 *   bash .device/run.sh deno run -A bench/extraction_bench.ts --gpu --profile
 * The rest of this comment is about the default (CPU) run.
 *
 * - fid-inception "2048" (pool3) at 299 x 299, loaded through the registry's loader from random folded weights
 *   written to a temp data dir (speed does not depend on the values): the tfjs network on tfjs-backend-wasm in
 *   this thread (one core: tfjs' wasm has no threads under Deno; the baseline), the same network on this
 *   project's WebAssembly SIMD kernels in this thread ("simd"), the same with its matrix products in OpenBLAS
 *   ("blas", the CPU default where OpenBLAS loads), tfjs cpu, the worker pool (default engine) with 1 and 2
 *   workers (and 2 on "simd"), and
 *   webgpu (here a software adapter, llvmpipe: it runs on the CPU, so it says nothing of a real GPU), at
 *   batch 1 / 8 / 32 where the time allows. A "batch" on the pool is one extract() call; several are
 *   submitted at once so every worker has work, as `deno task fid` does.
 * - mnist-lenet "features" (28 x 28) on wasm in this thread and on the pool.
 * - Peak RSS of a fresh process (VmHWM, main thread + worker) while one worker extracts one 256-image batch
 *   (fid-inception, wasm): a child process, so earlier runs' WASM heaps (which never shrink) do not count.
 *
 * - torch 1.13 running pytorch-fid's network (bench/torch_baseline.py, one thread per core) in the same
 *   session, when a Python with torch is there (Debian: python3-torch python3-torchvision; FIDSTREAM_TORCH_PYTHON
 *   names the interpreter, default /usr/bin/python3). Without it the table falls back to the issue's figures
 *   (~8 img/s at batch 1-8, ~5 at 32), marked with a *.
 *
 * Ratios are images/s over the tfjs-wasm single-thread figure at the same batch, and over torch's. Other jobs
 * may share this machine: compare figures of one run only. The default run takes about 5 minutes (webgpu on
 * llvmpipe runs batch 1 only: a batch of 8 took ~1 minute).
 */
import { FID_INCEPTION_DEFAULT_BATCH, loadFidInception } from "../models/fid-inception/loader.ts";
import { largestActivationBytesPerImage } from "../models/fid-inception/network.ts";
import { splitDigits } from "../models/mnist-lenet/digits.ts";
import { requestAdapter } from "../models/fid-inception/wgsl/gpu.ts";
import { gpuBench } from "./gpu_extraction.ts";
import { loadMnistLenet } from "../models/mnist-lenet/model.ts";
import { initBackend } from "../models/runtime/backend.ts";
import type { BackendName } from "../models/runtime/extraction_settings.ts";
import { loadOpenBlas, openBlasUnavailableReason } from "../src/native/openblas.ts";
import { ExtractorPool } from "../models/runtime/worker_pool.ts";
import type { FeatureExtractor, ImageBatch } from "../src/features/extractor.ts";
import { seededRandom } from "../tools/arrays.ts";
import { randomWeights } from "../tools/fid_inception_reference.ts";
import { writeSyntheticFolded } from "../tools/synthetic_fid_weights.ts";
import type { ExtractionSettings, InceptionEngine } from "../models/runtime/extraction_settings.ts";

const SIDE = 299;
const PER_IMAGE = SIDE * SIDE * 3;
/** The issue's torch figures, used only when torch cannot run here. */
const TORCH_QUOTED: Record<number, number> = { 1: 8, 8: 8, 32: 5 };
const MiB = 1024 * 1024;

function flagValue(name: string, fallback: number): number {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}
const quick = Deno.args.includes("--quick");
const runWebgpu = !Deno.args.includes("--no-webgpu") && !quick;
const runCpu = !Deno.args.includes("--no-cpu");
const memImages = flagValue("--mem-images", quick ? 64 : 256);

/** He-uniform random folded weights written as `deno task models:fetch` would leave them. */
async function writeRandomWeights(dir: string): Promise<void> {
  await writeSyntheticFolded(dir, randomWeights(1));
}

function randomImages(n: number, seed: number): ImageBatch {
  const r = seededRandom(seed);
  const data = new Float32Array(n * PER_IMAGE);
  for (let i = 0; i < data.length; i++) data[i] = r();
  return { n, height: SIDE, width: SIDE, channels: 3, data };
}

function slice(images: ImageBatch, n: number, from = 0): ImageBatch {
  return { ...images, n, data: images.data.subarray(from * PER_IMAGE, (from + n) * PER_IMAGE) };
}

interface Row {
  model: string;
  how: string;
  batch: number;
  images: number;
  seconds: number;
  note?: string;
}
const rows: Row[] = [];

function record(row: Row): void {
  rows.push(row);
  console.error(
    `  ${row.model} ${row.how} batch ${row.batch}: ${(row.images / row.seconds).toFixed(2)} img/s ` +
      `(${row.images} images in ${row.seconds.toFixed(1)} s)${row.note ? `  ${row.note}` : ""}`,
  );
}

async function seconds(run: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await run();
  return (performance.now() - t) / 1000;
}

/** In-thread extraction on one backend: warm-up, then each batch `runs` times. */
async function inThread(
  backend: BackendName,
  engine: InceptionEngine | undefined,
  images: ImageBatch,
  plan: { batch: number; runs: number }[],
  label: string = backend,
  note?: string,
): Promise<void> {
  await initBackend(backend);
  const ex: FeatureExtractor = await loadFidInception({
    ...settings,
    backend,
    inceptionEngine: engine,
    batchSize: 32,
  });
  try {
    const warm = await seconds(() => ex.extract(slice(images, 1)));
    console.error(`  ${label}: first call (kernel/shader setup) ${warm.toFixed(1)} s`);
    for (const { batch, runs } of plan) {
      let total = 0;
      for (let i = 0; i < runs; i++) total += await seconds(() => ex.extract(slice(images, batch)));
      record({ model: "fid-inception", how: label, batch, images: batch * runs, seconds: total, note });
    }
  } finally {
    ex.dispose();
  }
}

/** Pool extraction: `calls` concurrent extract() calls of `batch` images each. */
/**
 * Pool extraction, `rounds` times `calls` concurrent extract() calls of `batch` images each. One call at a
 * time is one client sending one batch (the pool shares it among its workers); concurrent 1-image calls are
 * how several uploads (or `deno task fid`) keep every worker busy when a single image cannot be split.
 */
async function onPool(
  pool: ExtractorPool,
  images: ImageBatch,
  { batch, calls, rounds }: { batch: number; calls: number; rounds: number },
  how: string,
) {
  const t = await seconds(async () => {
    for (let r = 0; r < rounds; r++) {
      await Promise.all(
        Array.from({ length: calls }, (_, i) => {
          const from = ((r * calls + i) * batch) % images.n;
          return pool.extract("fid-inception", slice(images, Math.min(batch, images.n - from), from));
        }),
      );
    }
  });
  const label = calls > 1 ? `${how}, ${calls} callers` : how;
  record({ model: "fid-inception", how: label, batch, images: batch * calls * rounds, seconds: t });
}

/** Measured torch img/s by batch (bench/torch_baseline.py), filled by torchBaseline. */
const torchMeasured = new Map<number, number>();

/** Runs bench/torch_baseline.py on every core; leaves torchMeasured empty when torch is not there. */
async function torchBaseline(quick: boolean): Promise<void> {
  const python = Deno.env.get("FIDSTREAM_TORCH_PYTHON") ?? "/usr/bin/python3";
  const plan = quick ? "1x2,8x1" : "1x4,8x2,32x1";
  const script = new URL("./torch_baseline.py", import.meta.url).pathname;
  try {
    const { code, stdout, stderr } = await new Deno.Command(python, {
      args: [script, "--threads", String(navigator.hardwareConcurrency), "--plan", plan],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (code !== 0) throw new Error(new TextDecoder().decode(stderr).trim().split("\n").pop());
    for (const line of new TextDecoder().decode(stdout).trim().split("\n")) {
      const r = JSON.parse(line) as { batch: number; images: number; seconds: number; threads: number };
      torchMeasured.set(r.batch, r.images / r.seconds);
      console.error(
        `  torch ${r.threads} threads batch ${r.batch}: ${(r.images / r.seconds).toFixed(2)} img/s ` +
          `(${r.images} images in ${r.seconds.toFixed(1)} s)`,
      );
    }
  } catch (e) {
    console.error(
      `  torch skipped (${python}: ${e instanceof Error ? e.message : e}): quoting the issue's figures`,
    );
  }
}

/** Child mode: one worker extracts one batch of `n` images; prints baseline and peak RSS as JSON. */
async function rssChild(n: number): Promise<void> {
  const status = () => Deno.readTextFileSync("/proc/self/status");
  const kib = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status())?.[1] ?? NaN);
  const pool = new ExtractorPool({ workers: 1, backend: "wasm", settings });
  const images = randomImages(n, 9);
  await pool.extract("fid-inception", slice(images, 1)); // loads the model in the worker
  const before = kib("VmRSS");
  const t = await seconds(() => pool.extract("fid-inception", images));
  const peak = kib("VmHWM");
  await pool.close();
  console.log(JSON.stringify({ n, seconds: t, rssBeforeMiB: before / 1024, peakMiB: peak / 1024 }));
}

/** Where the bench's random weights live (a child process is told by its parent): every extractor reads them. */
const settings: ExtractionSettings = {
  dataDir: Deno.args[0] === "--rss-child"
    ? Deno.args[2]
    : await Deno.makeTempDir({ prefix: "fidstream_bench_" }),
};

async function main(): Promise<void> {
  const dataDir = settings.dataDir!;
  await writeRandomWeights(`${dataDir}/models/fid-inception`);
  const images = randomImages(32, 2);
  console.error(
    `fid-inception at ${SIDE}x${SIDE}, ${navigator.hardwareConcurrency} cores${quick ? ", quick" : ""}`,
  );
  try {
    // 1. tfjs-backend-wasm, one thread (the network of tfjs ops): the baseline.
    const plan = quick ? [{ batch: 1, runs: 2 }, { batch: 8, runs: 1 }] : [
      { batch: 1, runs: 3 },
      { batch: 8, runs: 1 },
      { batch: 32, runs: 1 },
    ];
    await inThread("wasm", "tfjs", images, plan, "wasm 1 thread", "tfjs-backend-wasm (XNNPACK)");
    // 1b. The same network on this project's WebAssembly SIMD kernels (the CPU default without OpenBLAS).
    await inThread("wasm", "simd", images, plan, "simd 1 thread", "wasm_network.ts kernels");
    // 1c. The same with OpenBLAS's sgemm (the default on CPU backends where it loads).
    if (loadOpenBlas()) {
      await inThread(
        "wasm",
        "blas",
        images,
        plan,
        "blas 1 thread",
        `OpenBLAS ${loadOpenBlas()!.core}, 1 thread`,
      );
    } else {
      console.error(`  blas skipped: ${openBlasUnavailableReason()}`);
    }
    // 2. cpu: ~0.1 img/s, one image.
    if (runCpu) await inThread("cpu", "tfjs", images, [{ batch: 1, runs: 1 }], "cpu 1 thread");
    // 3. webgpu on whatever adapter there is (llvmpipe here).
    if (runWebgpu) {
      try {
        const info = await initBackend("webgpu");
        const software = /llvmpipe|lavapipe|swiftshader|software/i.test(info.adapter ?? "");
        const perCall = Math.floor((info.maxBufferBytes ?? 0) / largestActivationBytesPerImage(SIDE, SIDE));
        const note = `adapter ${info.adapter ?? "?"}${software ? " (software: runs on the CPU)" : ""}, ` +
          `${(info.maxBufferBytes ?? 0) / MiB} MiB/tensor -> <= ${
            Math.min(FID_INCEPTION_DEFAULT_BATCH, perCall)
          } img/call`;
        await inThread("webgpu", "tfjs", images, [{ batch: 1, runs: 2 }], "tfjs-webgpu", note);
      } catch (e) {
        console.error(`  webgpu skipped: ${e instanceof Error ? e.message : e}`);
      }
    }
    // 4. The worker pool, 1 then 2 workers, on the default CPU engine (blas where OpenBLAS loads, else simd).
    for (const workers of [1, 2]) {
      const pool = new ExtractorPool({ workers, backend: "wasm", settings });
      try {
        const how = `pool ${workers} worker${workers > 1 ? "s" : ""}`;
        await Promise.all(
          Array.from({ length: workers }, (_, i) => pool.extract("fid-inception", slice(images, 1, i))),
        );
        await onPool(pool, images, { batch: 1, calls: workers, rounds: quick ? 2 : 6 }, how);
        await onPool(pool, images, { batch: 8, calls: 1, rounds: quick ? 1 : 3 }, how);
        if (workers === 2 && !quick) await onPool(pool, images, { batch: 32, calls: 1, rounds: 1 }, how);
      } finally {
        await pool.close();
      }
    }
    if (loadOpenBlas()) {
      const pool = new ExtractorPool({
        workers: 2,
        backend: "wasm",
        settings: { ...settings, inceptionEngine: "simd" },
      });
      try {
        await Promise.all([0, 1].map((i) => pool.extract("fid-inception", slice(images, 1, i))));
        await onPool(pool, images, { batch: 8, calls: 1, rounds: quick ? 1 : 3 }, "pool 2 workers simd");
      } finally {
        await pool.close();
      }
    }
    // 4b. torch on the same cores, in this session.
    await torchBaseline(quick);
    // 5. mnist-lenet: 2000 digits in batches of 500.
    const { heldOut } = splitDigits();
    const digitBatches = [0, 1, 2, 3].map((b) => ({
      n: 500,
      height: 28,
      width: 28,
      channels: 1 as const,
      data: heldOut.images.subarray(b * 500 * 784, (b + 1) * 500 * 784),
    }));
    await initBackend("wasm");
    const lenet = await loadMnistLenet({ backend: "wasm" });
    await lenet.extract(digitBatches[0]);
    const tLenet = await seconds(async () => {
      for (const b of digitBatches) await lenet.extract(b);
    });
    rows.push({ model: "mnist-lenet", how: "wasm 1 thread", batch: 500, images: 2000, seconds: tLenet });
    lenet.dispose();
    const lenetPool = new ExtractorPool({ workers: 2, backend: "wasm" });
    await Promise.all(digitBatches.slice(0, 2).map((b) => lenetPool.extract("mnist-lenet", b)));
    const tPool = await seconds(() =>
      Promise.all(digitBatches.map((b) => lenetPool.extract("mnist-lenet", b)))
    );
    rows.push({ model: "mnist-lenet", how: "pool 2 workers", batch: 500, images: 2000, seconds: tPool });
    await lenetPool.close();

    // 6. Peak RSS in a fresh process.
    console.error(`  peak RSS: one worker extracting ${memImages} images (child process) ...`);
    const child = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL(import.meta.url).pathname, "--rss-child", String(memImages), dataDir],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    const mem = JSON.parse(new TextDecoder().decode(child.stdout).trim().split("\n").pop()!);
    record({
      model: "fid-inception",
      how: "pool 1 worker",
      batch: mem.n,
      images: mem.n,
      seconds: mem.seconds,
    });
    printTable(mem);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
}

function printTable(mem: { n: number; rssBeforeMiB: number; peakMiB: number }): void {
  const base = (model: string, batch: number) => {
    const wasm = rows.filter((r) => r.model === model && r.how === "wasm 1 thread");
    const same = wasm.find((r) => r.batch === batch) ?? wasm.reduce((a, b) => (b.batch > a.batch ? b : a));
    return same.images / same.seconds;
  };
  const line = (cells: string[]) =>
    console.log(cells.map((c, i) => (i < 2 ? c.padEnd(i === 0 ? 16 : 26) : c.padStart(10))).join(" "));
  console.log(
    `\nFeature extraction, ${navigator.hardwareConcurrency} cores (shared machine: noisy), one session`,
  );
  // x wasm-1: images/s over wasm in one thread at the same batch (its largest batch for bigger ones).
  const measured = torchMeasured.size > 0;
  line(["model", "how", "batch", "img/s", "x wasm-1", measured ? "torch" : "torch*", "x torch"]);
  const order = [
    "wasm 1 thread",
    "simd 1 thread",
    "blas 1 thread",
    "cpu 1 thread",
    "tfjs-webgpu",
    "pool 1 worker",
    "pool 2 workers, 2 callers",
    "pool 2 workers",
    "pool 2 workers simd",
  ];
  const rank = (r: Row) => [r.model === "fid-inception" ? 0 : 1, order.indexOf(r.how), r.batch];
  rows.sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  });
  for (const r of rows) {
    const ips = r.images / r.seconds;
    const torchAt = measured ? torchMeasured.get(r.batch) : TORCH_QUOTED[r.batch];
    const torch = r.model === "fid-inception" && torchAt ? torchAt : 0;
    line([
      r.model,
      r.how,
      String(r.batch),
      ips.toFixed(2),
      `${(ips / base(r.model, r.batch)).toFixed(2)}x`,
      torch ? torch.toFixed(2) : "-",
      torch ? `${(ips / torch).toFixed(2)}x` : "-",
    ]);
  }
  const inputMiB = (mem.n * PER_IMAGE * 4) / MiB;
  console.log(
    `\nPeak RSS, fid-inception on one wasm worker, one ${mem.n}-image ${SIDE}x${SIDE} batch: ${
      mem.peakMiB.toFixed(0)
    } MiB ` +
      `(process before the batch: ${mem.rssBeforeMiB.toFixed(0)} MiB; the input alone is ${
        inputMiB.toFixed(0)
      } MiB ` +
      `float32, held by the caller and copied once to the worker; the worker runs it ${FID_INCEPTION_DEFAULT_BATCH} at a time)`,
  );
  if (!measured) console.log("* the issue's torch 1.13 figures: torch could not run in this session");
  console.log(
    JSON.stringify({
      rows: rows.map((r) => ({ ...r, img_per_s: Number((r.images / r.seconds).toFixed(3)) })),
      torch: measured ? Object.fromEntries(torchMeasured) : null,
      mem,
    }),
  );
}

if (Deno.args[0] === "--rss-child") await rssChild(Number(Deno.args[1]));
else if (Deno.args.includes("--gpu")) await gpuMain();
else await main();

/** `--gpu`: the WebGPU comparison with its flags (small HTTP batches on a software adapter: it is slow). */
async function gpuMain(): Promise<void> {
  const software = /llvmpipe|lavapipe|swiftshader|software/i.test(
    (await requestAdapter())?.info.description ?? "",
  );
  const list = (name: string) => {
    const i = Deno.args.indexOf(name);
    return i >= 0 ? Deno.args[i + 1].split(",").map(Number) : undefined;
  };
  const tile = /^(\d+)x(\d+)x(\d+)\/(\d+)x(\d+)$/.exec(Deno.args[Deno.args.indexOf("--tile") + 1] ?? "");
  if (Deno.args.includes("--tile") && !tile) {
    console.error("--tile takes BMxBNxBK/TMxTN, e.g. 128x64x16/8x4");
    Deno.exit(2);
  }
  await gpuBench({
    quick,
    profile: Deno.args.includes("--profile"),
    batches: list("--batches"),
    tile: tile ? { bm: +tile[1], bn: +tile[2], bk: +tile[3], tm: +tile[4], tn: +tile[5] } : undefined,
    concurrency: Deno.args.includes("--concurrency") ? flagValue("--concurrency", 132) : undefined,
    http: {
      clients: flagValue("--http-clients", 4),
      batch: flagValue("--http-batch", software ? 4 : 64),
      rounds: flagValue("--http-rounds", software ? 1 : 4),
    },
  });
}
