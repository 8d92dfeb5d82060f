import assert from "node:assert/strict";
import { wasmLinalg } from "../../src/stats/linalg_wasm.ts";
import { LINALG_KERNELS_SOURCE_SHA256 } from "../../src/stats/wasm/linalg_kernels_wasm.ts";
import { kernelSourceSha256 } from "../../src/wasm/source_hash.ts";

Deno.test("the shipped WebAssembly module was built from the current linalg_kernels.as", async () => {
  const source = await Deno.readTextFile(new URL("../../src/stats/wasm/linalg_kernels.as", import.meta.url));
  assert.equal(
    await kernelSourceSha256(source),
    LINALG_KERNELS_SOURCE_SHA256,
    "linalg_kernels.as changed: rebuild with `deno run -A tools/build_wasm.ts linalg`",
  );
});

/** Naive packed upper triangle of sum_i c_i c_i^T, entry by entry. */
function naivePackedComoment(c: Float64Array, n: number, dim: number): Float64Array {
  const out = new Float64Array((dim * (dim + 1)) / 2);
  let p = 0;
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++, p++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += c[i * dim + a] * c[i * dim + b];
      out[p] = s;
    }
  }
  return out;
}

Deno.test("packedComoment equals the naive sum exactly on small integers (every edge of the 4 x 4 tiles)", () => {
  // Integers in [-8, 8]: every product and partial sum is exact in float64, so any summation order (and
  // fused multiply-add) must give the naive result bit for bit; a misplaced or missing entry cannot hide.
  let s = 7;
  const next = () => (s = (s * 48271) % 2147483647) % 17 - 8;
  const k = wasmLinalg()!;
  // 1030 x 300 runs as two sample blocks (the second accumulates onto the first).
  for (
    const [dim, n] of [[1, 1], [1, 5], [2, 3], [3, 4], [4, 4], [5, 9], [8, 2], [17, 33], [130, 7], [
      1030,
      300,
    ]]
  ) {
    const c = Float64Array.from({ length: n * dim }, next);
    const got = k.packedComoment(c, n, dim);
    const want = naivePackedComoment(c, n, dim);
    assert.equal(got.length, want.length);
    assert.deepEqual(got, want, `dim ${dim} n ${n}`);
  }
});
