import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { InvalidInputError, UnprocessableError } from "../../../src/errors.ts";
import { parseBackendName } from "../../../models/runtime/extraction_settings.ts";
import type { FeatureRows, ImageBatch } from "../../../src/features/extractor.ts";
import {
  chooseAutoBackend,
  extractInChunks,
  imagesPerSlice,
  initBackend,
  maxBatchForLimit,
  probeGpuAdapter,
  wasmDistUrl,
} from "../../../models/runtime/backend.ts";
import type { BackendName } from "../../../models/runtime/extraction_settings.ts";

Deno.test("maxBatchForLimit is the number of whole images whose largest tensor fits the limit", () => {
  assert.equal(maxBatchForLimit(100, 1000), 10);
  assert.equal(maxBatchForLimit(101, 1000), 9);
  assert.equal(maxBatchForLimit(1000, 1000), 1);
  assert.equal(maxBatchForLimit(1001, 1000), 0);
  // InceptionV3's biggest activation at 299 x 299 is 147 x 147 x 64 float32; 128 MiB holds 24 such images.
  assert.equal(maxBatchForLimit(147 * 147 * 64 * 4, 128 * 2 ** 20), 24);
  assert.throws(() => maxBatchForLimit(0, 1000), UnprocessableError);
});

Deno.test("imagesPerSlice caps by the WebGPU limit only on WebGPU and refuses an image over the limit", () => {
  assert.equal(imagesPerSlice({ name: "wasm" }, 1e9, 256), 256);
  assert.equal(imagesPerSlice({ name: "webgpu", maxBufferBytes: 1000 }, 100, 256), 10);
  assert.equal(imagesPerSlice({ name: "webgpu", maxBufferBytes: 1e6 }, 100, 256), 256);
  assert.throws(
    () => imagesPerSlice({ name: "webgpu", maxBufferBytes: 1000 }, 2000, 256),
    UnprocessableError,
  );
});

Deno.test("extractInChunks calls the extractor on consecutive slices no larger than asked and keeps row order", async () => {
  const n = 23;
  const images: ImageBatch = {
    n,
    height: 1,
    width: 2,
    channels: 1,
    data: Float32Array.from({ length: 2 * n }, (_, i) => i),
  };
  const seen: number[] = [];
  const out = await extractInChunks(images, 5, (s) => {
    seen.push(s.n);
    // Row i of the slice: its two pixels and their sum.
    const data = new Float32Array(s.n * 3);
    for (let i = 0; i < s.n; i++) {
      data.set([s.data[2 * i], s.data[2 * i + 1], s.data[2 * i] + s.data[2 * i + 1]], 3 * i);
    }
    return Promise.resolve({ n: s.n, dim: 3, data });
  });
  assert.ok(seen.every((m) => m <= 5) && seen.reduce((a, b) => a + b) === n);
  assert.equal(out.n, n);
  for (let i = 0; i < n; i++) {
    assert.deepEqual([...out.data.subarray(3 * i, 3 * i + 3)], [2 * i, 2 * i + 1, 4 * i + 1]);
  }
});

Deno.test("the auto policy takes WebGPU only on a hardware adapter, else WASM, else CPU", () => {
  assert.equal(chooseAutoBackend({ description: "NVIDIA H100", isFallback: false }, true), "webgpu");
  assert.equal(
    chooseAutoBackend({ description: "llvmpipe (LLVM 15.0.6, 256 bits)", isFallback: false }, true),
    "wasm",
  );
  assert.equal(chooseAutoBackend({ description: "some adapter", isFallback: true }, true), "wasm");
  assert.equal(chooseAutoBackend({ description: "SwiftShader Device", isFallback: false }, false), "cpu");
  assert.equal(chooseAutoBackend(null, true), "wasm");
});

Deno.test("a configured backend is forced, and an unknown name (FIDSTREAM_BACKEND) is refused", async () => {
  assert.deepEqual(await initBackend("cpu"), { name: "cpu" });
  assert.equal(tf.getBackend(), "cpu");
  assert.deepEqual(await initBackend("wasm"), { name: "wasm" });
  assert.equal(tf.getBackend(), "wasm");
  await assert.rejects(initBackend("tpu" as BackendName), InvalidInputError);
  assert.equal(parseBackendName(" WASM ", "FIDSTREAM_BACKEND"), "wasm");
  assert.equal(parseBackendName(undefined, "FIDSTREAM_BACKEND"), undefined);
  assert.throws(
    () => parseBackendName("tpu", "FIDSTREAM_BACKEND"),
    (e: Error & { code?: string }) => e.code === "bad_setting" && /FIDSTREAM_BACKEND=tpu/.test(e.message),
  );
});

Deno.test("the wasm backend loads its .wasm files from node_modules and computes a conv like a naive loop", async () => {
  for (const file of ["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm"]) {
    assert.ok(Deno.statSync(new URL(file, wasmDistUrl())).isFile, `${file} under ${wasmDistUrl()}`);
  }
  assert.equal((await initBackend("wasm")).name, "wasm");
  const x = Float32Array.from({ length: 2 * 5 * 5 }, (_, i) => ((i * 7) % 11) / 10);
  const w = Float32Array.from({ length: 9 }, (_, i) => (i - 4) / 4);
  const y = tf.tidy(() => tf.conv2d(tf.tensor4d(x, [2, 5, 5, 1]), tf.tensor4d(w, [3, 3, 1, 1]), 1, "valid"));
  const got = await y.data();
  y.dispose();
  for (let n = 0; n < 2; n++) {
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let i = 0; i < 3; i++) {
          for (let j = 0; j < 3; j++) s += x[n * 25 + (r + i) * 5 + c + j] * w[i * 3 + j];
        }
        assert.ok(Math.abs(got[n * 9 + r * 3 + c] - s) < 1e-5);
      }
    }
  }
});

// ---- WebGPU: a tensor over maxStorageBufferBindingSize is silently wrong; the split must fix it. ----

const adapter = await probeGpuAdapter();
const webgpuStarts = adapter !== null && (await initBackend("webgpu").then(() => true, () => false));

/**
 * The "network" of the split test: every 1 x 1 image becomes K features pixel + pattern[j] (a broadcast add),
 * so a batch's output is n x K floats while its inputs stay tiny: only the output can exceed the limit.
 */
const K = 540_000;
const pattern = Float32Array.from({ length: K }, (_, j) => (j % 1000) / 1000);
async function broadcastAdd(s: ImageBatch): Promise<FeatureRows> {
  const y = tf.tidy(() => tf.add(tf.tensor2d(s.data, [s.n, 1]), tf.tensor2d(pattern, [1, K])));
  const data = (await y.data()) as Float32Array;
  y.dispose();
  return { n: s.n, dim: K, data };
}

Deno.test({
  name: webgpuStarts
    ? `WebGPU (${
      adapter!.description
    }): an output over the buffer limit is corrupt whole and matches WASM when split`
    : "WebGPU split test (IGNORED: WebGPU cannot start in this Deno process, no adapter or device)",
  ignore: !webgpuStarts,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const n = 64;
    const images: ImageBatch = {
      n,
      height: 1,
      width: 1,
      channels: 1,
      data: Float32Array.from({ length: n }, (_, i) => i / n),
    };
    assert.equal((await initBackend("wasm")).name, "wasm");
    const reference = await broadcastAdd(images);

    const info = await initBackend("webgpu");
    assert.equal(info.name, "webgpu");
    const limit = info.maxBufferBytes!;
    assert.ok(n * K * 4 > limit, `the test output (${n * K * 4} bytes) must exceed the limit (${limit})`);

    const whole = await broadcastAdd(images);
    let wrong = 0;
    for (let i = 0; i < whole.data.length; i++) {
      if (!(Math.abs(whole.data[i] - reference.data[i]) <= 1e-5)) wrong++;
    }
    assert.ok(
      wrong > whole.data.length / 2,
      `without the split ${wrong} of ${whole.data.length} values differ`,
    );

    const perSlice = maxBatchForLimit(K * 4, limit);
    assert.ok(perSlice >= 1 && perSlice < n);
    const split = await extractInChunks(images, perSlice, broadcastAdd);
    assert.equal(split.n, n);
    let maxDiff = 0;
    for (let i = 0; i < split.data.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(split.data[i] - reference.data[i]));
    }
    assert.ok(maxDiff <= 1e-5, `split WebGPU vs WASM max |diff| ${maxDiff}`);
  },
});
