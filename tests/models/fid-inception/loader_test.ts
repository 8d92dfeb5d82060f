/** The "fid-inception" registry entry: where its weights come from, what is missing, WebGPU-sized slices. */
import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import { FidInceptionExtractor } from "../../../models/fid-inception/extractor.ts";
import {
  fidInceptionSpace,
  inceptionEngine,
  resolveFidInceptionWeights,
  resolveInceptionEngine,
} from "../../../models/fid-inception/loader.ts";
import { parseInceptionEngine } from "../../../models/runtime/extraction_settings.ts";
import { buildFidInception } from "../../../models/fid-inception/network.ts";
import { preprocessForFidInception } from "../../../models/fid-inception/preprocess.ts";
import { loadFolded } from "../../../models/fid-inception/weights_format.ts";
import { loadExtractor } from "../../../models/runtime/registry.ts";
import { ExtractorPool } from "../../../models/runtime/worker_pool.ts";
import { InvalidInputError, NotFoundError, UnprocessableError } from "../../../src/errors.ts";
import type { ImageBatch } from "../../../src/features/extractor.ts";
import { randomImg, randomWeights, relErr, useBackend } from "../../../tools/fid_inception_reference.ts";
import { loadOpenBlas } from "../../../src/native/openblas.ts";
import { syntheticCheckpoint, writeSyntheticFolded } from "../../../tools/synthetic_fid_weights.ts";
import { requestAdapter } from "../../../models/fid-inception/wgsl/gpu.ts";

const WEIGHTS = randomWeights(31);

function batchOf(seeds: number[], h: number, w: number): ImageBatch {
  const data = new Float32Array(seeds.length * h * w * 3);
  seeds.forEach((s, i) => data.set(randomImg(h, w, 3, s, 0, 1).data, i * h * w * 3));
  return { n: seeds.length, height: h, width: w, channels: 3, data };
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("[wasm] the registry loads fid-inception from <data dir>/models/fid-inception and extracts [n, 2048]", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    await writeSyntheticFolded(`${dataDir}/models/fid-inception`, WEIGHTS);
    const ex = await loadExtractor("fid-inception", { backend: "wasm", dataDir });
    assert.equal(tf.getBackend(), "wasm");
    assert.equal(ex.space, "fid-inception");
    assert.deepEqual({ ...ex.dims }, { "2048": 2048, "768": 768, "192": 192, "64": 64, logits: 1008 });
    const images = batchOf([1, 2], 40, 50);
    const pool3 = await ex.extract(images);
    assert.deepEqual([pool3.n, pool3.dim, pool3.data.length], [2, 2048, 4096]);

    // The same weights held in memory, run straight through the network: the loader read the right file.
    const net = buildFidInception(WEIGHTS);
    const direct = tf.tidy(() =>
      net.run(preprocessForFidInception(tf.tensor4d(images.data, [2, 40, 50, 3])), ["pool3"]).pool3!
    );
    assert.ok(relErr(pool3.data, await direct.data()) < 1e-5);
    direct.dispose();
    net.dispose();
    ex.dispose();
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("CPU backends run OpenBLAS where it loads, else the SIMD kernels; the configured engine overrides; WebGPU runs the WGSL engine", async () => {
  const cpuDefault = loadOpenBlas() ? "blas" : "simd";
  assert.equal(inceptionEngine("wasm"), cpuDefault);
  assert.equal(inceptionEngine("cpu"), cpuDefault);
  assert.equal(inceptionEngine("webgpu"), "wgsl");
  assert.equal(
    inceptionEngine("webgpu", { inceptionEngine: "tfjs" }),
    "tfjs",
    "tfjs-backend-webgpu stays selectable",
  );
  assert.equal(
    inceptionEngine("wasm", { inceptionEngine: "wgsl" }),
    "wgsl",
    "asked for by name: on any WebGPU adapter, even a software one",
  );
  assert.equal(await resolveInceptionEngine({ inceptionEngine: "wgsl", backend: "wasm" }), "wgsl");
  assert.equal(
    await resolveInceptionEngine({ backend: "wasm" }),
    cpuDefault,
    "a CPU backend keeps the CPU engines",
  );
  assert.equal(await resolveInceptionEngine({ backend: "webgpu" }), "wgsl");
  const missing = "/nonexistent/libopenblas.so";
  assert.equal(
    inceptionEngine("wasm", { openblasLibrary: missing }),
    "simd",
    "no OpenBLAS: the WebAssembly kernels",
  );
  assert.throws(
    () => inceptionEngine("wasm", { inceptionEngine: "blas", openblasLibrary: missing }),
    (e: unknown) =>
      e instanceof InvalidInputError && e.code === "openblas_unavailable" &&
      e.message.includes(missing) && e.message.includes("libopenblas0-pthread"),
  );
  assert.equal(inceptionEngine("wasm", { inceptionEngine: "simd" }), "simd");
  assert.equal(inceptionEngine("wasm", { inceptionEngine: "tfjs" }), "tfjs");
  assert.equal(
    inceptionEngine("webgpu", { inceptionEngine: "simd" }),
    "wgsl",
    "a GPU never runs the CPU kernels",
  );
  // Names given as text (the configuration's FIDSTREAM_INCEPTION_ENGINE) are trimmed, case-folded and checked.
  assert.equal(parseInceptionEngine(" TFJS ", "FIDSTREAM_INCEPTION_ENGINE"), "tfjs");
  assert.equal(parseInceptionEngine("", "FIDSTREAM_INCEPTION_ENGINE"), undefined);
  assert.throws(
    () => parseInceptionEngine("xnnpack", "FIDSTREAM_INCEPTION_ENGINE"),
    (e: unknown) =>
      e instanceof InvalidInputError && e.code === "bad_setting" && e.message.includes("xnnpack") &&
      e.message.includes("FIDSTREAM_INCEPTION_ENGINE"),
  );
});

Deno.test("fidWeights=<.pth> (FIDSTREAM_FID_WEIGHTS) is converted once into the data dir and reused by later loads", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const { pth, values } = syntheticCheckpoint(5);
    const pthPath = `${dataDir}/my_inception.pth`;
    await Deno.writeFile(pthPath, pth);
    const sha = await sha256(pth);
    const settings = { dataDir, fidWeights: pthPath };
    {
      const dir = await resolveFidInceptionWeights(settings);
      assert.equal(dir, `${dataDir}/models/fid-inception-pth-${sha.slice(0, 16)}`);
      const manifest = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));
      assert.deepEqual(manifest.source, { file: "my_inception.pth", sha256: sha });
      const { mtime } = await Deno.stat(`${dir}/weights.bin`);
      assert.equal(await resolveFidInceptionWeights(settings), dir);
      assert.deepEqual((await Deno.stat(`${dir}/weights.bin`)).mtime, mtime, "not converted a second time");
      // No half-finished conversion folders are left behind.
      const left = [...Deno.readDirSync(`${dataDir}/models`)].map((e) => e.name);
      assert.deepEqual(left, [dir.split("/").pop()]);

      // Spot-check folding (W * gamma / sqrt(var + 1e-3), to HWIO) on one element of the first conv.
      const loaded = await loadFolded(dir);
      const c = "Conv2d_1a_3x3", [o, i, ky, kx] = [7, 2, 1, 2];
      const scale = values.get(`${c}.bn.weight`)![o] /
        Math.sqrt(values.get(`${c}.bn.running_var`)![o] + 1e-3);
      const torchW = values.get(`${c}.conv.weight`)![((o * 3 + i) * 3 + ky) * 3 + kx];
      const hwio = loaded.get(`${c}.weight`)!.data[((ky * 3 + kx) * 3 + i) * 32 + o];
      assert.ok(Math.abs(hwio - torchW * scale) < 1e-6 * Math.max(1, Math.abs(torchW * scale)));

      // When models:fetch already converted the same file into the default folder, that folder is used.
      await Deno.rename(dir, `${dataDir}/models/fid-inception`);
      assert.equal(await resolveFidInceptionWeights(settings), `${dataDir}/models/fid-inception`);
      // A folder of converted weights is used as is.
      assert.equal(
        await resolveFidInceptionWeights({ dataDir, fidWeights: "/some/folder/x" }).catch((e) => e.code),
        "fid_inception_weights_missing",
      );
      assert.equal(
        await resolveFidInceptionWeights({ dataDir, fidWeights: `${dataDir}/models` }),
        `${dataDir}/models`,
      );
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("missing weights are a NotFoundError that says to run `deno task models:fetch`, also from a pool worker", async () => {
  const dataDir = await Deno.makeTempDir();
  const isMissing = (pattern: RegExp) => (e: unknown) => {
    assert.ok(e instanceof NotFoundError, String(e));
    assert.equal((e as NotFoundError).code, "fid_inception_weights_missing");
    assert.match((e as Error).message, /deno task models:fetch/);
    assert.match((e as Error).message, /FIDSTREAM_FID_WEIGHTS/);
    assert.match((e as Error).message, pattern);
    return true;
  };
  try {
    await assert.rejects(
      loadExtractor("fid-inception", { backend: "wasm", dataDir }),
      isMissing(new RegExp(`${dataDir}/models/fid-inception`)),
    );
    const pool = new ExtractorPool({ workers: 1, backend: "wasm", settings: { dataDir } });
    try {
      await assert.rejects(pool.extract("fid-inception", batchOf([1], 8, 8)), isMissing(/no converted/));
    } finally {
      await pool.close();
    }
    await assert.rejects(
      loadExtractor("fid-inception", { backend: "wasm", dataDir, fidWeights: `${dataDir}/nope.pth` }),
      isMissing(/nope\.pth do not exist/),
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("[wasm] under a WebGPU buffer limit extraction runs in slices that fit it, with the same rows", async () => {
  await useBackend("wasm");
  const inner = FidInceptionExtractor.fromWeights(WEIGHTS);
  const perImage = inner.largestTensorBytesPerImage(30, 30, 3);
  const sizes: number[] = [];
  const realExtract = inner.extract.bind(inner);
  inner.extract = (images, output) => (sizes.push(images.n), realExtract(images, output));
  const images = batchOf([3, 4, 5], 30, 30);
  const whole = await realExtract(images, "64");

  // A limit that fits two images but not three.
  const limited = fidInceptionSpace(inner, {
    backendInfo: () => ({ name: "webgpu", maxBufferBytes: 2 * perImage + 100 }),
  });
  const sliced = await limited.extract(images, "64");
  assert.deepEqual(sizes, [1, 2]);
  assert.deepEqual([sliced.n, sliced.dim], [3, 64]);
  assert.ok(relErr(sliced.data, whole.data) < 1e-6);

  // Off WebGPU, or with room to spare, one call.
  sizes.length = 0;
  await fidInceptionSpace(inner, { backendInfo: () => ({ name: "wasm" }) }).extract(images, "64");
  assert.deepEqual(sizes, [3]);

  // One image over the limit: refused before anything runs, naming the way out.
  const tiny = fidInceptionSpace(inner, {
    backendInfo: () => ({ name: "webgpu", maxBufferBytes: perImage - 1 }),
  });
  await assert.rejects(tiny.extract(images), (e: unknown) => {
    assert.ok(e instanceof UnprocessableError);
    assert.equal((e as UnprocessableError).code, "image_too_large_for_gpu");
    return true;
  });
  inner.dispose();
});

Deno.test({
  name:
    "the wgsl engine configured: a pool worker opens its own WebGPU device and gives the CPU engine's rows",
  ignore: (await requestAdapter()) === null,
  fn: async () => {
    const dataDir = await Deno.makeTempDir();
    try {
      await writeSyntheticFolded(`${dataDir}/models/fid-inception`, WEIGHTS);
      const images = batchOf([8], 61, 47);
      const ex = await loadExtractor("fid-inception", { backend: "wasm", dataDir, inceptionEngine: "simd" });
      let cpu;
      try {
        cpu = await ex.extract(images, "768");
      } finally {
        ex.dispose();
      }
      const pool = new ExtractorPool({ workers: 1, settings: { dataDir, inceptionEngine: "wgsl" } });
      let gpu;
      try {
        gpu = await pool.extract("fid-inception", images, "768");
      } finally {
        await pool.close();
      }
      assert.deepEqual([gpu.n, gpu.dim], [1, 768]);
      assert.ok(relErr(gpu.data, cpu.data) < 1e-5, `wgsl vs simd: ${relErr(gpu.data, cpu.data)}`);
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
