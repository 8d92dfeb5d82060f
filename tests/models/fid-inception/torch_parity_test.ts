/**
 * Feature parity with pytorch-fid's network run by real torch: _torch_fixture/features.npz holds torch 1.13's
 * outputs (models/fid-inception/torch_reference.py, torchvision's own modules) for weights and images that
 * this file regenerates bit for bit from the same integer formulas as _torch_fixture/make_fixture.py. The
 * weights go through the whole user path: a .pth with pytorch-fid's keys, converted and folded by the loader.
 * The WGSL engine runs on whatever WebGPU adapter this machine has (Mesa's software Vulkan in CI).
 */
import assert from "node:assert/strict";
import { loadFidInception } from "../../../models/fid-inception/loader.ts";
import type { InceptionEngine } from "../../../models/runtime/extraction_settings.ts";
import { loadOpenBlas } from "../../../src/native/openblas.ts";
import { requestAdapter } from "../../../models/fid-inception/wgsl/gpu.ts";
import type { FeatureExtractor, ImageBatch } from "../../../src/features/extractor.ts";
import type { WgslFidInceptionExtractor } from "../../../models/fid-inception/wgsl/extractor.ts";
import { parseNpz } from "../../../src/tensors/npz.ts";
import { seededRandom } from "../../../tools/arrays.ts";
import { legacyStateDict } from "../../../tools/synthetic_fid_weights.ts";

/** The acceptance bound: features within 1e-4 absolute of pytorch-fid's for the same weights and input. */
const TOLERANCE = 1e-4;
const OUTPUTS = ["64", "192", "768", "2048", "logits"] as const;
// (name, n, height, width, channels, seed): the same table as CASES in make_fixture.py.
const CASES = [
  ["square", 2, 299, 299, 3, 11],
  ["gray_up", 2, 64, 48, 1, 12],
  ["down", 1, 341, 317, 3, 13],
] as const;

/** 32-bit FNV-1a of the UTF-8 bytes: each tensor's seed, as in make_fixture.py. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(text)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/** make_fixture.py's weight_values: float64 formulas rounded once to float32. */
function weightValues(name: string, size: number, shape: number[]): Float32Array {
  const r = seededRandom(fnv1a(name));
  const v = new Float32Array(size);
  const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
  for (let i = 0; i < size; i++) {
    const x = r();
    if (name.endsWith("conv.weight")) v[i] = (2 * x - 1) * Math.sqrt(6 / fanIn);
    else if (name.endsWith("bn.weight")) v[i] = 0.6 + 0.8 * x;
    else if (name.endsWith("running_var")) v[i] = 0.5 + x;
    else if (name === "fc.weight") v[i] = (2 * x - 1) / Math.sqrt(2048);
    else v[i] = 0.2 * x - 0.1;
  }
  return v;
}

/** make_fixture.py's case_images (uint8 NHWC, integers only) and their sum. */
function caseImages(
  n: number,
  h: number,
  w: number,
  c: number,
  seed: number,
): { u8: Uint8Array; sum: number } {
  const r = seededRandom(seed);
  const u8 = new Uint8Array(n * h * w * c);
  let at = 0, sum = 0;
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < c; ch++) {
          const ramp = Math.floor(Math.floor((x * 255) / (w - 1)) / 2) +
            Math.floor(Math.floor((y * 255) / (h - 1)) / 4);
          const v = (ramp + ch * 40 + i * 17 + Math.floor(r() * 64)) % 256;
          u8[at++] = v;
          sum += v;
        }
      }
    }
  }
  return { u8, sum };
}

const FIXTURE = parseNpz(await Deno.readFile(new URL("./_torch_fixture/features.npz", import.meta.url)));
const { pth } = legacyStateDict(weightValues);

/** Loads the network from the .pth (converted once into `dataDir`) with the given engine. */
function load(dataDir: string, engine: InceptionEngine): Promise<FeatureExtractor> {
  return loadFidInception({
    backend: "wasm",
    inceptionEngine: engine,
    fidWeights: `${dataDir}/pytorch_fid_layout.pth`,
    dataDir,
  });
}

const ADAPTER = await requestAdapter();

for (const engine of ["wgsl", "blas", "simd", "tfjs"] as const) {
  const where = engine === "wgsl"
    ? ADAPTER
      ? ` on ${ADAPTER.info.description}`
      : " (IGNORED: no WebGPU adapter; CI installs mesa-vulkan-drivers)"
    : "";
  Deno.test({
    name:
      `${engine} engine${where}: every output matches torch's pytorch-fid network within 1e-4 (299x299, upscaled grayscale, downscaled)`,
    ignore: (engine === "blas" && !loadOpenBlas()) || (engine === "wgsl" && !ADAPTER),
    sanitizeResources: engine !== "wgsl",
    sanitizeOps: engine !== "wgsl",
    fn: async () => {
      const dataDir = await Deno.makeTempDir();
      await Deno.writeFile(`${dataDir}/pytorch_fid_layout.pth`, pth);
      const net = await load(dataDir, engine);
      const worst = new Map<string, number>();
      try {
        for (const [name, n, h, w, c, seed] of CASES) {
          const { u8, sum } = caseImages(n, h, w, c, seed);
          assert.equal(
            sum,
            FIXTURE.get(`${name}.pixel_sum`)!.data[0],
            `${name}: images differ from make_fixture.py's`,
          );
          const images: ImageBatch = {
            n,
            height: h,
            width: w,
            channels: c,
            data: Float32Array.from(u8, (v) => v / 255),
          };
          // One pass for every output where the extractor offers it (each pass is slow on a software GPU).
          const many = (net as Partial<WgslFidInceptionExtractor>).extractMany?.bind(net);
          const all = many ? await many(images, OUTPUTS) : null;
          for (const out of OUTPUTS) {
            const want = FIXTURE.get(`${name}.${out}`)!;
            const got = all ? all[out]! : await net.extract(images, out);
            assert.deepEqual([got.n, got.dim], want.shape, `${name}.${out} shape`);
            let maxDiff = 0, maxAbs = 0;
            for (let i = 0; i < got.data.length; i++) {
              maxDiff = Math.max(maxDiff, Math.abs(got.data[i] - want.data[i]));
              maxAbs = Math.max(maxAbs, Math.abs(want.data[i]));
            }
            assert.ok(
              maxDiff < TOLERANCE,
              `${name}.${out}: max |ours - torch| = ${maxDiff} (values up to ${maxAbs})`,
            );
            // Features far from zero, so an absolute bound says something.
            assert.ok(maxAbs > 1, `${name}.${out}: torch's features are all near zero (${maxAbs})`);
            worst.set(out, Math.max(worst.get(out) ?? 0, maxDiff));
          }
        }
        const summary = [...worst].map(([out, d]) => `${out} ${d.toExponential(1)}`).join(", ");
        console.log(`${engine}: max |ours - torch| by output: ${summary}`);
      } finally {
        net.dispose();
        await Deno.remove(dataDir, { recursive: true });
      }
    },
  });
}
