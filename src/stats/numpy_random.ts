/**
 * numpy's legacy `np.random.RandomState` (MT19937), reproduced draw for draw so that the subsets KID and
 * Inception Score pick for a given seed are the ones torch-fidelity picks.
 *
 * Only the pieces those metrics need: integer seeding, random_sample, bounded integers, permutation, choice.
 */

import { InvalidInputError } from "../errors.ts";

const STATE_LEN = 624;
const SHIFT = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

/** A Mersenne Twister seeded and consumed exactly as numpy's legacy RandomState consumes it. */
export class RandomState {
  private readonly mt = new Uint32Array(STATE_LEN);
  private pos = STATE_LEN;

  /** Seeds like `np.random.RandomState(seed)` with an integer in [0, 2^32 - 1] (MT19937 init_genrand). */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new InvalidInputError(
        "rng_bad_seed",
        `seed must be an integer in [0, 4294967295] (as numpy requires), got ${seed}`,
      );
    }
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < STATE_LEN; i++) {
      const prev = mt[i - 1];
      mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
    }
    this.pos = STATE_LEN;
  }

  /** Regenerates the 624-word state block (the MT19937 "twist"). */
  private twist(): void {
    const mt = this.mt;
    let kk = 0;
    for (; kk < STATE_LEN - SHIFT; kk++) {
      const y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
      mt[kk] = mt[kk + SHIFT] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (; kk < STATE_LEN - 1; kk++) {
      const y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
      mt[kk] = mt[kk + SHIFT - STATE_LEN] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    const y = (mt[STATE_LEN - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
    mt[STATE_LEN - 1] = mt[SHIFT - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    this.pos = 0;
  }

  /** Next tempered 32-bit output of MT19937, as an unsigned integer. */
  nextUint32(): number {
    if (this.pos >= STATE_LEN) this.twist();
    let y = this.mt[this.pos++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** A double in [0, 1) with 53 random bits, like `RandomState.random_sample()`. */
  randomSample(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /**
   * An integer uniform in [0, max] by numpy's masked rejection (draw, mask to the smallest 2^k - 1 >= max,
   * retry while > max). This is the draw behind shuffle, permutation and `randint(0, max + 1)`.
   */
  randomInterval(max: number): number {
    if (!Number.isInteger(max) || max < 0 || max > 0xffffffff) {
      throw new InvalidInputError("rng_bad_bound", `bound must be an integer in [0, 4294967295], got ${max}`);
    }
    if (max === 0) return 0; // numpy draws nothing here
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let value: number;
    do {
      value = (this.nextUint32() & mask) >>> 0;
    } while (value > max);
    return value;
  }

  /** `RandomState.permutation(n)`: arange(n) shuffled by Fisher-Yates from the last element down. */
  permutation(n: number): Uint32Array {
    checkCount("n", n);
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i >= 1; i--) {
      const j = this.randomInterval(i);
      const t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return out;
  }

  /**
   * `RandomState.choice(n, size, replace)` without probabilities: replace=false is permutation(n)[:size],
   * replace=true is `randint(0, n, size)`.
   */
  choice(n: number, size: number, replace = true): Uint32Array {
    checkCount("n", n);
    checkCount("size", size);
    if (n === 0 && size > 0) {
      throw new InvalidInputError("rng_empty_population", "cannot choose from an empty population (n = 0)");
    }
    if (!replace) {
      if (size > n) {
        throw new InvalidInputError(
          "rng_sample_too_large",
          `cannot take ${size} samples without replacement from a population of ${n}`,
        );
      }
      return this.permutation(n).slice(0, size);
    }
    const out = new Uint32Array(size);
    for (let i = 0; i < size; i++) out[i] = this.randomInterval(n - 1);
    return out;
  }
}

function checkCount(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new InvalidInputError("rng_bad_count", `${name} must be an integer in [0, 4294967295], got ${v}`);
  }
}
