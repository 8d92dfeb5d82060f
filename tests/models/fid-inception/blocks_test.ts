/** FID InceptionV3 blocks vs an independent float64 implementation, on the cpu and wasm backends. */
import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import {
  avgPool3x3ExcludePad,
  basicConv,
  type ConvLookup,
  type ConvSpec,
  convSpec,
  type FoldedConv,
  inceptionA,
  inceptionASpecs,
  inceptionB,
  inceptionBSpecs,
  inceptionC,
  inceptionCSpecs,
  inceptionD,
  inceptionDSpecs,
  inceptionE,
  inceptionESpecs,
  maxPool3x3Same,
  maxPool3x3Stride2,
} from "../../../models/fid-inception/blocks.ts";
import {
  type Img,
  naiveConvRelu,
  naiveInceptionA,
  naiveInceptionB,
  naiveInceptionC,
  naiveInceptionD,
  naiveInceptionE,
  naivePool,
  type Param,
  randomImg,
  randomWeights,
  relErr,
  toTensor,
  useBackend,
} from "../../../tools/fid_inception_reference.ts";

const BACKENDS = ["cpu", "wasm"] as const;
const TOL = 1e-4;

async function values(t: tf.Tensor): Promise<Float32Array> {
  const v = await t.data() as Float32Array;
  t.dispose();
  return v;
}

function flat(imgs: Img[]): Float64Array {
  const out = new Float64Array(imgs.reduce((s, im) => s + im.data.length, 0));
  let off = 0;
  for (const im of imgs) {
    out.set(im.data, off);
    off += im.data.length;
  }
  return out;
}

/** Folded convs on the active backend from the code's specs and the reference's weights. */
function lookupFor(
  specs: ConvSpec[],
  weights: Map<string, Param>,
): { lookup: ConvLookup; dispose: () => void } {
  const layers = new Map<string, FoldedConv>();
  for (const spec of specs) {
    const w = weights.get(`${spec.name}.weight`)!;
    const b = weights.get(`${spec.name}.bias`)!;
    assert.deepEqual([spec.kernel[0], spec.kernel[1], spec.inChannels, spec.outChannels], w.shape, spec.name);
    layers.set(spec.name, {
      spec,
      filter: tf.tensor4d(w.data, [spec.kernel[0], spec.kernel[1], spec.inChannels, spec.outChannels]),
      bias: tf.tensor1d(b.data),
    });
  }
  assert.equal(layers.size * 2, weights.size, "the block reads every conv of the reference table");
  return {
    lookup: (name) => {
      const l = layers.get(name);
      if (!l) throw new Error(`no layer ${name}`);
      return l;
    },
    dispose: () => {
      for (const l of layers.values()) {
        l.filter.dispose();
        l.bias.dispose();
      }
    },
  };
}

for (const backend of BACKENDS) {
  Deno.test(`[${backend}] avg pool 3x3 stride 1 pad 1 divides by the in-bounds count (count_include_pad=False)`, async () => {
    await useBackend(backend);
    // 4x4 ramp 1..16: the corner window holds 1, 2, 5, 6 -> 14/4 = 3.5 (14/9 if padding were counted);
    // the edge window at (0, 1) holds 1, 2, 3, 5, 6, 7 -> 24/6 = 4; the centre (1, 1) is 54/9 = 6.
    const ramp = tf.tensor4d(Array.from({ length: 16 }, (_, i) => i + 1), [1, 4, 4, 1]);
    const got = await values(avgPool3x3ExcludePad(ramp));
    ramp.dispose();
    assert.ok(Math.abs(got[0] - 3.5) < 1e-6, `corner ${got[0]}`);
    assert.ok(Math.abs(got[1] - 4) < 1e-6, `edge ${got[1]}`);
    assert.ok(Math.abs(got[5] - 6) < 1e-6, `centre ${got[5]}`);
    const imgs = [randomImg(5, 7, 6, 11), randomImg(5, 7, 6, 12)];
    const x = toTensor(imgs);
    const y = avgPool3x3ExcludePad(x);
    assert.deepEqual(y.shape, [2, 5, 7, 6]);
    assert.ok(relErr(await values(y), flat(imgs.map((im) => naivePool(im, "avg", 3, 1, 1)))) < 1e-6);
    x.dispose();
  });

  Deno.test(`[${backend}] max pools ignore padding and floor the stride-2 output size`, async () => {
    await useBackend(backend);
    // All-negative input: a max pool that let zero padding win would return 0 at the borders.
    for (const [h, w] of [[7, 8], [8, 7]]) {
      const imgs = [randomImg(h, w, 5, 21 + h, -2, -0.5), randomImg(h, w, 5, 31 + h, -2, -0.5)];
      const x = toTensor(imgs);
      const same = maxPool3x3Same(x);
      assert.deepEqual(same.shape, [2, h, w, 5]);
      assert.ok(relErr(await values(same), flat(imgs.map((im) => naivePool(im, "max", 3, 1, 1)))) < 1e-6);
      const s2 = maxPool3x3Stride2(x);
      assert.deepEqual(s2.shape, [2, Math.floor((h - 3) / 2) + 1, Math.floor((w - 3) / 2) + 1, 5]);
      assert.ok(relErr(await values(s2), flat(imgs.map((im) => naivePool(im, "max", 3, 2, 0)))) < 1e-6);
      x.dispose();
    }
  });

  Deno.test(`[${backend}] basicConv matches a plain conv + bias + relu for 1x7, 7x1, 5x5 pad 2 and 3x3 stride 2`, async () => {
    await useBackend(backend);
    const cases: [ConvSpec, number, number][] = [
      [convSpec("a", 6, 5, [1, 7], { padding: [0, 3] }), 9, 8],
      [convSpec("b", 6, 5, [7, 1], { padding: [3, 0] }), 9, 8],
      [convSpec("c", 6, 5, 5, { padding: 2 }), 7, 10],
      [convSpec("d", 6, 5, 3, { stride: 2 }), 10, 9],
      [convSpec("e", 6, 5, [1, 3], { padding: [0, 1] }), 4, 6],
    ];
    let seed = 100;
    for (const [spec, h, w] of cases) {
      const [kh, kw] = spec.kernel;
      const wp = randomImg(kh * kw, spec.inChannels, spec.outChannels, seed++);
      const weight: Param = {
        shape: [kh, kw, spec.inChannels, spec.outChannels],
        data: Float32Array.from(wp.data),
      };
      const bias: Param = { shape: [5], data: Float32Array.from(randomImg(1, 1, 5, seed++).data) };
      const imgs = [randomImg(h, w, spec.inChannels, seed++), randomImg(h, w, spec.inChannels, seed++)];
      const x = toTensor(imgs);
      const filter = tf.tensor4d(weight.data, [kh, kw, spec.inChannels, spec.outChannels]);
      const b = tf.tensor1d(bias.data);
      const y = basicConv(x, { spec, filter, bias: b });
      const want = imgs.map((im) =>
        naiveConvRelu(im, weight, bias, spec.stride, spec.padding[0], spec.padding[1])
      );
      assert.deepEqual(y.shape, [2, want[0].h, want[0].w, 5], spec.name);
      assert.ok(relErr(await values(y), flat(want)) < 1e-5, spec.name);
      for (const t of [x, filter, b]) t.dispose();
    }
  });
}

/** One block case: the code's forward and specs vs the reference's forward on two random images. */
interface BlockCase {
  title: string;
  prefix: string;
  cin: number;
  specs: ConvSpec[];
  h: number;
  w: number;
  run: (x: tf.Tensor4D, lookup: ConvLookup) => tf.Tensor4D;
  naive: (x: Img, w: Map<string, Param>) => Img;
}

const BLOCKS: BlockCase[] = [
  {
    title: "Mixed_5b (FIDInceptionA, 192 -> 256)",
    prefix: "Mixed_5b.",
    cin: 192,
    specs: inceptionASpecs("Mixed_5b", 192, 32),
    h: 9,
    w: 8,
    run: (x, l) => inceptionA(x, "Mixed_5b", l),
    naive: (x, w) => naiveInceptionA(x, w, "Mixed_5b"),
  },
  {
    title: "Mixed_6a (InceptionB, 288 -> 768, stride 2)",
    prefix: "Mixed_6a.",
    cin: 288,
    specs: inceptionBSpecs("Mixed_6a", 288),
    h: 9,
    w: 10,
    run: (x, l) => inceptionB(x, "Mixed_6a", l),
    naive: (x, w) => naiveInceptionB(x, w, "Mixed_6a"),
  },
  {
    title: "Mixed_6b (FIDInceptionC, c7 = 128)",
    prefix: "Mixed_6b.",
    cin: 768,
    specs: inceptionCSpecs("Mixed_6b", 768, 128),
    h: 7,
    w: 9,
    run: (x, l) => inceptionC(x, "Mixed_6b", l),
    naive: (x, w) => naiveInceptionC(x, w, "Mixed_6b"),
  },
  {
    title: "Mixed_7a (InceptionD, 768 -> 1280, stride 2)",
    prefix: "Mixed_7a.",
    cin: 768,
    specs: inceptionDSpecs("Mixed_7a", 768),
    h: 9,
    w: 8,
    run: (x, l) => inceptionD(x, "Mixed_7a", l),
    naive: (x, w) => naiveInceptionD(x, w, "Mixed_7a"),
  },
  {
    title: "Mixed_7b (FIDInceptionE_1, avg pool excluding padding)",
    prefix: "Mixed_7b.",
    cin: 1280,
    specs: inceptionESpecs("Mixed_7b", 1280),
    h: 5,
    w: 6,
    run: (x, l) => inceptionE(x, "Mixed_7b", l, "avg"),
    naive: (x, w) => naiveInceptionE(x, w, "Mixed_7b", "avg"),
  },
  {
    title: "Mixed_7c (FIDInceptionE_2, max pool)",
    prefix: "Mixed_7c.",
    cin: 2048,
    specs: inceptionESpecs("Mixed_7c", 2048),
    h: 6,
    w: 5,
    run: (x, l) => inceptionE(x, "Mixed_7c", l, "max"),
    naive: (x, w) => naiveInceptionE(x, w, "Mixed_7c", "max"),
  },
];

BLOCKS.forEach((block, k) => {
  Deno.test(`${block.title} matches the reference on cpu and wasm`, async () => {
    const weights = randomWeights(500 + k, block.prefix, false);
    // Inputs look like the ReLU outputs a block receives: non-negative, some exact zeros.
    const imgs = [0, 1].map((i) => {
      const im = randomImg(block.h, block.w, block.cin, 900 + 10 * k + i, -0.5, 1.5);
      for (let j = 0; j < im.data.length; j++) im.data[j] = Math.max(0, im.data[j]);
      return im;
    });
    const want = imgs.map((im) => block.naive(im, weights));
    for (const backend of BACKENDS) {
      await useBackend(backend);
      const { lookup, dispose } = lookupFor(block.specs, weights);
      const x = toTensor(imgs);
      const y = block.run(x, lookup);
      assert.deepEqual(y.shape, [2, want[0].h, want[0].w, want[0].c], `${backend} shape`);
      const err = relErr(await values(y), flat(want));
      assert.ok(err < TOL, `${backend}: relative error ${err}`);
      x.dispose();
      dispose();
    }
  });
});
