/** Statistics files: mu and sigma checked and read, full or packed, the two forms agreeing exactly. */
import assert from "node:assert/strict";
import { unpackSymmetric } from "../../src/stats/packed_symmetric.ts";
import { readStatsArrays, readStatsFile } from "../../src/stats/stats_file.ts";
import { encodeNpz, parseNpz } from "../../src/tensors/npz.ts";
import { mulberry32 } from "../../src/stats/mulberry32.ts";

function statsFile(dim: number, seed: number, dtype: "float32" | "float64" = "float64") {
  const r = mulberry32(seed);
  const a = Float64Array.from({ length: dim * dim }, () => r() - 0.5);
  const sigma = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < dim; j++) {
      for (let k = 0; k < dim; k++) sigma[i * dim + j] += a[i * dim + k] * a[j * dim + k];
    }
  }
  const mu = Float64Array.from({ length: dim }, () => r());
  const cast = (x: Float64Array) => dtype === "float32" ? Float32Array.from(x) : x;
  return encodeNpz({
    mu: { dtype, shape: [dim], data: cast(mu) },
    sigma: { dtype, shape: [dim, dim], data: cast(sigma) },
  }, { compress: true });
}

Deno.test("the packed read equals the full read's upper triangle, for float32 and float64 files", () => {
  for (const dtype of ["float32", "float64"] as const) {
    const bytes = statsFile(37, 3, dtype);
    const full = readStatsArrays(parseNpz(bytes));
    const packed = readStatsFile(bytes, 1 << 20);
    assert.equal(packed.dim, 37);
    assert.deepEqual(packed.mu, full.mu);
    assert.deepEqual(unpackSymmetric(packed.sigmaPacked, 37), full.sigma);
  }
});

Deno.test("NaN, asymmetry beyond rounding, and wrong shapes are 422s naming the problem", () => {
  const dim = 4;
  const eye = Float64Array.from({ length: dim * dim }, (_, i) => (i % (dim + 1) === 0 ? 1 : 0));
  const file = (mu: Float64Array, sigma: Float64Array, shape = [dim, dim]) =>
    encodeNpz({
      mu: { dtype: "float64", shape: [mu.length], data: mu },
      sigma: { dtype: "float64", shape, data: sigma },
    });
  const withNan = eye.slice();
  withNan[5] = NaN;
  const skew = eye.slice();
  skew[1] = 0.5;
  const rounding = eye.slice();
  rounding[1] = 1e-9;
  const cases: [string, Uint8Array, string][] = [
    ["NaN in sigma", file(new Float64Array(dim), withNan), "stats_not_finite"],
    ["Inf in mu", file(Float64Array.of(0, Infinity, 0, 0), eye), "stats_not_finite"],
    ["an asymmetric sigma", file(new Float64Array(dim), skew), "stats_not_symmetric"],
    ["sigma not D x D", file(new Float64Array(dim), new Float64Array(12), [3, 4]), "stats_bad_shape"],
  ];
  for (const [what, bytes, code] of cases) {
    for (const read of [() => readStatsFile(bytes, 1 << 20), () => readStatsArrays(parseNpz(bytes))]) {
      assert.throws(read, (e: Error & { code?: string }) => e.code === code, what);
    }
  }
  // Asymmetry at rounding level is averaged away.
  const ok = readStatsFile(file(new Float64Array(dim), rounding), 1 << 20);
  assert.equal(ok.sigmaPacked[1], 5e-10);
});
