import assert from "node:assert/strict";
import { UnprocessableError } from "../../../src/errors.ts";
import type { ImageBatch } from "../../../src/features/extractor.ts";
import { initBackend } from "../../../models/runtime/backend.ts";
import { splitDigits } from "../../../models/mnist-lenet/digits.ts";
import { loadMnistLenet } from "../../../models/mnist-lenet/model.ts";
import { readCommittedWeights } from "../../../models/mnist-lenet/weights_file.ts";

await initBackend("wasm");
const { train, heldOut } = splitDigits();
const lenet = await loadMnistLenet();
const digits = (n: number, from = heldOut): ImageBatch => ({
  n,
  height: 28,
  width: 28,
  channels: 1,
  data: from.images.slice(0, n * 784),
});

/** Index of the largest of `k` values starting at `offset`. */
function argmax(a: Float32Array, offset: number, k: number): number {
  let best = 0;
  for (let c = 1; c < k; c++) if (a[offset + c] > a[offset + best]) best = c;
  return best;
}

Deno.test("the held-out split is 200 digits per class and shares no digit with the training split", () => {
  assert.equal(heldOut.n, 2000);
  assert.equal(train.n, 8000);
  for (let c = 0; c < 10; c++) assert.equal(heldOut.labels.filter((l) => l === c).length, 200);
  // No held-out image occurs among the training images (compare by content).
  const key = (set: typeof train, i: number) => set.images.subarray(i * 784, (i + 1) * 784).join(",");
  const seen = new Set(Array.from({ length: train.n }, (_, i) => key(train, i)));
  let shared = 0;
  for (let i = 0; i < heldOut.n; i++) if (seen.has(key(heldOut, i))) shared++;
  assert.ok(shared <= 2, `${shared} held-out digits also appear in training`); // MNIST has a few exact duplicates
});

Deno.test("mnist-lenet classifies at least 95% of the 2,000 held-out digits correctly", async () => {
  const logits = await lenet.extract(digits(heldOut.n), "logits");
  assert.deepEqual([logits.n, logits.dim], [2000, 10]);
  let right = 0;
  for (let i = 0; i < heldOut.n; i++) if (argmax(logits.data, i * 10, 10) === heldOut.labels[i]) right++;
  const accuracy = right / heldOut.n;
  console.log(`held-out accuracy ${(100 * accuracy).toFixed(2)}%`);
  assert.ok(accuracy >= 0.95, `held-out accuracy ${accuracy}`);
});

Deno.test("features are the 128-d ReLU layer that the logits layer reads (checked with the stored weights)", async () => {
  const n = 50;
  const f = await lenet.extract(digits(n));
  const l = await lenet.extract(digits(n), "logits");
  assert.deepEqual([f.n, f.dim], [n, 128]);
  assert.ok(f.data.every((v) => v >= 0), "features are ReLU outputs");
  const { tensors } = await readCommittedWeights();
  const w = tensors.fc2_w.data, b = tensors.fc2_b.data;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 10; c++) {
      let s = b[c];
      for (let k = 0; k < 128; k++) s += f.data[i * 128 + k] * w[k * 10 + c];
      assert.ok(
        Math.abs(s - l.data[i * 10 + c]) < 1e-4,
        `image ${i} class ${c}: ${s} vs ${l.data[i * 10 + c]}`,
      );
    }
  }
});

/** Bilinear resize with half-pixel centres (PIL / OpenCV / torch align_corners=False), one channel, written out. */
function resizeBilinear(src: Float32Array, h: number, w: number, oh: number, ow: number): Float32Array {
  const out = new Float32Array(oh * ow);
  for (let y = 0; y < oh; y++) {
    const sy = Math.max(0, (y + 0.5) * (h / oh) - 0.5),
      y0 = Math.min(Math.floor(sy), h - 1),
      y1 = Math.min(y0 + 1, h - 1),
      fy = sy - y0;
    for (let x = 0; x < ow; x++) {
      const sx = Math.max(0, (x + 0.5) * (w / ow) - 0.5),
        x0 = Math.min(Math.floor(sx), w - 1),
        x1 = Math.min(x0 + 1, w - 1),
        fx = sx - x0;
      const top = src[y0 * w + x0] * (1 - fx) + src[y0 * w + x1] * fx;
      const bottom = src[y1 * w + x0] * (1 - fx) + src[y1 * w + x1] * fx;
      out[y * ow + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

Deno.test("other sizes are resized to 28 x 28 bilinearly with half-pixel centres before the network", async () => {
  const n = 8, side = 40;
  // 40 x 40 images: held-out digits upscaled with nearest-neighbour, plus a little deterministic texture.
  const big = new Float32Array(n * side * side);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const v = heldOut.images[i * 784 + Math.floor((y * 28) / side) * 28 + Math.floor((x * 28) / side)];
        big[i * side * side + y * side + x] = Math.min(1, v + ((x * 7 + y * 13) % 10) / 100);
      }
    }
  }
  const small = new Float32Array(n * 784);
  for (let i = 0; i < n; i++) {
    small.set(
      resizeBilinear(big.subarray(i * side * side, (i + 1) * side * side), side, side, 28, 28),
      i * 784,
    );
  }
  const viaModel = await lenet.extract({ n, height: side, width: side, channels: 1, data: big });
  const viaTest = await lenet.extract({ n, height: 28, width: 28, channels: 1, data: small });
  let maxDiff = 0;
  for (let k = 0; k < viaModel.data.length; k++) {
    maxDiff = Math.max(maxDiff, Math.abs(viaModel.data[k] - viaTest.data[k]));
  }
  assert.ok(maxDiff < 1e-4, `features differ by up to ${maxDiff}`);
});

Deno.test("RGB images are read as the mean of R, G and B", async () => {
  const n = 6;
  const rgb = new Float32Array(n * 784 * 3), gray = new Float32Array(n * 784);
  for (let p = 0; p < n * 784; p++) {
    const v = heldOut.images[p];
    const r = v, g = Math.min(1, v * 0.5 + 0.1 * ((p % 3) / 2)), b = (p % 5) / 20;
    rgb.set([r, g, b], 3 * p);
    gray[p] = (r + g + b) / 3;
  }
  const a = await lenet.extract({ n, height: 28, width: 28, channels: 3, data: rgb });
  const b = await lenet.extract({ n, height: 28, width: 28, channels: 1, data: gray });
  let maxDiff = 0;
  for (let k = 0; k < a.data.length; k++) maxDiff = Math.max(maxDiff, Math.abs(a.data[k] - b.data[k]));
  assert.ok(maxDiff < 1e-4, `features differ by up to ${maxDiff}`);
});

Deno.test("unknown outputs and malformed batches are refused with 422 errors", async () => {
  await assert.rejects(
    lenet.extract(digits(2), "pool5"),
    (e: unknown) => e instanceof UnprocessableError && e.code === "unknown_output",
  );
  const bad: ImageBatch = { n: 2, height: 28, width: 28, channels: 1, data: new Float32Array(10) };
  await assert.rejects(
    lenet.extract(bad),
    (e: unknown) => e instanceof UnprocessableError && e.code === "images_bad_batch",
  );
  assert.deepEqual(lenet.dims, { features: 128, logits: 10 });
  assert.equal(lenet.space, "mnist-lenet");
});
