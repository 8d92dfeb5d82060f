/** The WebAssembly FID InceptionV3 vs the independent float64 forward pass and vs the tfjs network. */
import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import { buildFidInception, type FidInceptionOutput } from "../../../models/fid-inception/network.ts";
import { buildFidInceptionWasm, WASM_INCEPTION_CHUNK } from "../../../models/fid-inception/wasm_network.ts";
import { INCEPTION_KERNELS_SOURCE_SHA256 } from "../../../models/fid-inception/wasm/inception_kernels_wasm.ts";
import { loadOpenBlas } from "../../../src/native/openblas.ts";
import { UnprocessableError } from "../../../src/errors.ts";
import { kernelSourceSha256 } from "../../../src/wasm/source_hash.ts";
import {
  naiveFidInception,
  randomImg,
  randomWeights,
  relErr,
  toTensor,
  useBackend,
} from "../../../tools/fid_inception_reference.ts";

const WEIGHTS = randomWeights(2024);
const BLAS = loadOpenBlas();
// The same network with its matrix products in the WebAssembly kernel and in OpenBLAS (where it loads).
const GEMMS = [{ gemm: "wasm", blas: null }, { gemm: "openblas", blas: BLAS }] as const;
const OUTPUTS: FidInceptionOutput[] = ["pool0", "pool1", "pool2", "pool3", "logits"];
const DIMS = { pool0: 64, pool1: 192, pool2: 768, pool3: 2048, logits: 1008 };

Deno.test("the shipped WebAssembly module was built from the current inception_kernels.as", async () => {
  const source = await Deno.readTextFile(
    new URL("../../../models/fid-inception/wasm/inception_kernels.as", import.meta.url),
  );
  assert.equal(
    await kernelSourceSha256(source),
    INCEPTION_KERNELS_SOURCE_SHA256,
    "inception_kernels.as changed: rebuild with `deno run -A tools/build_wasm.ts inception`",
  );
});

/**
 * An image's features whatever its batch: bit for bit with the WebAssembly GEMM; with OpenBLAS, which picks
 * its kernels by matrix size (so the summation order can change with the batch), to float32 rounding.
 */
function assertSameRows(gemm: string, got: Float32Array, want: Float32Array, label: string): void {
  if (gemm === "wasm") assert.deepEqual(got, want, label);
  else assert.ok(relErr(got, want) < 1e-5, `${label}: relative difference ${relErr(got, want)}`);
}

for (const { gemm, blas } of GEMMS) {
  Deno.test({
    name: `[${gemm}] every output at 75x75 (batch of 2) matches the float64 reference forward pass`,
    ignore: gemm === "openblas" && !blas,
    fn: async () => {
      await useBackend("wasm");
      const imgs = [randomImg(75, 75, 3, 1), randomImg(75, 75, 3, 2)];
      const want = imgs.map((im) => naiveFidInception(im, WEIGHTS));
      const net = buildFidInceptionWasm(WEIGHTS, { blas });
      const x = toTensor(imgs);
      const got = net.run(x);
      for (const name of OUTPUTS) {
        assert.deepEqual(got[name]!.shape, [2, DIMS[name]], name);
        const ref = new Float64Array(2 * DIMS[name]);
        ref.set(want[0][name], 0);
        ref.set(want[1][name], DIMS[name]);
        const err = relErr(await got[name]!.data(), ref);
        assert.ok(err < 1e-4, `${name}: relative error ${err}`);
      }
      // Random weights must not leave the features trivially zero, or the comparison would prove little.
      assert.ok(want[0].pool3.some((v) => v > 1e-3), "pool3 of the reference is not all zero");
      tf.dispose([x, ...Object.values(got)]);
    },
  });

  Deno.test({
    name:
      `[${gemm}] at 299x299 every output equals the tfjs network's, and an image's features do not depend on its batch`,
    ignore: gemm === "openblas" && !blas,
    fn: async () => {
      await useBackend("wasm");
      const imgs = [randomImg(299, 299, 3, 7), randomImg(299, 299, 3, 8)];
      const wasm = buildFidInceptionWasm(WEIGHTS, { blas });
      const tfjs = buildFidInception(WEIGHTS);
      const x = toTensor(imgs);
      const got = wasm.run(x);
      const want = tfjs.run(x);
      for (const name of OUTPUTS) {
        assert.deepEqual(got[name]!.shape, [2, DIMS[name]], name);
        const err = relErr(await got[name]!.data(), await want[name]!.data());
        assert.ok(err < 1e-5, `${name}: relative difference to tfjs ${err}`);
      }
      const alone = toTensor([imgs[1]]);
      const single = wasm.run(alone, ["pool3"]);
      assert.deepEqual(Object.keys(single), ["pool3"]);
      const batched = (await got.pool3!.data()).subarray(2048);
      assertSameRows(
        gemm,
        await single.pool3!.data() as Float32Array,
        batched as Float32Array,
        "whatever the batch",
      );
      tf.dispose([x, alone, ...Object.values(got), ...Object.values(want), ...Object.values(single)]);
      tfjs.dispose();
    },
  });

  Deno.test({
    name: `[${gemm}] a batch longer than one chunk gives the rows of its images run one at a time`,
    ignore: gemm === "openblas" && !blas,
    fn: async () => {
      await useBackend("wasm");
      const n = WASM_INCEPTION_CHUNK + 2;
      const imgs = Array.from({ length: n }, (_, i) => randomImg(75, 83, 3, 100 + i));
      const net = buildFidInceptionWasm(WEIGHTS, { blas });
      const x = toTensor(imgs);
      const all = net.run(x, ["pool1", "pool3"]);
      const rows1 = await all.pool1!.data();
      const rows3 = await all.pool3!.data();
      for (const i of [0, WASM_INCEPTION_CHUNK - 1, WASM_INCEPTION_CHUNK, n - 1]) {
        const one = toTensor([imgs[i]]);
        const got = net.run(one, ["pool1", "pool3"]);
        const [one1, one3] = [await got.pool1!.data(), await got.pool3!.data()] as Float32Array[];
        assertSameRows(
          gemm,
          one1,
          rows1.subarray(i * 192, (i + 1) * 192) as Float32Array,
          `image ${i} pool1`,
        );
        assertSameRows(
          gemm,
          one3,
          rows3.subarray(i * 2048, (i + 1) * 2048) as Float32Array,
          `image ${i} pool3`,
        );
        tf.dispose([one, ...Object.values(got)]);
      }
      tf.dispose([x, ...Object.values(all)]);
    },
  });

  Deno.test({
    name: `[${gemm}] pool0 alone equals the full run's pool0; an empty batch gives zero rows`,
    ignore: gemm === "openblas" && !blas,
    fn: async () => {
      await useBackend("wasm");
      const net = buildFidInceptionWasm(WEIGHTS, { blas });
      const x = toTensor([randomImg(80, 90, 3, 9)]);
      const only = net.run(x, ["pool0"]);
      const full = net.run(x);
      assert.deepEqual(Object.keys(only), ["pool0"]);
      assert.deepEqual(await only.pool0!.data(), await full.pool0!.data());
      const empty = tf.zeros([0, 299, 299, 3]) as tf.Tensor4D;
      const none = net.run(empty, ["pool3", "logits"]);
      assert.deepEqual(none.pool3!.shape, [0, 2048]);
      assert.deepEqual(none.logits!.shape, [0, 1008]);
      tf.dispose([x, empty, ...Object.values(only), ...Object.values(full), ...Object.values(none)]);
    },
  });
}

Deno.test("bad inputs are refused with typed errors, and a disposed network refuses to run", async () => {
  await useBackend("wasm");
  const net = buildFidInceptionWasm(WEIGHTS);
  const small = tf.zeros([1, 74, 80, 3]) as tf.Tensor4D;
  assert.throws(
    () => net.run(small),
    (e: unknown) => e instanceof UnprocessableError && e.code === "inception_input_too_small",
  );
  const gray = tf.zeros([1, 80, 80, 1]) as tf.Tensor4D;
  assert.throws(
    () => net.run(gray),
    (e: unknown) => e instanceof UnprocessableError && e.code === "inception_bad_input",
  );
  net.dispose();
  assert.throws(() => net.run(small), /disposed/);
  tf.dispose([small, gray]);
});
