/** The "fid-inception" registry entry: where its weights come from, what is missing, WebGPU-sized slices. */
import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import { FidInceptionExtractor } from "../../../models/fid-inception/extractor.ts";
import {
  FID_WEIGHTS_ENV,
  fidInceptionSpace,
  INCEPTION_ENGINE_ENV,
  inceptionEngine,
  resolveFidInceptionWeights,
  resolveInceptionEngine,
} from "../../../models/fid-inception/loader.ts";
import { BACKEND_ENV } from "../../../models/runtime/backend.ts";
import { buildFidInception } from "../../../models/fid-inception/network.ts";
import { preprocessForFidInception } from "../../../models/fid-inception/preprocess.ts";
import { loadFolded } from "../../../models/fid-inception/weights_format.ts";
import { loadExtractor } from "../../../models/runtime/registry.ts";
import { ExtractorPool } from "../../../models/runtime/worker_pool.ts";
import { InvalidInputError, NotFoundError, UnprocessableError } from "../../../src/errors.ts";
import type { ImageBatch } from "../../../src/features/extractor.ts";
import { randomImg, randomWeights, relErr, useBackend } from "../../../tools/fid_inception_reference.ts";
import { loadOpenBlas, OPENBLAS_ENV } from "../../../src/native/openblas.ts";
import { withEnv } from "../../_support/env.ts";
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

Deno.test("[wasm] the registry loads fid-inception from <FIDSTREAM_DATA_DIR>/models/fid-inception and extracts [n, 2048]", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    await writeSyntheticFolded(`${dataDir}/models/fid-inception`, WEIGHTS);
    const ex = await withEnv(
      { FIDSTREAM_DATA_DIR: dataDir, [FID_WEIGHTS_ENV]: undefined },
      () => loadExtractor("fid-inception", { backend: "wasm" }),
    );
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

Deno.test("CPU backends run OpenBLAS where it loads, else the SIMD kernels; FIDSTREAM_INCEPTION_ENGINE overrides; WebGPU runs the WGSL engine", async () => {
  const cpuDefault = loadOpenBlas() ? "blas" : "simd";
  await withEnv({ [INCEPTION_ENGINE_ENV]: undefined }, () => {
    assert.equal(inceptionEngine("wasm"), cpuDefault);
    assert.equal(inceptionEngine("cpu"), cpuDefault);
    assert.equal(inceptionEngine("webgpu"), "wgsl");
    return Promise.resolve();
  });
  await withEnv({ [INCEPTION_ENGINE_ENV]: "tfjs" }, () => {
    assert.equal(inceptionEngine("webgpu"), "tfjs", "tfjs-backend-webgpu stays selectable");
    return Promise.resolve();
  });
  await withEnv({ [INCEPTION_ENGINE_ENV]: "wgsl", [BACKEND_ENV]: "wasm" }, async () => {
    assert.equal(
      inceptionEngine("wasm"),
      "wgsl",
      "asked for by name: on any WebGPU adapter, even a software one",
    );
    assert.equal(await resolveInceptionEngine(), "wgsl");
  });
  await withEnv({ [INCEPTION_ENGINE_ENV]: undefined, [BACKEND_ENV]: "wasm" }, async () => {
    assert.equal(await resolveInceptionEngine(), cpuDefault, "a forced CPU backend keeps the CPU engines");
    assert.equal(await resolveInceptionEngine("webgpu"), "wgsl");
  });
  await withEnv({ [INCEPTION_ENGINE_ENV]: undefined, [OPENBLAS_ENV]: "/nonexistent/libopenblas.so" }, () => {
    assert.equal(inceptionEngine("wasm"), "simd", "no OpenBLAS: the WebAssembly kernels");
    return Promise.resolve();
  });
  await withEnv({ [INCEPTION_ENGINE_ENV]: "blas", [OPENBLAS_ENV]: "/nonexistent/libopenblas.so" }, () => {
    assert.throws(
      () => inceptionEngine("wasm"),
      (e: unknown) =>
        e instanceof InvalidInputError && e.code === "openblas_unavailable" &&
        e.message.includes("/nonexistent/libopenblas.so") && e.message.includes("libopenblas0-pthread"),
    );
    return Promise.resolve();
  });
  await withEnv({ [INCEPTION_ENGINE_ENV]: "simd" }, () => {
    assert.equal(inceptionEngine("wasm"), "simd");
    return Promise.resolve();
  });
  await withEnv({ [INCEPTION_ENGINE_ENV]: " TFJS " }, () => {
    assert.equal(inceptionEngine("wasm"), "tfjs");
    return Promise.resolve();
  });
  await withEnv({ [INCEPTION_ENGINE_ENV]: "simd" }, () => {
    assert.equal(inceptionEngine("webgpu"), "wgsl", "a GPU never runs the CPU kernels");
    return Promise.resolve();
  });
  await withEnv({ [INCEPTION_ENGINE_ENV]: "xnnpack" }, () => {
    assert.throws(
      () => inceptionEngine("wasm"),
      (e: unknown) =>
        e instanceof InvalidInputError && e.code === "inception_engine_unknown" &&
        e.message.includes("xnnpack"),
    );
    return Promise.resolve();
  });
});

Deno.test("FIDSTREAM_FID_WEIGHTS=<.pth> is converted once into the data dir and reused by later loads", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const { pth, values } = syntheticCheckpoint(5);
    const pthPath = `${dataDir}/my_inception.pth`;
    await Deno.writeFile(pthPath, pth);
    const sha = await sha256(pth);
    await withEnv({ FIDSTREAM_DATA_DIR: dataDir, [FID_WEIGHTS_ENV]: pthPath }, async () => {
      const dir = await resolveFidInceptionWeights();
      assert.equal(dir, `${dataDir}/models/fid-inception-pth-${sha.slice(0, 16)}`);
      const manifest = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));
      assert.deepEqual(manifest.source, { file: "my_inception.pth", sha256: sha });
      const { mtime } = await Deno.stat(`${dir}/weights.bin`);
      assert.equal(await resolveFidInceptionWeights(), dir);
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
      assert.equal(await resolveFidInceptionWeights(), `${dataDir}/models/fid-inception`);
      // A folder of converted weights is used as is.
      assert.equal(
        await resolveFidInceptionWeights({ weights: "/some/folder/x" }).catch((e) => e.code),
        "fid_inception_weights_missing",
      );
      assert.equal(await resolveFidInceptionWeights({ weights: `${dataDir}/models` }), `${dataDir}/models`);
    });
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
    await withEnv({ FIDSTREAM_DATA_DIR: dataDir, [FID_WEIGHTS_ENV]: undefined }, async () => {
      await assert.rejects(
        loadExtractor("fid-inception", { backend: "wasm" }),
        isMissing(new RegExp(`${dataDir}/models/fid-inception`)),
      );
      const pool = new ExtractorPool({ workers: 1, backend: "wasm" });
      try {
        await assert.rejects(pool.extract("fid-inception", batchOf([1], 8, 8)), isMissing(/no converted/));
      } finally {
        await pool.close();
      }
    });
    await withEnv({ FIDSTREAM_DATA_DIR: dataDir, [FID_WEIGHTS_ENV]: `${dataDir}/nope.pth` }, async () => {
      await assert.rejects(
        loadExtractor("fid-inception", { backend: "wasm" }),
        isMissing(/nope\.pth do not exist/),
      );
    });
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
    "FIDSTREAM_INCEPTION_ENGINE=wgsl: a pool worker opens its own WebGPU device and gives the CPU engine's rows",
  ignore: (await requestAdapter()) === null,
  fn: async () => {
    const dataDir = await Deno.makeTempDir();
    try {
      await writeSyntheticFolded(`${dataDir}/models/fid-inception`, WEIGHTS);
      const images = batchOf([8], 61, 47);
      await withEnv({ FIDSTREAM_DATA_DIR: dataDir, [FID_WEIGHTS_ENV]: undefined }, async () => {
        const cpu = await withEnv({ [INCEPTION_ENGINE_ENV]: "simd" }, async () => {
          const ex = await loadExtractor("fid-inception", { backend: "wasm" });
          try {
            return await ex.extract(images, "768");
          } finally {
            ex.dispose();
          }
        });
        const gpu = await withEnv({ [INCEPTION_ENGINE_ENV]: "wgsl" }, async () => {
          const pool = new ExtractorPool({ workers: 1 });
          try {
            return await pool.extract("fid-inception", images, "768");
          } finally {
            await pool.close();
          }
        });
        assert.deepEqual([gpu.n, gpu.dim], [1, 768]);
        assert.ok(relErr(gpu.data, cpu.data) < 1e-5, `wgsl vs simd: ${relErr(gpu.data, cpu.data)}`);
      });
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
