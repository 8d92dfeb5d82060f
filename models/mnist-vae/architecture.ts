/**
 * The small MNIST VAE: MLP encoder and decoder as tfjs LayersModels (so they save to, and load from, the
 * standard model.json format a user would upload).
 *
 *   encoder: 28x28x1 -> flatten 784 -> dense H, ReLU -> z_mean (d), z_log_var (d)   [two outputs]
 *   decoder: d -> dense H, ReLU -> dense 784, sigmoid -> reshape 28x28x1             [pixels in [0, 1]]
 *
 * With d = 8 and H = 96: 153,824 float32 parameters (601 KiB for both halves).
 */
import * as tfl from "@tensorflow/tfjs-layers";

/** Sizes of the VAE. */
export interface VaeShape {
  latentDim: number;
  hidden: number;
}

/** The committed model's sizes. */
export const DEFAULT_VAE_SHAPE: VaeShape = { latentDim: 8, hidden: 96 };

const init = (seed: number) => tfl.initializers.glorotUniform({ seed });

/** The encoder: image -> [z_mean, z_log_var]; initial weights fixed by `seed`. */
export function buildEncoder(shape: VaeShape, seed: number): tfl.LayersModel {
  const x = tfl.input({ shape: [28, 28, 1], name: "image" });
  const flat = tfl.layers.flatten().apply(x) as tfl.SymbolicTensor;
  const h = tfl.layers.dense({ units: shape.hidden, activation: "relu", kernelInitializer: init(seed) })
    .apply(flat) as tfl.SymbolicTensor;
  const mean = tfl.layers.dense({ units: shape.latentDim, name: "z_mean", kernelInitializer: init(seed + 1) })
    .apply(h) as tfl.SymbolicTensor;
  const logVar = tfl.layers.dense({
    units: shape.latentDim,
    name: "z_log_var",
    kernelInitializer: init(seed + 2),
  })
    .apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: x, outputs: [mean, logVar], name: "mnist_vae_encoder" });
}

/** The decoder: latent -> 28x28x1 image in [0, 1]; initial weights fixed by `seed`. */
export function buildDecoder(shape: VaeShape, seed: number): tfl.LayersModel {
  const z = tfl.input({ shape: [shape.latentDim], name: "z" });
  const h = tfl.layers.dense({ units: shape.hidden, activation: "relu", kernelInitializer: init(seed + 3) })
    .apply(z) as tfl.SymbolicTensor;
  const p = tfl.layers.dense({ units: 784, activation: "sigmoid", kernelInitializer: init(seed + 4) })
    .apply(h) as tfl.SymbolicTensor;
  const img = tfl.layers.reshape({ targetShape: [28, 28, 1] }).apply(p) as tfl.SymbolicTensor;
  return tfl.model({ inputs: z, outputs: img, name: "mnist_vae_decoder" });
}
