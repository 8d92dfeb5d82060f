/**
 * Trains the small MNIST VAE (architecture.ts) and writes its halves as tfjs LayersModel files:
 * weights/encoder/{model.json,weights.bin}, weights/decoder/{model.json,weights.bin}, weights/training.json.
 *
 *   deno run -A models/mnist-vae/train.ts [--epochs 25] [--seed 1] [--batch 100] [--lr 0.002]
 *                                         [--latent 8] [--hidden 96] [--out DIR]
 *
 * Data: the 8,000 training digits of mnist-lenet's fixed split (models/mnist-lenet/digits.ts; the last 200 of
 * each class are held out and only used for the numbers this prints). Loss per digit: Bernoulli
 * cross-entropy summed over the 784 pixels plus KL(q(z|x) || N(0, I)); Adam. Deterministic for a seed and a
 * backend: initial weights, shuffling and the reparameterisation noise are all seeded.
 */
import * as tf from "@tensorflow/tfjs-core";
// tfjs-core registers no gradients by itself; tfjs-layers registers them on import.
import type * as tfl from "@tensorflow/tfjs-layers";
import { initBackend } from "../runtime/backend.ts";
import { DIGIT_PIXELS, type DigitSet, splitDigits } from "../mnist-lenet/digits.ts";
import { layersModelFiles } from "../tfjs-upload/save_files.ts";
import { buildDecoder, buildEncoder, DEFAULT_VAE_SHAPE, type VaeShape } from "./architecture.ts";
import { mulberry32 } from "../../src/stats/mulberry32.ts";

/** Training settings. */
export interface TrainOptions extends VaeShape {
  epochs: number;
  seed: number;
  batch: number;
  lr: number;
}

/** The committed model's settings. */
export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  ...DEFAULT_VAE_SHAPE,
  epochs: 25,
  seed: 1,
  batch: 100,
  lr: 0.002,
};

/** Mean per-digit loss terms (nats): summed pixel cross-entropy and KL. */
export interface VaeLoss {
  recon: number;
  kl: number;
  loss: number;
}

function shuffled(n: number, rand: () => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** Loss terms of a batch (scalars, mean over the batch), with z = mean + noise * std when noise is given. */
function lossTerms(
  encoder: tfl.LayersModel,
  decoder: tfl.LayersModel,
  x: tf.Tensor4D,
  noise?: tf.Tensor,
): { recon: tf.Scalar; kl: tf.Scalar } {
  const [mean, logVar] = encoder.apply(x) as tf.Tensor[];
  const z = noise ? tf.add(mean, tf.mul(noise, tf.exp(tf.mul(logVar, 0.5)))) : mean;
  const p = tf.clipByValue(decoder.apply(z) as tf.Tensor, 1e-7, 1 - 1e-7);
  const bce = tf.neg(tf.add(tf.mul(x, tf.log(p)), tf.mul(tf.sub(1, x), tf.log(tf.sub(1, p)))));
  const n = x.shape[0];
  const recon = tf.div(tf.sum(bce), n) as tf.Scalar;
  const kl = tf.div(
    tf.mul(-0.5, tf.sum(tf.sub(tf.add(1, logVar), tf.add(tf.square(mean), tf.exp(logVar))))),
    n,
  ) as tf.Scalar;
  return { recon, kl };
}

function digitsTensor(digits: DigitSet, rows: readonly number[]): tf.Tensor4D {
  const data = new Float32Array(rows.length * DIGIT_PIXELS);
  rows.forEach((r, i) =>
    data.set(digits.images.subarray(r * DIGIT_PIXELS, (r + 1) * DIGIT_PIXELS), i * DIGIT_PIXELS)
  );
  return tf.tensor4d(data, [rows.length, 28, 28, 1]);
}

/** Mean loss terms over digits, decoding the latent means (no sampling noise): deterministic. */
export function evaluateVae(encoder: tfl.LayersModel, decoder: tfl.LayersModel, digits: DigitSet): VaeLoss {
  let recon = 0, kl = 0;
  for (let start = 0; start < digits.n; start += 500) {
    const rows = Array.from({ length: Math.min(500, digits.n - start) }, (_, i) => start + i);
    const [r, k] = tf.tidy(() => {
      const t = lossTerms(encoder, decoder, digitsTensor(digits, rows));
      return [t.recon.dataSync()[0], t.kl.dataSync()[0]];
    });
    recon += r * rows.length;
    kl += k * rows.length;
  }
  return { recon: recon / digits.n, kl: kl / digits.n, loss: (recon + kl) / digits.n };
}

/** Trains a VAE on `train`; returns both halves and the mean training loss of every epoch. */
export function trainVae(
  train: DigitSet,
  opts: TrainOptions,
  log: (line: string) => void = () => {},
): { encoder: tfl.LayersModel; decoder: tfl.LayersModel; history: VaeLoss[] } {
  const encoder = buildEncoder(opts, opts.seed * 10);
  const decoder = buildDecoder(opts, opts.seed * 10);
  const vars = [...encoder.trainableWeights, ...decoder.trainableWeights].map((w) => w.read() as tf.Variable);
  const optimizer = tf.train.adam(opts.lr);
  const rand = mulberry32(opts.seed);
  const history: VaeLoss[] = [];
  let step = 0;
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    const order = shuffled(train.n, rand);
    let recon = 0, kl = 0, seen = 0;
    for (let start = 0; start + opts.batch <= train.n; start += opts.batch) {
      const rows = order.slice(start, start + opts.batch);
      let kept: tf.Scalar[] = [];
      tf.tidy(() => {
        const x = digitsTensor(train, rows);
        const noise = tf.randomNormal(
          [rows.length, opts.latentDim],
          0,
          1,
          "float32",
          opts.seed * 1_000_003 + step,
        );
        optimizer.minimize(
          () => {
            const t = lossTerms(encoder, decoder, x, noise);
            // Kept past the gradient's tidy so the epoch log can read them.
            kept = [tf.keep(t.recon), tf.keep(t.kl)];
            return tf.add(t.recon, t.kl) as tf.Scalar;
          },
          false,
          vars,
        );
      });
      const terms = kept.map((s) => s.dataSync()[0]);
      tf.dispose(kept);
      recon += terms[0] * rows.length;
      kl += terms[1] * rows.length;
      seen += rows.length;
      step++;
    }
    const loss = { recon: recon / seen, kl: kl / seen, loss: (recon + kl) / seen };
    history.push(loss);
    log(
      `epoch ${epoch + 1}/${opts.epochs}: loss ${loss.loss.toFixed(2)} (recon ${loss.recon.toFixed(2)}, kl ${
        loss.kl.toFixed(2)
      })`,
    );
  }
  optimizer.dispose();
  return { encoder, decoder, history };
}

function parseArgs(args: string[]): TrainOptions & { out: URL } {
  const opts: Record<string, number> = { ...DEFAULT_TRAIN_OPTIONS };
  const names: Record<string, string> = { latent: "latentDim" };
  let out = new URL("./weights/", import.meta.url);
  for (let i = 0; i < args.length; i += 2) {
    if (args[i] === "--out") {
      out = new URL(args[i + 1].replace(/\/?$/, "/"), `file://${Deno.cwd()}/`);
      continue;
    }
    const key = names[args[i].replace(/^--/, "")] ?? args[i].replace(/^--/, "");
    if (!(key in opts) || !Number.isFinite(Number(args[i + 1]))) {
      throw new Error(
        `unknown option ${args[i]} ${args[i + 1]}; see the header of models/mnist-vae/train.ts`,
      );
    }
    opts[key] = Number(args[i + 1]);
  }
  return { ...(opts as unknown as TrainOptions), out };
}

async function writeModel(model: tfl.LayersModel, dir: URL): Promise<number> {
  await Deno.mkdir(dir, { recursive: true });
  let bytes = 0;
  for (const [name, data] of await layersModelFiles(model)) {
    await Deno.writeFile(new URL(name, dir), data);
    bytes += data.byteLength;
  }
  return bytes;
}

if (import.meta.main) {
  const opts = parseArgs(Deno.args);
  const backend = await initBackend("wasm");
  const { train, heldOut } = splitDigits();
  const t0 = performance.now();
  const { encoder, decoder, history } = trainVae(train, opts, (l) => console.error(l));
  const seconds = (performance.now() - t0) / 1000;
  const held = evaluateVae(encoder, decoder, heldOut);
  const out = opts.out;
  const bytes = await writeModel(encoder, new URL("encoder/", out)) +
    await writeModel(decoder, new URL("decoder/", out));
  const summary = {
    options: { ...opts, out: undefined },
    backend: backend.name,
    train_digits: train.n,
    held_out_digits: heldOut.n,
    seconds: Math.round(seconds * 10) / 10,
    final_train_loss: history[history.length - 1],
    held_out: held,
    weight_files_bytes: bytes,
  };
  await Deno.writeTextFile(new URL("training.json", out), JSON.stringify(summary, null, 2) + "\n");
  console.log(JSON.stringify(summary));
}
