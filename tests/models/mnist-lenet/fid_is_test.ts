/**
 * mnist-lenet as a metric space: FID and Inception Score on the 2,000 held-out real digits behave as they
 * must (small FID between real halves, FID growing with damage, IS near 10 for real digits, near 1 for one).
 */
import assert from "node:assert/strict";
import type { ImageBatch } from "../../../src/features/extractor.ts";
import { frechetDistance } from "../../../src/stats/frechet.ts";
import { inceptionScore } from "../../../src/stats/inception_score.ts";
import { batchMoments, momentsCovariance, momentsMean } from "../../../src/stats/moments.ts";
import { initBackend } from "../../../models/runtime/backend.ts";
import { type DigitSet, pickDigits, splitDigits } from "../../../models/mnist-lenet/digits.ts";
import { loadMnistLenet } from "../../../models/mnist-lenet/model.ts";
import { seededRandom } from "../../../tools/arrays.ts";

await initBackend("wasm");
const { heldOut } = splitDigits();
const lenet = await loadMnistLenet();

// Two disjoint, class-balanced halves of the held-out digits: even and odd rows (rows are sorted by class).
const halfA = pickDigits(heldOut, Array.from({ length: 1000 }, (_, i) => 2 * i));
const halfB = pickDigits(heldOut, Array.from({ length: 1000 }, (_, i) => 2 * i + 1));

function batch(images: Float32Array): ImageBatch {
  return { n: images.length / 784, height: 28, width: 28, channels: 1, data: images };
}

async function gaussianOf(images: Float32Array): Promise<{ mu: Float64Array; sigma: Float64Array }> {
  const f = await lenet.extract(batch(images), "features");
  const m = batchMoments(f.data, f.n, f.dim);
  return { mu: momentsMean(m), sigma: momentsCovariance(m) };
}

const reference = await gaussianOf(halfA.images);
async function fidToReference(images: Float32Array): Promise<number> {
  const g = await gaussianOf(images);
  return frechetDistance(reference.mu, reference.sigma, g.mu, g.sigma);
}

/** Gaussian blur, sigma 1 pixel, 5 x 5 kernel renormalised at the borders. */
function blur(set: DigitSet): Float32Array {
  const k = [-2, -1, 0, 1, 2].map((d) => Math.exp(-(d * d) / 2));
  const out = new Float32Array(set.images.length);
  for (let i = 0; i < set.n; i++) {
    const o = i * 784;
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        let s = 0, w = 0;
        for (let dy = -2; dy <= 2; dy++) {
          for (let dx = -2; dx <= 2; dx++) {
            const yy = y + dy, xx = x + dx;
            if (yy < 0 || yy >= 28 || xx < 0 || xx >= 28) continue;
            const kw = k[dy + 2] * k[dx + 2];
            s += kw * set.images[o + yy * 28 + xx];
            w += kw;
          }
        }
        out[o + y * 28 + x] = s / w;
      }
    }
  }
  return out;
}

/** Adds N(0, sigma^2) noise per pixel (Box-Muller, seeded) and clips to [0, 1]. */
function noised(set: DigitSet, sigma: number, seed: number): Float32Array {
  const rand = seededRandom(seed);
  return set.images.map((v) => {
    const g = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    return Math.min(1, Math.max(0, v + sigma * g));
  });
}

/** Every image's pixels moved by one fixed random permutation: same pixel statistics, no digit shape. */
function pixelShuffled(set: DigitSet, seed: number): Float32Array {
  const rand = seededRandom(seed);
  const perm = Array.from({ length: 784 }, (_, i) => i);
  for (let i = 783; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const out = new Float32Array(set.images.length);
  for (let i = 0; i < set.n; i++) {
    for (let p = 0; p < 784; p++) out[i * 784 + p] = set.images[i * 784 + perm[p]];
  }
  return out;
}

Deno.test("FID between real halves is small and grows with blur, noise (monotonically) and pixel shuffling", async () => {
  const halves = await fidToReference(halfB.images);
  const blurred = await fidToReference(blur(halfB));
  const noise = [];
  for (const sigma of [0.1, 0.2, 0.3, 0.5]) noise.push(await fidToReference(noised(halfB, sigma, 7)));
  const shuffled = await fidToReference(pixelShuffled(halfB, 11));
  console.log(
    `FID halves ${halves.toFixed(3)}, blur ${blurred.toFixed(3)}, noise 0.1/0.2/0.3/0.5 ` +
      `${noise.map((v) => v.toFixed(3)).join("/")}, pixel shuffle ${shuffled.toFixed(3)}`,
  );
  assert.ok(halves >= 0);
  // "Small": every damaged set is several times farther from the reference than the other real half.
  for (const [name, v] of [["blur", blurred], ["noise 0.1", noise[0]], ["shuffle", shuffled]] as const) {
    assert.ok(v > 3 * halves, `${name}: FID ${v} vs real halves ${halves}`);
  }
  for (let i = 1; i < noise.length; i++) {
    assert.ok(noise[i] > noise[i - 1], `noise FIDs not increasing: ${noise}`);
  }
  assert.ok(shuffled > noise[0], "destroying the digit shape is worse than mild noise");
});

Deno.test("Inception Score of real digits is near 10 and of one repeated digit near 1", async () => {
  const real = await lenet.extract(batch(heldOut.images), "logits");
  const isReal = inceptionScore(real.data, real.n, 10);
  const one = new Float32Array(2000 * 784);
  for (let i = 0; i < 2000; i++) one.set(heldOut.images.subarray(0, 784), i * 784);
  const repeated = await lenet.extract(batch(one), "logits");
  const isOne = inceptionScore(repeated.data, repeated.n, 10);
  // All 200 held-out digits of class 3: one class, different images.
  const threes = pickDigits(heldOut, Array.from({ length: 200 }, (_, i) => 600 + i));
  const isThrees = inceptionScore((await lenet.extract(batch(threes.images), "logits")).data, 200, 10);
  console.log(
    `IS real ${isReal.mean.toFixed(3)} +- ${isReal.std.toFixed(3)}, one digit repeated ${
      isOne.mean.toFixed(4)
    }, ` +
      `all 3s ${isThrees.mean.toFixed(3)}`,
  );
  assert.ok(isReal.mean > 8 && isReal.mean <= 10, `IS of real digits ${isReal.mean}`);
  assert.ok(Math.abs(isOne.mean - 1) < 1e-3, `IS of a repeated digit ${isOne.mean}`);
  assert.ok(isThrees.mean < 1.5, `IS of one class ${isThrees.mean}`);
});
