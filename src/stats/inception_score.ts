/**
 * Inception Score as torch-fidelity computes it (metric_isc.py) from N x C classifier logits: optionally
 * shuffle rows with numpy RandomState(seed).permutation(N), take softmax / log-softmax in float64, split into
 * `splits` chunks [i*N//splits, (i+1)*N//splits), score each chunk as exp(mean_i KL(p_i || q)) with q the
 * chunk's mean p, and return the mean and population std (np.std) of the chunk scores.
 */

import { InvalidInputError, UnprocessableError } from "../errors.ts";
import { RandomState } from "./numpy_random.ts";

/** Options of inceptionScore (torch-fidelity's defaults). */
export interface InceptionScoreOptions {
  /** Number of chunks (default 10). */
  splits?: number;
  /** Shuffle rows before splitting (default true). */
  shuffle?: boolean;
  /** Seed of numpy's RandomState for the shuffle (default 2020). */
  seed?: number;
}

/** Mean and population std of the per-chunk Inception Scores. */
export interface InceptionScoreResult {
  mean: number;
  std: number;
}

/** Inception Score of row-major logits (n x classes), torch-fidelity's estimator. */
export function inceptionScore(
  logits: Float32Array | Float64Array,
  n: number,
  classes: number,
  opts: InceptionScoreOptions = {},
): InceptionScoreResult {
  const splits = opts.splits ?? 10;
  const shuffle = opts.shuffle ?? true;
  const seed = opts.seed ?? 2020;
  if (!Number.isInteger(splits) || splits < 1) {
    throw new InvalidInputError("is_bad_splits", `splits must be a positive integer, got ${splits}`);
  }
  if (!Number.isInteger(classes) || classes < 1) {
    throw new UnprocessableError(
      "is_bad_classes",
      `the number of classes must be a positive integer, got ${classes}`,
    );
  }
  if (!Number.isInteger(n) || n < splits) {
    throw new UnprocessableError(
      "is_too_few_samples",
      `Inception Score with ${splits} splits needs at least ${splits} samples, got ${n}`,
    );
  }
  if (logits.length !== n * classes) {
    throw new UnprocessableError(
      "is_bad_shape",
      `logits have ${logits.length} values, expected n x classes = ${n} x ${classes} = ${n * classes}`,
    );
  }
  for (let i = 0; i < logits.length; i++) {
    if (!Number.isFinite(logits[i])) {
      throw new UnprocessableError(
        "logits_not_finite",
        `logit row ${Math.floor(i / classes)}, class ${i % classes} is ${logits[i]}; logits must be finite`,
      );
    }
  }
  const order = shuffle ? new RandomState(seed).permutation(n) : null;
  const { p, logP } = softmaxRows(logits, n, classes, order);

  const scores = new Float64Array(splits);
  const q = new Float64Array(classes);
  const logQ = new Float64Array(classes);
  for (let s = 0; s < splits; s++) {
    // Integer bounds exactly as Python's i * N // splits.
    const start = Math.floor((s * n) / splits), end = Math.floor(((s + 1) * n) / splits);
    const rows = end - start;
    q.fill(0);
    for (let i = start; i < end; i++) {
      const r = i * classes;
      for (let c = 0; c < classes; c++) q[c] += p[r + c];
    }
    for (let c = 0; c < classes; c++) logQ[c] = Math.log(q[c] / rows);
    let klSum = 0;
    for (let i = start; i < end; i++) {
      const r = i * classes;
      let kl = 0;
      for (let c = 0; c < classes; c++) {
        const pc = p[r + c];
        // p log p -> 0 as p -> 0; skipping exact zeros avoids 0 * (-inf) when a class underflows everywhere.
        if (pc !== 0) kl += pc * (logP[r + c] - logQ[c]);
      }
      klSum += kl;
    }
    scores[s] = Math.exp(klSum / rows);
  }
  let mean = 0;
  for (let s = 0; s < splits; s++) mean += scores[s];
  mean /= splits;
  let variance = 0;
  for (let s = 0; s < splits; s++) variance += (scores[s] - mean) ** 2;
  return { mean, std: Math.sqrt(variance / splits) };
}

/** Max-subtracted softmax and log-softmax per row in float64, rows taken in `order` when given. */
function softmaxRows(
  logits: Float32Array | Float64Array,
  n: number,
  classes: number,
  order: Uint32Array | null,
): { p: Float64Array; logP: Float64Array } {
  const p = new Float64Array(n * classes);
  const logP = new Float64Array(n * classes);
  for (let i = 0; i < n; i++) {
    const src = (order ? order[i] : i) * classes;
    const dst = i * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[src + c]);
    let sumExp = 0;
    for (let c = 0; c < classes; c++) sumExp += Math.exp(logits[src + c] - max);
    const logZ = Math.log(sumExp);
    for (let c = 0; c < classes; c++) {
      const lp = logits[src + c] - max - logZ;
      logP[dst + c] = lp;
      p[dst + c] = Math.exp(lp);
    }
  }
  return { p, logP };
}
