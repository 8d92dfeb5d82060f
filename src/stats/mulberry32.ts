/**
 * mulberry32: a tiny seeded PRNG, uniform in [0, 1). The project's one source of reproducible randomness where
 * numpy's stream is not required (training data order, demo and test data): the same seed gives the same
 * numbers on every machine, and tests/models/fid-inception/_torch_fixture/make_fixture.py reproduces it in numpy.
 *
 * @example
 * const r = mulberry32(42);
 * const x = r(); // 0 <= x < 1
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
