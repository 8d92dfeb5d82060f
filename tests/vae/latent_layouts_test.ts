/** Evenly spaced values, straight-line latent paths and one-coordinate sweeps. */
import assert from "node:assert/strict";
import { dimensionSweep, interpolateLatents, linspace } from "../../src/vae/latent_layouts.ts";

Deno.test("linspace includes both ends with equal gaps", () => {
  assert.deepEqual(Array.from(linspace(-3, 3, 7)), [-3, -2, -1, 0, 1, 2, 3]);
  const v = linspace(0.1, 0.7, 4);
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(v[i] - (0.1 + 0.2 * i)) < 1e-15);
  assert.equal(linspace(0.1, 0.7, 4)[3], 0.7);
  assert.throws(() => linspace(0, 1, 1), { code: "linspace_bad_steps" });
});

Deno.test("interpolateLatents starts at a, ends at b, and moves by equal steps", () => {
  const a = Float32Array.from([1, -2, 0.5]), b = Float32Array.from([-1, 4, 0.25]);
  const z = interpolateLatents(a, b, 5);
  assert.deepEqual(Array.from(z.subarray(0, 3)), Array.from(a));
  assert.deepEqual(Array.from(z.subarray(12, 15)), Array.from(b));
  for (let s = 0; s < 5; s++) {
    for (let j = 0; j < 3; j++) {
      const t = s / 4;
      assert.ok(Math.abs(z[s * 3 + j] - ((1 - t) * a[j] + t * b[j])) < 1e-6);
    }
  }
  assert.throws(() => interpolateLatents(a, Float32Array.from([1]), 3), { code: "latent_length_mismatch" });
});

Deno.test("dimensionSweep changes only the swept coordinate, one row per dimension", () => {
  const base = Float32Array.from([0.5, -0.5, 2]);
  const values = Float64Array.from([-1, 0, 1]);
  const z = dimensionSweep(base, [2, 0], values);
  assert.equal(z.length, 2 * 3 * 3);
  for (const [r, k] of [[0, 2], [1, 0]]) {
    for (let s = 0; s < 3; s++) {
      const row = z.subarray((r * 3 + s) * 3, (r * 3 + s + 1) * 3);
      for (let j = 0; j < 3; j++) assert.equal(row[j], j === k ? values[s] : base[j]);
    }
  }
  assert.throws(() => dimensionSweep(base, [3], values), { code: "latent_dim_out_of_range" });
});
