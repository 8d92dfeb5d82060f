import assert from "node:assert/strict";
import { InvalidInputError, NotFoundError } from "../../../src/errors.ts";
import { readTorchStateDict, type TorchTensor } from "../../../src/tensors/torch/checkpoint.ts";
import { fidInceptionWeightShapes } from "../../../models/fid-inception/network.ts";
import {
  FID_INCEPTION_LAYOUT,
  type FoldLayout,
  stateDictShapes,
  validateStateDict,
} from "../../../models/fid-inception/state_dict_keys.ts";
import { BN_EPS, foldBatchNorm, foldStateDict } from "../../../models/fid-inception/weights.ts";
import { convertCheckpoint, loadFolded, writeFolded } from "../../../models/fid-inception/weights_format.ts";
import {
  buildLegacyCheckpoint,
  buildZipCheckpoint,
  storage,
  type TestValue,
} from "../../../tools/torch_checkpoint_writer.ts";

/** Deterministic pseudo-random numbers in [lo, hi). */
function rng(seed: number) {
  let s = seed >>> 0;
  return (lo = -1, hi = 1) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (hi - lo) * (s / 2 ** 32);
  };
}

/** A torch-layout state dict for `layout`, values from `rand` (variances and gammas positive). */
function syntheticStateDict(layout: FoldLayout, seed: number, opts: { numBatchesTracked?: boolean } = {}): {
  value: TestValue;
  values: Map<string, Float32Array>;
} {
  const rand = rng(seed);
  const values = new Map<string, Float32Array>();
  const entries: [string, TestValue][] = [];
  let key = 0;
  for (const [name, shape] of stateDictShapes(layout)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const positive = name.endsWith("running_var") || name.endsWith("bn.weight");
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = positive ? rand(0.2, 2) : rand();
    values.set(name, v);
    const stride = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
    entries.push([name, {
      tensor: { storage: storage(String(key++), "FloatStorage", v), offset: 0, shape, stride },
    }]);
    if (opts.numBatchesTracked && name.endsWith("running_var")) {
      const nbt = name.replace("running_var", "num_batches_tracked");
      entries.push([nbt, {
        tensor: { storage: storage(String(key++), "LongStorage", [0n]), offset: 0, shape: [], stride: [] },
      }]);
    }
  }
  return { value: { testDict: entries, state: [["_metadata", { ordered: [] }]] }, values };
}

const TINY: FoldLayout = {
  convs: [
    { name: "Conv2d_1a_3x3", inChannels: 3, outChannels: 4, kernel: [3, 3] },
    { name: "Mixed_5b.branch7x7_2", inChannels: 4, outChannels: 2, kernel: [1, 3] },
  ],
  fc: { inFeatures: 2, outFeatures: 3 },
};

Deno.test("the FID layout has 94 BasicConv2d layers, 472 required keys and torchvision's parameter count", () => {
  assert.equal(FID_INCEPTION_LAYOUT.convs.length, 94);
  const shapes = stateDictShapes(FID_INCEPTION_LAYOUT);
  assert.equal(shapes.size, 94 * 5 + 2);
  // Parameters (not buffers): conv weights, bn weight + bias, fc. torchvision lists num_params 27,161,264 for
  // Inception3 with aux_logits and 1000 classes. AuxLogits = conv0 (768*128 + 2*128) + conv1 (128*768*25 +
  // 2*768) + fc (768*1000 + 1000) = 3,326,696; so 23,834,568 without it, +8*2048+8 for 1008 classes.
  let params = 0;
  for (const [name, shape] of shapes) {
    if (name.endsWith("running_mean") || name.endsWith("running_var")) continue;
    params += shape.reduce((a, b) => a * b, 1);
  }
  assert.equal(params, 27_161_264 - 3_326_696 + 8 * 2048 + 8);
  // Spot checks against torchvision's inception.py
  assert.deepEqual(shapes.get("Mixed_7c.branch3x3dbl_1.conv.weight"), [448, 2048, 1, 1]);
  assert.deepEqual(shapes.get("Mixed_6e.branch7x7dbl_5.conv.weight"), [192, 192, 1, 7]);
  assert.deepEqual(shapes.get("Mixed_7a.branch7x7x3_3.conv.weight"), [192, 192, 7, 1]);
  assert.deepEqual(shapes.get("Mixed_5b.branch_pool.conv.weight"), [32, 192, 1, 1]);
  assert.deepEqual(shapes.get("fc.weight"), [1008, 2048]);
});

Deno.test("the folded layout agrees with what network.ts reads (written independently)", () => {
  const network = fidInceptionWeightShapes();
  const folded = new Map<string, number[]>();
  for (const c of FID_INCEPTION_LAYOUT.convs) {
    folded.set(`${c.name}.weight`, [c.kernel[0], c.kernel[1], c.inChannels, c.outChannels]);
    folded.set(`${c.name}.bias`, [c.outChannels]);
  }
  folded.set("fc.weight", [1008, 2048]);
  // network.ts does not read fc.bias (its logits are unbiased); everything it reads must be produced here.
  for (const [k, shape] of network) assert.deepEqual(folded.get(k), shape, k);
  assert.deepEqual([...folded.keys()].sort(), [...network.keys()].sort());
});

/** conv (OIHW weights, zero padding, stride 1) then eval-mode batch norm, on a CHW input, in plain loops. */
function convThenBn(
  x: number[],
  [inC, h, w]: number[],
  weight: number[],
  [out, , kh, kw]: number[],
  pad: [number, number],
  bn: { gamma: number[]; beta: number[]; mean: number[]; variance: number[] },
): number[] {
  const oh = h + 2 * pad[0] - kh + 1, ow = w + 2 * pad[1] - kw + 1;
  const y: number[] = [];
  for (let o = 0; o < out; o++) {
    for (let r = 0; r < oh; r++) {
      for (let c = 0; c < ow; c++) {
        let s = 0;
        for (let i = 0; i < inC; i++) {
          for (let a = 0; a < kh; a++) {
            for (let b = 0; b < kw; b++) {
              const yy = r + a - pad[0], xx = c + b - pad[1];
              if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
              s += weight[((o * inC + i) * kh + a) * kw + b] * x[(i * h + yy) * w + xx];
            }
          }
        }
        y.push((s - bn.mean[o]) / Math.sqrt(bn.variance[o] + BN_EPS) * bn.gamma[o] + bn.beta[o]);
      }
    }
  }
  return y;
}

/** conv with an HWIO filter and a bias, same input layout and padding. */
function convHwio(
  x: number[],
  [inC, h, w]: number[],
  filter: Float32Array,
  bias: Float32Array,
  [kh, kw, , out]: number[],
  pad: [number, number],
): number[] {
  const oh = h + 2 * pad[0] - kh + 1, ow = w + 2 * pad[1] - kw + 1;
  const y: number[] = [];
  for (let o = 0; o < out; o++) {
    for (let r = 0; r < oh; r++) {
      for (let c = 0; c < ow; c++) {
        let s = bias[o];
        for (let a = 0; a < kh; a++) {
          for (let b = 0; b < kw; b++) {
            const yy = r + a - pad[0], xx = c + b - pad[1];
            if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
            for (let i = 0; i < inC; i++) {
              s += filter[((a * kw + b) * inC + i) * out + o] * x[(i * h + yy) * w + xx];
            }
          }
        }
        y.push(s);
      }
    }
  }
  return y;
}

Deno.test("a folded conv equals conv followed by batch norm on a small input (plain loops, padding, 2x3 kernel)", () => {
  const rand = rng(7);
  const [out, inC, kh, kw] = [5, 3, 2, 3];
  const weight = Array.from({ length: out * inC * kh * kw }, () => rand());
  const bn = {
    gamma: Array.from({ length: out }, () => rand(0.1, 3)),
    beta: Array.from({ length: out }, () => rand()),
    mean: Array.from({ length: out }, () => rand(-0.5, 0.5)),
    // include a variance far below eps, where eps dominates
    variance: [1e-6, ...Array.from({ length: out - 1 }, () => rand(0.01, 4))],
  };
  const inShape = [inC, 6, 7];
  const x = Array.from({ length: inShape[0] * inShape[1] * inShape[2] }, () => rand());
  const { filter, bias } = foldBatchNorm(weight, [out, inC, kh, kw], bn);
  for (const pad of [[0, 0], [1, 1], [1, 2]] as [number, number][]) {
    const want = convThenBn(x, inShape, weight, [out, inC, kh, kw], pad, bn);
    const got = convHwio(x, inShape, filter, bias, [kh, kw, inC, out], pad);
    assert.equal(got.length, want.length);
    const scale = Math.max(...want.map(Math.abs));
    for (let i = 0; i < want.length; i++) {
      // float32 storage of the folded weights: relative error ~1e-7 per term.
      assert.ok(
        Math.abs(got[i] - want[i]) <= 1e-5 * scale,
        `pad ${pad} element ${i}: ${got[i]} vs ${want[i]}`,
      );
    }
  }
});

Deno.test("foldStateDict folds every conv of a checkpoint and keeps fc in torch layout", () => {
  const { value, values } = syntheticStateDict(TINY, 3, { numBatchesTracked: true });
  for (const bytes of [buildZipCheckpoint(value), buildLegacyCheckpoint(value)]) {
    const folded = foldStateDict(readTorchStateDict(bytes), TINY);
    assert.deepEqual([...folded.keys()], [
      "Conv2d_1a_3x3.weight",
      "Conv2d_1a_3x3.bias",
      "Mixed_5b.branch7x7_2.weight",
      "Mixed_5b.branch7x7_2.bias",
      "fc.weight",
      "fc.bias",
    ]);
    for (const c of TINY.convs) {
      const w = values.get(`${c.name}.conv.weight`)!;
      const g = values.get(`${c.name}.bn.weight`)!, b = values.get(`${c.name}.bn.bias`)!;
      const m = values.get(`${c.name}.bn.running_mean`)!, v = values.get(`${c.name}.bn.running_var`)!;
      const f = folded.get(`${c.name}.weight`)!;
      const [kh, kw] = c.kernel;
      assert.deepEqual(f.shape, [kh, kw, c.inChannels, c.outChannels]);
      for (let o = 0; o < c.outChannels; o++) {
        const s = g[o] / Math.sqrt(v[o] + 0.001);
        assert.equal(folded.get(`${c.name}.bias`)!.data[o], Math.fround(b[o] - m[o] * s));
        for (let i = 0; i < c.inChannels; i++) {
          for (let y = 0; y < kh; y++) {
            for (let x = 0; x < kw; x++) {
              const torchIdx = o * c.inChannels * kh * kw + i * kh * kw + y * kw + x;
              const hwioIdx = y * kw * c.inChannels * c.outChannels + x * c.inChannels * c.outChannels +
                i * c.outChannels + o;
              assert.equal(f.data[hwioIdx], Math.fround(w[torchIdx] * s));
            }
          }
        }
      }
    }
    assert.deepEqual([...folded.get("fc.weight")!.data], [...values.get("fc.weight")!]);
    assert.deepEqual(folded.get("fc.weight")!.shape, [3, 2]);
    assert.deepEqual([...folded.get("fc.bias")!.data], [...values.get("fc.bias")!]);
  }
});

Deno.test("validation lists missing, unexpected and misshapen keys, and accepts num_batches_tracked", () => {
  const { value } = syntheticStateDict(TINY, 4, { numBatchesTracked: true });
  const sd = readTorchStateDict(buildZipCheckpoint(value));
  validateStateDict(sd, TINY);
  const broken = new Map<string, TorchTensor>(sd);
  broken.delete("Conv2d_1a_3x3.bn.running_var");
  broken.set("AuxLogits.fc.weight", sd.get("fc.weight")!);
  broken.set("fc.bias", sd.get("fc.weight")!);
  broken.set("Mixed_5b.branch7x7_2.bn.bias", sd.get("Conv2d_1a_3x3.bn.num_batches_tracked")!);
  assert.throws(() => validateStateDict(broken, TINY), (e: unknown) => {
    assert.ok(e instanceof InvalidInputError);
    assert.equal(e.code, "fid_inception_weights_mismatch");
    assert.match(e.message, /missing keys: Conv2d_1a_3x3\.bn\.running_var/);
    assert.match(e.message, /unexpected keys: AuxLogits\.fc\.weight/);
    assert.match(e.message, /fc\.bias has shape \[3,2\], expected \[3\]/);
    assert.match(e.message, /Mixed_5b\.branch7x7_2\.bn\.bias has shape \[\], expected \[2\]/);
    return true;
  });
  // The real layout refuses the tiny checkpoint, naming what is missing.
  assert.throws(() => foldStateDict(sd), /missing keys: .*Conv2d_2a_3x3\.conv\.weight.*\(\d+ in all\)/);
});

Deno.test("convert -> write -> loadFolded round-trips exactly, with the source sha256 in the manifest", async () => {
  const { value } = syntheticStateDict(TINY, 5);
  const pth = buildZipCheckpoint(value);
  const converted = await convertCheckpoint(pth, { layout: TINY });
  const direct = foldStateDict(readTorchStateDict(pth), TINY);
  const sha = [...new Uint8Array(await crypto.subtle.digest("SHA-256", pth as Uint8Array<ArrayBuffer>))].map((
    b,
  ) => b.toString(16).padStart(2, "0")).join("");
  assert.equal(converted.manifest.source.sha256, sha);
  assert.equal(converted.manifest.bnEps, 0.001);
  const dir = await Deno.makeTempDir();
  try {
    await writeFolded(dir, converted);
    const loaded = await loadFolded(dir, { layout: TINY, verify: true });
    assert.deepEqual([...loaded.keys()], [...direct.keys()]);
    for (const [k, t] of direct) {
      assert.deepEqual(loaded.get(k)!.shape, t.shape, k);
      assert.deepEqual([...loaded.get(k)!.data], [...t.data], k);
    }
    // All views share one buffer: no per-tensor copies.
    const buffers = new Set([...loaded.values()].map((t) => t.data.buffer));
    assert.equal(buffers.size, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadFolded refuses missing, truncated, tampered or foreign weight files with actionable errors", async () => {
  const converted = await convertCheckpoint(buildZipCheckpoint(syntheticStateDict(TINY, 6).value), {
    layout: TINY,
  });
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(loadFolded(`${dir}/nothing`, { layout: TINY }), (e: unknown) => {
      assert.ok(e instanceof NotFoundError);
      assert.match((e as Error).message, /deno task models:fetch/);
      return true;
    });
    const corrupt = async (
      mutate: (m: typeof converted.manifest, bin: Uint8Array) => Uint8Array,
      pattern: RegExp,
      verify = false,
    ) => {
      const manifest = structuredClone(converted.manifest);
      const bin = mutate(manifest, converted.bin.slice());
      await writeFolded(dir, { manifest, bin });
      await assert.rejects(loadFolded(dir, { layout: TINY, verify }), (e: unknown) => {
        assert.ok(e instanceof InvalidInputError, String(e));
        assert.equal((e as InvalidInputError).code, "fid_inception_weights_corrupt");
        assert.match((e as Error).message, pattern);
        return true;
      });
    };
    await corrupt((_, b) => b.subarray(0, b.length - 4), /has \d+ bytes, the manifest says/);
    await corrupt((m, b) => ((m.tensors[0].shape = [3, 3, 3, 5]), b), /shape/);
    await corrupt((m, b) => ((m.tensors[1].offset = m.binBytes), b), /outside/);
    await corrupt((m, b) => (m.tensors.pop(), b), /lacks 1 tensors/);
    await corrupt((m, b) => ((m.format = "other" as never), b), /manifest/);
    await corrupt((_, b) => ((b[5] ^= 1), b), /sha256/, true);
    // The real layout refuses a tiny conversion.
    await writeFolded(dir, converted);
    await assert.rejects(loadFolded(dir), /unexpected tensor|shape/);
    await Deno.writeTextFile(`${dir}/manifest.json`, "{not json");
    await assert.rejects(loadFolded(dir, { layout: TINY }), /not valid JSON/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a full-size synthetic FID InceptionV3 checkpoint (legacy format) converts and loads with network.ts's shapes", async () => {
  // 23.9M parameters: the real file's size, layout and format, with synthetic values.
  const { value, values } = syntheticStateDict(FID_INCEPTION_LAYOUT, 11, { numBatchesTracked: true });
  const pth = buildLegacyCheckpoint(value);
  const converted = await convertCheckpoint(pth);
  const dir = await Deno.makeTempDir();
  try {
    await writeFolded(dir, converted);
    const loaded = await loadFolded(dir);
    const network = fidInceptionWeightShapes();
    for (const [k, shape] of network) assert.deepEqual(loaded.get(k)?.shape, shape, k);
    // Spot-check one folded element of the last conv against the formula.
    const c = "Mixed_7c.branch_pool";
    const [o, i] = [191, 2047];
    const s = values.get(`${c}.bn.weight`)![o] / Math.sqrt(values.get(`${c}.bn.running_var`)![o] + 0.001);
    const w = loaded.get(`${c}.weight`)!;
    assert.equal(w.data[i * 192 + o], Math.fround(values.get(`${c}.conv.weight`)![o * 2048 + i] * s));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
