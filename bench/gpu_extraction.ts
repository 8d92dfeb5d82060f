/**
 * The GPU side of bench/extraction_bench.ts (`--gpu`), in one session: fid-inception "2048" at 299 x 299 from
 * random folded weights, img/s by batch for
 * - the WGSL engine in this process, fed uint8 299x299 RGB pixels as a GPU host receives them (upload,
 *   preprocessing and readback included), with its GPU memory at the largest batch and, with --profile, the GPU
 *   time and TFLOP/s of every layer (timestamp queries);
 * - tfjs-backend-webgpu in this process (float32 input: tfjs preprocesses on the GPU too);
 * - the CPU engine (blas where OpenBLAS loads) on one thread, and on the worker pool (one worker per core);
 * - torch on CUDA (bench/torch_baseline.py --device cuda, strict fp32 and TF32) when python3 has CUDA torch;
 * - the GPU host over HTTP: a real `deno task gpu-host` process, N clients each posting uint8 .npy batches.
 *
 * On a software adapter (llvmpipe) everything runs on the CPU: the figures are a proxy for the code paths, not
 * for a GPU. On the GPU machine, from the project root after ../shared/device/pack.sh:
 *   bash .device/run.sh deno run -A bench/extraction_bench.ts --gpu --profile
 */
import { loadFidInception } from "../models/fid-inception/loader.ts";
import { WgslFidInceptionExtractor } from "../models/fid-inception/wgsl/extractor.ts";
import type { ConvTile } from "../models/fid-inception/wgsl/conv_kernel.ts";
import { loadFolded } from "../models/fid-inception/weights_format.ts";
import { requestAdapter } from "../models/fid-inception/wgsl/gpu.ts";
import { type DispatchTime, FEATURE_ROW } from "../models/fid-inception/wgsl/network.ts";
import { initBackend } from "../models/runtime/backend.ts";
import { ExtractorPool } from "../models/runtime/worker_pool.ts";
import type { FeatureExtractor, ImageBatch } from "../src/features/extractor.ts";
import type { PixelBatch } from "../src/features/pixel_batch.ts";
import { encodeNpy } from "../src/tensors/npy.ts";
import { seededRandom } from "../tools/arrays.ts";
import { startServerProcess } from "../tools/server_process.ts";
import { randomWeights } from "../tools/fid_inception_reference.ts";
import { writeSyntheticFolded } from "../tools/synthetic_fid_weights.ts";

const SIDE = 299;
const PER_IMAGE = SIDE * SIDE * 3;
const GiB = 1024 ** 3;

/** Options of gpuBench (from the command line). */
export interface GpuBenchOptions {
  quick: boolean;
  profile: boolean;
  /** Batch sizes of the in-process rows (default by adapter). */
  batches?: number[];
  /** Every conv on this tile instead of the planner's choice (for tuning on a GPU). */
  tile?: ConvTile;
  /** The planner's compute units instead of the default (for tuning on a GPU). */
  concurrency?: number;
  /** The HTTP part: clients, images per request, requests per client (after one warm-up request each). */
  http: { clients: number; batch: number; rounds: number };
}

/** One measured row. */
interface Row {
  how: string;
  batch: number;
  images: number;
  seconds: number;
  note?: string;
}

/** n random uint8 299x299 RGB images. */
function pixels(n: number, seed: number): PixelBatch {
  const r = seededRandom(seed);
  const data = new Uint8Array(n * PER_IMAGE);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(256 * r());
  return { n, height: SIDE, width: SIDE, channels: 3, layout: "NHWC", data };
}

function asImages(p: PixelBatch): ImageBatch {
  return { n: p.n, height: SIDE, width: SIDE, channels: 3, data: Float32Array.from(p.data, (v) => v / 255) };
}

/** Runs `once` after one warm-up until at least `minSeconds` have passed (at least once); images per second. */
async function timed(batch: number, minSeconds: number, once: () => Promise<unknown>): Promise<Row> {
  await once();
  const t0 = performance.now();
  let runs = 0;
  do {
    await once();
    runs++;
  } while ((performance.now() - t0) / 1000 < minSeconds);
  return { how: "", batch, images: batch * runs, seconds: (performance.now() - t0) / 1000 };
}

/** Measured torch rows by device label ("cuda fp32", "cuda tf32"), or null when torch/CUDA is not there. */
async function torchCuda(batches: number[], tf32: boolean): Promise<Row[] | null> {
  const python = Deno.env.get("FIDSTREAM_TORCH_PYTHON") ?? "python3";
  const plan = batches.map((b) => `${b}x${Math.max(3, Math.ceil(256 / b))}`).join(",");
  const script = new URL("./torch_baseline.py", import.meta.url).pathname;
  try {
    const { code, stdout, stderr } = await new Deno.Command(python, {
      args: [script, "--device", "cuda", "--plan", plan, ...(tf32 ? ["--tf32"] : [])],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (code !== 0) throw new Error(new TextDecoder().decode(stderr).trim().split("\n").pop());
    return new TextDecoder().decode(stdout).trim().split("\n").map((line) => {
      const r = JSON.parse(line);
      const peak = r.peak_bytes ? `peak ${(r.peak_bytes / GiB).toFixed(2)} GiB, torch ${r.torch}` : "";
      return {
        how: tf32 ? "torch cuda tf32" : "torch cuda fp32",
        batch: r.batch,
        images: r.images,
        seconds: r.seconds,
        note: peak,
      };
    });
  } catch (e) {
    console.error(`  torch on CUDA skipped (${python}: ${e instanceof Error ? e.message : e})`);
    return null;
  }
}

/** Prints the slowest layers of a profiled forward with their TFLOP/s, and the totals. */
function printProfile(profile: DispatchTime[], batch: number): void {
  const ms = profile.reduce((s, p) => s + p.ms, 0);
  const flops = profile.reduce((s, p) => s + p.flops, 0);
  // flops / ms / 1e6 = GFLOP/s.
  const perImage = (flops / batch / 1e9).toFixed(2);
  console.log(
    `\nWGSL profile, batch ${batch} (one pass per dispatch): ${ms.toFixed(1)} ms GPU time, ` +
      `${(flops / ms / 1e6).toFixed(1)} GFLOP/s over the convs (${perImage} GFLOP an image), ` +
      `${((batch / ms) * 1000).toFixed(2)} img/s if nothing else ran`,
  );
  const rows = [...profile].sort((a, b) => b.ms - a.ms).slice(0, 20);
  for (const p of rows) {
    const rate = p.flops ? `${(p.flops / p.ms / 1e6).toFixed(1).padStart(8)} GFLOP/s` : "".padStart(16);
    console.log(`  ${p.ms.toFixed(2).padStart(8)} ms ${rate}  ${p.label}`);
  }
}

/** The GPU comparison; prints a table and a JSON line. */
export async function gpuBench(opts: GpuBenchOptions): Promise<void> {
  const adapter = await requestAdapter();
  if (!adapter) {
    console.error("no WebGPU adapter here: install a Vulkan driver (mesa-vulkan-drivers for a software one)");
    Deno.exit(1);
  }
  const software = /llvmpipe|lavapipe|swiftshader|software/i.test(adapter.info.description) ||
    Boolean((adapter.info as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter);
  const batches = opts.batches ?? (software ? (opts.quick ? [1, 4] : [1, 4, 16]) : [1, 8, 32, 64, 128, 256]);
  const minSeconds = software ? 0 : 2;
  console.error(
    `adapter ${adapter.info.description}${software ? " (software: runs on the CPU)" : ""}, ` +
      `${navigator.hardwareConcurrency} cores, batches ${batches.join(", ")}`,
  );
  const dataDir = await Deno.makeTempDir({ prefix: "fidstream_gpu_bench_" });
  await writeSyntheticFolded(`${dataDir}/models/fid-inception`, randomWeights(1));
  const rows: Row[] = [];
  const record = (row: Row) => {
    rows.push(row);
    console.error(
      `  ${row.how} batch ${row.batch}: ${(row.images / row.seconds).toFixed(2)} img/s ` +
        `(${row.images} images in ${row.seconds.toFixed(2)} s)${row.note ? `  ${row.note}` : ""}`,
    );
  };
  const input = pixels(Math.max(...batches, opts.http.batch), 7);
  const slice = (n: number): PixelBatch => ({ ...input, n, data: input.data.subarray(0, n * PER_IMAGE) });
  let memory: { batch: number; bytes: number; planned256: number } | null = null;
  try {
    // 1. The WGSL engine in this process.
    const t0 = performance.now();
    // The user's path (the loader), unless a tile or concurrency is forced for tuning.
    const wgsl = opts.tile || opts.concurrency
      ? await WgslFidInceptionExtractor.create(await loadFolded(`${dataDir}/models/fid-inception`), {
        capacity: Math.max(...batches),
        tile: opts.tile,
        concurrency: opts.concurrency,
      })
      : await loadFidInception({
        dataDir,
        inceptionEngine: "wgsl",
        batchSize: Math.max(...batches),
      }) as WgslFidInceptionExtractor;
    const net = wgsl.network;
    console.error(
      `  wgsl: load ${((performance.now() - t0) / 1000).toFixed(1)} s, up to ${
        net.maxImagesPerForward(0)
      } images a forward`,
    );
    for (const batch of batches) {
      const row = await timed(batch, minSeconds, () => wgsl.extractPixels(slice(batch), ["2048"]));
      record({ ...row, how: "wgsl" });
    }
    const largest = Math.min(Math.max(...batches), net.maxImagesPerForward(0));
    memory = { batch: net.capacity, bytes: net.memoryBytes(), planned256: net.plannedMemoryBytes(256) };
    if (opts.profile) {
      const r = await net.forward([slice(largest)], 3, false, true);
      printProfile(r.profile!, largest);
      if (r.features.length !== largest * FEATURE_ROW) {
        throw new Error("profiled forward returned wrong rows");
      }
    }
    wgsl.dispose();

    // 2. tfjs-backend-webgpu in this process.
    try {
      await initBackend("webgpu");
      const tfjs = await loadFidInception({
        dataDir,
        backend: "webgpu",
        inceptionEngine: "tfjs",
        batchSize: 32,
      });
      for (const batch of software ? [1] : batches.filter((b) => b <= 32)) {
        const images = asImages(slice(batch));
        record({ ...(await timed(batch, minSeconds, () => tfjs.extract(images))), how: "tfjs-webgpu" });
      }
      tfjs.dispose();
    } catch (e) {
      console.error(`  tfjs-webgpu skipped: ${e instanceof Error ? e.message : e}`);
    }

    // 3. The CPU engine: one thread, then the pool on every core.
    await initBackend("wasm");
    const cpu: FeatureExtractor = await loadFidInception({ dataDir, backend: "wasm", batchSize: 16 });
    for (const batch of opts.quick ? [1] : [1, 8]) {
      const images = asImages(slice(batch));
      record({ ...(await timed(batch, minSeconds, () => cpu.extract(images))), how: "cpu 1 thread" });
    }
    cpu.dispose();
    if (!opts.quick) {
      const pool = new ExtractorPool({ backend: "wasm", settings: { dataDir } });
      const batch = Math.max(8, 2 * pool.size);
      const images = asImages(slice(Math.min(batch, input.n)));
      record({
        ...(await timed(images.n, minSeconds, () => pool.extract("fid-inception", images))),
        how: `cpu pool ${pool.size} workers`,
      });
      await pool.close();
    }

    // 4. torch on CUDA, strict fp32 and TF32.
    for (const tf32 of [false, true]) for (const row of (await torchCuda(batches, tf32)) ?? []) record(row);

    // 5. The GPU host over HTTP.
    await httpBench(dataDir, software, opts.http, slice, record);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
  printTable(rows, adapter.info.description, memory);
}

/** A gpu-host process, then `clients` concurrent clients each posting `rounds` uint8 .npy batches. */
async function httpBench(
  dataDir: string,
  software: boolean,
  http: GpuBenchOptions["http"],
  slice: (n: number) => PixelBatch,
  record: (row: Row) => void,
): Promise<void> {
  const host = await startServerProcess(
    {
      FIDSTREAM_DATA_DIR: dataDir,
      FIDSTREAM_AUTH: "off",
      ...(software ? { FIDSTREAM_INCEPTION_ENGINE: "wgsl" } : {}),
    },
    new URL("../functions/gpu_host/main.ts", import.meta.url).pathname,
  );
  try {
    const deadline = Date.now() + 300_000;
    while (!(await (await fetch(`${host.url}/v1/health`)).json()).ready) {
      if (Date.now() > deadline) throw new Error("the GPU host never became ready");
      await new Promise((r) => setTimeout(r, 250));
    }
    const p = slice(http.batch);
    const body = encodeNpy({ dtype: "uint8", shape: [p.n, SIDE, SIDE, 3], data: p.data as Uint8Array });
    const post = async () => {
      const res = await fetch(`${host.url}/v1/features?space=fid-inception`, {
        method: "POST",
        body: body as BodyInit,
        headers: { "content-type": "application/x-npy" },
      });
      if (res.status !== 200) throw new Error(`GPU host answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    };
    await Promise.all(Array.from({ length: http.clients }, post)); // warm-up
    const before = await (await fetch(`${host.url}/v1/health`)).json();
    const t0 = performance.now();
    await Promise.all(Array.from({ length: http.clients }, async () => {
      for (let r = 0; r < http.rounds; r++) await post();
    }));
    const seconds = (performance.now() - t0) / 1000;
    const after = await (await fetch(`${host.url}/v1/health`)).json();
    const forwards = after.forwards - before.forwards;
    record({
      how: `gpu host HTTP, ${http.clients} clients`,
      batch: http.batch,
      images: http.clients * http.rounds * http.batch,
      seconds,
      note:
        `${forwards} forwards of ${
          ((after.images - before.images) / Math.max(1, forwards)).toFixed(0)
        } images ` +
        `on average (largest ${after.largestForward}), ${after.gpu.adapter}`,
    });
  } finally {
    await host.stop("SIGTERM");
  }
}

function printTable(
  rows: Row[],
  adapter: string,
  memory: { batch: number; bytes: number; planned256: number } | null,
) {
  const ips = (r: Row) => r.images / r.seconds;
  const tfjsAt = (b: number) => rows.find((r) => r.how === "tfjs-webgpu" && r.batch === b);
  const torchAt = (b: number) => rows.find((r) => r.how === "torch cuda fp32" && r.batch === b);
  const line = (cells: string[]) =>
    console.log(cells.map((c, i) => (i === 0 ? c.padEnd(30) : c.padStart(12))).join(" "));
  console.log(
    `\nfid-inception 2048-d at 299x299 on ${adapter}, ${navigator.hardwareConcurrency} cores, one session`,
  );
  line(["how", "batch", "img/s", "x tfjs-webgpu", "x torch fp32"]);
  for (const r of rows) {
    const t = tfjsAt(r.batch), c = torchAt(r.batch);
    line([
      r.how,
      String(r.batch),
      ips(r).toFixed(2),
      t ? `${(ips(r) / ips(t)).toFixed(2)}x` : "-",
      c ? `${(ips(r) / ips(c)).toFixed(2)}x` : "-",
    ]);
  }
  if (memory) {
    console.log(
      `\nWGSL engine GPU memory: ${
        (memory.bytes / GiB).toFixed(2)
      } GiB allocated for ${memory.batch} images a ` +
        `forward; ${
          (memory.planned256 / GiB).toFixed(2)
        } GiB for a batch of 256 (weights, activation slots, rows, ` +
        `pixels, readback: every buffer the engine creates)`,
    );
  }
  console.log(
    JSON.stringify({
      adapter,
      rows: rows.map((r) => ({ ...r, img_per_s: Number(ips(r).toFixed(3)) })),
      memory,
    }),
  );
}
