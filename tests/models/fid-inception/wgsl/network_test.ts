/**
 * The WGSL FID InceptionV3 as a whole: every output against the independent float64 forward pass (at 75x75,
 * the smallest input, where that reference is quick), and the engine's batching: the same rows whatever the
 * batch, the split into forwards under a lowered binding limit, uint8 and NCHW input, several runs of images
 * in one forward.
 */
import assert from "node:assert/strict";
import type { PixelBatch } from "../../../../src/features/pixel_batch.ts";
import { WgslFidInceptionExtractor } from "../../../../models/fid-inception/wgsl/extractor.ts";
import { FEATURE_ROW, WgslInceptionNetwork } from "../../../../models/fid-inception/wgsl/network.ts";
import { UnprocessableError } from "../../../../src/errors.ts";
import { seededRandom } from "../../../../tools/arrays.ts";
import {
  naiveFidInception,
  randomImg,
  randomWeights,
  relErr,
} from "../../../../tools/fid_inception_reference.ts";
import { gpuTest } from "./_gpu.ts";

const WEIGHTS = randomWeights(2024);
const OUTPUTS = ["64", "192", "768", "2048", "logits"] as const;
const NETWORK = { "64": "pool0", "192": "pool1", "768": "pool2", "2048": "pool3", logits: "logits" } as const;

/** n random RGB images of h x w as uint8 NHWC. */
function bytes(n: number, h: number, w: number, seed: number): Uint8Array {
  const r = seededRandom(seed);
  return Uint8Array.from({ length: n * h * w * 3 }, () => Math.floor(r() * 256));
}

Deno.test(gpuTest("every output at 75x75 matches the float64 reference forward pass", async (gpu) => {
  const ex = await WgslFidInceptionExtractor.create(WEIGHTS, { gpu, inputSize: 75 });
  try {
    // Images already 75x75: the resize is the identity, so the reference sees 2x - 1 of the same pixels.
    const imgs = [randomImg(75, 75, 3, 1, 0, 1), randomImg(75, 75, 3, 2, 0, 1)];
    const data = new Float32Array(2 * 75 * 75 * 3);
    imgs.forEach((im, i) => data.set(im.data, i * 75 * 75 * 3));
    const got = await ex.extractMany({ n: 2, height: 75, width: 75, channels: 3, data }, OUTPUTS);
    const want = imgs.map((im) =>
      naiveFidInception({ ...im, data: im.data.map((v) => 2 * Math.fround(v) - 1) }, WEIGHTS)
    );
    for (const out of OUTPUTS) {
      const ref = new Float64Array(2 * ex.dims[out]);
      want.forEach((w, i) => ref.set(w[NETWORK[out]], i * ex.dims[out]));
      const err = relErr(got[out]!.data, ref);
      assert.ok(err < 1e-5, `${out}: relative error ${err}`);
    }
    assert.ok(want[0].pool3.some((v) => v > 1e-3), "the reference's pool3 is not all zero");
  } finally {
    ex.dispose();
  }
}));

Deno.test(gpuTest(
  "a batch split by a lowered binding limit, uint8 NCHW input and mixed runs give each image's own rows",
  async (gpu) => {
    const single = await WgslInceptionNetwork.create(WEIGHTS, { gpu, inputSize: 79, capacity: 1 });
    // Room for 2 images per binding: a batch of 5 runs as 3 forwards.
    const perImage = Math.max(...single.graph.slotBytesPerImage);
    const split = await WgslFidInceptionExtractor.create(WEIGHTS, {
      gpu,
      inputSize: 79,
      maxBindingBytes: 2 * perImage + 100,
    });
    try {
      assert.equal(split.network.maxImagesPerForward(0), 2);
      assert.equal(split.network.memoryBytes(), split.network.plannedMemoryBytes(split.network.capacity));
      const n = 5, h = 83, w = 71;
      const u8 = bytes(n, h, w, 7);
      const nhwc: PixelBatch = { n, height: h, width: w, channels: 3, layout: "NHWC", data: u8 };
      const batched = await split.extractPixels(nhwc, ["2048", "64"]);
      for (let i = 0; i < n; i++) {
        const one = slice(nhwc, i);
        const r = await single.forward([one], 3, false);
        for (const [out, off, dim] of [["2048", 1024, 2048], ["64", 0, 64]] as const) {
          const alone = r.features.subarray(off, off + dim);
          const inBatch = batched[out]!.data.subarray(i * dim, (i + 1) * dim);
          assert.ok(relErr(inBatch, alone) < 1e-6, `image ${i} ${out}: ${relErr(inBatch, alone)}`);
        }
      }
      // The same images as float32 NCHW: the GPU reads the layout and the byte table gives the same floats.
      const nchw = new Float32Array(u8.length);
      for (let i = 0; i < n; i++) {
        for (let p = 0; p < h * w; p++) {
          for (let c = 0; c < 3; c++) nchw[(i * 3 + c) * h * w + p] = u8[(i * h * w + p) * 3 + c] / 255;
        }
      }
      const fromFloat = await split.extractPixels(
        { n, height: h, width: w, channels: 3, layout: "NCHW", data: nchw },
        ["2048"],
      );
      assert.deepEqual(fromFloat["2048"]!.data, batched["2048"]!.data, "uint8 NHWC and float32 NCHW");
      // Two runs of different sizes and types in one forward: each image gets its own rows.
      const gray = { n: 1, height: 40, width: 52, channels: 1 as const, layout: "NHWC" as const };
      const grayData = Float32Array.from(bytes(1, 40, 52 * 3, 3).subarray(0, 40 * 52), (v) => v / 255);
      // (The engine was sized for 1 image: the buffers grow for this forward of 2.)
      const mixed = await single.forward([slice(nhwc, 1), { ...gray, data: grayData }], 0, false);
      const alone = await single.forward([{ ...gray, data: grayData }], 0, false);
      assert.ok(
        relErr(mixed.features.subarray(FEATURE_ROW, FEATURE_ROW + 64), alone.features.subarray(0, 64)) < 1e-6,
      );
      assert.ok(single.capacity >= 2, "the buffers grew for the bigger forward");
    } finally {
      single.dispose();
      split.dispose();
    }
  },
));

Deno.test(gpuTest("empty batches, bad outputs and images over the binding limit are handled", async (gpu) => {
  const ex = await WgslFidInceptionExtractor.create(WEIGHTS, {
    gpu,
    inputSize: 75,
    maxBindingBytes: 4 << 20,
  });
  try {
    const none = await ex.extractMany({ n: 0, height: 9, width: 9, channels: 3, data: new Float32Array(0) }, [
      "2048",
      "logits",
    ]);
    assert.deepEqual([none["2048"]!.n, none.logits!.dim], [0, 1008]);
    await assert.rejects(
      ex.extract({ n: 1, height: 2, width: 2, channels: 3, data: new Float32Array(12) }, "999"),
      /unknown fid-inception output/,
    );
    await assert.rejects(
      ex.extract({ n: 1, height: 2, width: 2, channels: 3, data: new Float32Array(12).fill(3) }),
      /outside \[0, 1\]/,
    );
    // One image of 1100 x 1100 float32 RGB is 14.5 MB: more than one 4 MiB binding holds.
    const big = {
      n: 1,
      height: 1100,
      width: 1100,
      channels: 3 as const,
      data: new Float32Array(1100 * 1100 * 3),
    };
    await assert.rejects(ex.extract(big), UnprocessableError);
  } finally {
    ex.dispose();
  }
}));

function slice(p: PixelBatch, i: number): PixelBatch {
  const per = p.height * p.width * p.channels;
  return { ...p, n: 1, data: p.data.subarray(i * per, (i + 1) * per) };
}
