/** The whole FID InceptionV3 vs an independent float64 forward pass, with random folded weights. */
import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import {
  buildFidInception,
  FID_INCEPTION_MIN_SIZE,
  type FidInceptionNetwork,
  fidInceptionWeightShapes,
  largestActivationBytesPerImage,
} from "../../../models/fid-inception/network.ts";
import { buildFidInceptionWasm } from "../../../models/fid-inception/wasm_network.ts";
import { UnprocessableError } from "../../../src/errors.ts";
import {
  naiveFidInception,
  type Param,
  randomImg,
  randomWeights,
  REFERENCE_CONV_TABLE,
  relErr,
  toTensor,
  useBackend,
} from "../../../tools/fid_inception_reference.ts";

const WEIGHTS = randomWeights(2024);
// Both engines: the tfjs network and the WebAssembly SIMD one (wasm_network_test.ts covers the rest of it).
const BUILDERS = { tfjs: buildFidInception, simd: buildFidInceptionWasm } as const;
const OUTPUTS = ["pool0", "pool1", "pool2", "pool3", "logits"] as const;
const DIMS = { pool0: 64, pool1: 192, pool2: 768, pool3: 2048, logits: 1008 };

async function withNetwork(
  backend: "cpu" | "wasm",
  body: (net: FidInceptionNetwork) => Promise<void> | void,
) {
  await useBackend(backend);
  const net = buildFidInception(WEIGHTS);
  try {
    await body(net);
  } finally {
    net.dispose();
  }
}

/** Output side of the network for an input side, following torchvision's per-layer comments. */
function finalSide(s: number): number {
  const conv = (x: number, k: number, stride: number, pad: number) =>
    Math.floor((x + 2 * pad - k) / stride) + 1;
  s = conv(s, 3, 2, 0); // Conv2d_1a_3x3
  s = conv(s, 3, 1, 0); // Conv2d_2a_3x3
  s = conv(s, 3, 2, 0); // maxpool1 (2b keeps the size)
  s = conv(s, 3, 1, 0); // Conv2d_4a_3x3
  s = conv(s, 3, 2, 0); // maxpool2
  s = conv(s, 3, 2, 0); // Mixed_6a
  return conv(s, 3, 2, 0); // Mixed_7a
}

Deno.test("the network reads exactly the reference table's keys and shapes (HWIO) plus fc.weight [1008, 2048]", () => {
  const want = new Map<string, number[]>();
  for (const [name, kh, kw, cin, cout] of REFERENCE_CONV_TABLE) {
    want.set(`${name}.weight`, [kh, kw, cin, cout]);
    want.set(`${name}.bias`, [cout]);
  }
  want.set("fc.weight", [1008, 2048]);
  assert.deepEqual(fidInceptionWeightShapes(), want);
  // 94 convs + fc; the folded parameter count of pytorch-fid's model without fc.bias.
  assert.equal(REFERENCE_CONV_TABLE.length, 94);
});

Deno.test("75x75 is the smallest input that survives the strides; 74 is refused with a typed error", async () => {
  assert.equal(finalSide(75), 1);
  assert.equal(finalSide(74), 0);
  assert.equal(FID_INCEPTION_MIN_SIZE, 75);
  await withNetwork("wasm", (net) => {
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
    tf.dispose([small, gray]);
  });
});

for (const backend of ["wasm", "cpu"] as const) {
  Deno.test(`[${backend}] every output at 75x75 (batch of 2) matches the float64 reference forward pass`, async () => {
    const imgs = [randomImg(75, 75, 3, 1), randomImg(75, 75, 3, 2)];
    const want = imgs.map((im) => naiveFidInception(im, WEIGHTS));
    await withNetwork(backend, async (net) => {
      const x = toTensor(imgs);
      const before = tf.memory().numTensors;
      const got = net.run(x);
      assert.equal(tf.memory().numTensors - before, OUTPUTS.length, "only the outputs stay allocated");
      for (const name of OUTPUTS) {
        const t = got[name]!;
        assert.deepEqual(t.shape, [2, DIMS[name]], name);
        const values = await t.data();
        const ref = new Float64Array(2 * DIMS[name]);
        ref.set(want[0][name], 0);
        ref.set(want[1][name], DIMS[name]);
        const err = relErr(values, ref);
        assert.ok(err < 1e-4, `${name}: relative error ${err}`);
      }
      // Random weights must not leave the features trivially zero, or the comparison would prove little.
      assert.ok(want[0].pool3.some((v) => v > 1e-3), "pool3 of the reference is not all zero");
      tf.dispose([x, ...Object.values(got)]);
    });
  });
}

for (const [engine, build] of Object.entries(BUILDERS)) {
  Deno.test(`[${engine}] a non-square 139x107 input (Mixed_7b/7c at 3x2, so their padding matters) matches the reference`, async () => {
    await useBackend("wasm");
    const img = randomImg(139, 107, 3, 3);
    const want = naiveFidInception(img, WEIGHTS);
    const net = build(WEIGHTS);
    const x = toTensor([img]);
    const got = net.run(x, ["pool2", "pool3", "logits"]);
    assert.deepEqual(Object.keys(got).sort(), ["logits", "pool2", "pool3"]);
    for (const name of ["pool2", "pool3", "logits"] as const) {
      const err = relErr(await got[name]!.data(), want[name]);
      assert.ok(err < 1e-4, `${name}: relative error ${err}`);
    }
    tf.dispose([x, ...Object.values(got)]);
    net.dispose();
  });
}

Deno.test("[wasm] 299x299 gives [n, 64/192/768/2048/1008]; each image's features do not depend on its batch", async () => {
  await withNetwork("wasm", async (net) => {
    const imgs = [randomImg(299, 299, 3, 7), randomImg(299, 299, 3, 8)];
    const x = toTensor(imgs);
    const got = net.run(x);
    for (const name of OUTPUTS) assert.deepEqual(got[name]!.shape, [2, DIMS[name]], name);
    const alone = toTensor([imgs[1]]);
    const single = net.run(alone, ["pool3"]);
    assert.deepEqual(Object.keys(single), ["pool3"]);
    const batched = (await got.pool3!.data()).subarray(2048);
    const err = relErr(await single.pool3!.data(), batched);
    assert.ok(err < 1e-5, `batch vs single: ${err}`);
    tf.dispose([x, alone, ...Object.values(got), ...Object.values(single)]);
  });
});

Deno.test("[wasm] pool0 alone stops after the first block and equals the full run's pool0", async () => {
  await withNetwork("wasm", async (net) => {
    const x = toTensor([randomImg(80, 90, 3, 9)]);
    let only = {} as ReturnType<FidInceptionNetwork["run"]>;
    // tf.profile reuses its result object, so read each count before the next profile.
    const onlyKernels = (await tf.profile(() => {
      only = net.run(x, ["pool0"]);
      return Object.values(only);
    })).kernels.length;
    assert.deepEqual(Object.keys(only), ["pool0"]);
    let full = {} as ReturnType<FidInceptionNetwork["run"]>;
    const fullKernels = (await tf.profile(() => {
      full = net.run(x);
      return Object.values(full);
    })).kernels.length;
    // Block 0 is 3 convs, a max pool and the mean (a fused conv is recorded as op + kernel: 8 entries);
    // the whole network records several hundred.
    assert.ok(onlyKernels <= 8, `pool0 alone ran ${onlyKernels} kernels`);
    assert.ok(fullKernels > 100, `the full run ran ${fullKernels} kernels`);
    assert.ok(relErr(await only.pool0!.data(), await full.pool0!.data()) < 1e-6);
    tf.dispose([x, ...Object.values(only), ...Object.values(full)]);
  });
});

for (const [engine, build] of Object.entries(BUILDERS)) {
  Deno.test(`[${engine}] logits ignore fc.bias (pool3 @ fc.weight^T, the TF Inception Score convention)`, async () => {
    await useBackend("wasm");
    const withBias = new Map<string, Param>(WEIGHTS);
    withBias.set("fc.bias", { shape: [1008], data: new Float32Array(1008).fill(5) });
    const net = build(withBias);
    const x = toTensor([randomImg(75, 75, 3, 1)]);
    const got = net.run(x, ["logits"]);
    const want = naiveFidInception(randomImg(75, 75, 3, 1), WEIGHTS).logits;
    assert.ok(relErr(await got.logits!.data(), want) < 1e-4);
    tf.dispose([x, got.logits!]);
    net.dispose();
  });

  Deno.test(`[${engine}] missing or mis-shaped weights are refused with typed errors naming the key`, async () => {
    await useBackend("wasm");
    const before = tf.memory().numTensors;
    const missing = new Map<string, Param>(WEIGHTS);
    missing.delete("Mixed_6c.branch7x7_2.bias");
    assert.throws(
      () => build(missing),
      (e: unknown) =>
        e instanceof UnprocessableError && e.code === "inception_weight_missing" &&
        e.message.includes("Mixed_6c.branch7x7_2.bias"),
    );
    // A 1x7 kernel delivered as 7x1 has the right size but the wrong shape.
    const transposed = new Map<string, Param>(WEIGHTS);
    const w = WEIGHTS.get("Mixed_6c.branch7x7_2.weight")!;
    transposed.set("Mixed_6c.branch7x7_2.weight", { shape: [7, 1, 160, 160], data: w.data });
    assert.throws(
      () => build(transposed),
      (e: unknown) =>
        e instanceof UnprocessableError && e.code === "inception_weight_shape" &&
        e.message.includes("[1,7,160,160]"),
    );
    assert.equal(tf.memory().numTensors, before, "a refused build frees what it had allocated");
  });
}

Deno.test("[cpu] largestActivationBytesPerImage bounds every tensor a forward pass produces", async () => {
  await withNetwork("cpu", async (net) => {
    for (const [h, w] of [[75, 75], [101, 83]]) {
      const x = toTensor([randomImg(h, w, 3, h)]);
      let largest = 0;
      const info = await tf.profile(() => {
        const out = net.run(x);
        tf.dispose(Object.values(out));
      });
      for (const k of info.kernels) {
        for (const shape of k.outputShapes) {
          largest = Math.max(largest, 4 * (shape as number[]).reduce((a, b) => a * b, 1));
        }
      }
      assert.equal(largestActivationBytesPerImage(h, w), largest, `${h}x${w}`);
      x.dispose();
    }
  });
});
