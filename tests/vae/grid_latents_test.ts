/** The latents behind each grid kind, checked against the prior stream and plain arithmetic. */
import assert from "node:assert/strict";
import { gridCaption, gridLatents, interpolationLatents } from "../../src/vae/grid_latents.ts";
import { parseGridSpec } from "../../src/vae/grid_request.ts";
import { priorSamples } from "../../src/vae/prior.ts";

Deno.test("samples are the first n prior draws", () => {
  const g = gridLatents(parseGridSpec({ kind: "samples", n: 6, seed: 4 }) as never, 3);
  assert.deepEqual(g.z, priorSamples(4, 6, 3));
  assert.deepEqual([g.n, g.cols], [6, 3]);
});

Deno.test("each traversal row runs from prior draw 2r to draw 2r + 1", () => {
  const d = 4, steps = 5;
  const g = gridLatents(parseGridSpec({ kind: "traversal", rows: 2, steps, seed: 9 }) as never, d);
  const p = priorSamples(9, 4, d);
  assert.deepEqual([g.n, g.cols], [10, steps]);
  for (let r = 0; r < 2; r++) {
    const first = g.z.subarray(r * steps * d, r * steps * d + d);
    const last = g.z.subarray((r * steps + steps - 1) * d, (r * steps + steps) * d);
    assert.deepEqual(first, p.subarray(2 * r * d, (2 * r + 1) * d));
    assert.deepEqual(last, p.subarray((2 * r + 1) * d, (2 * r + 2) * d));
  }
});

Deno.test("dimension rows sweep one coordinate around zeros or a prior draw", () => {
  const d = 3;
  const zeros = gridLatents(parseGridSpec({ kind: "dimensions", steps: 3, range: [-1, 1] }) as never, d);
  assert.deepEqual([zeros.n, zeros.cols], [9, 3]);
  // Row k, step s: coordinate k is -1, 0, 1; the rest are 0.
  for (let k = 0; k < d; k++) {
    for (let s = 0; s < 3; s++) {
      const row = Array.from(zeros.z.subarray((k * 3 + s) * d, (k * 3 + s + 1) * d));
      assert.deepEqual(row, [0, 1, 2].map((j) => (j === k ? s - 1 : 0)));
    }
  }
  const prior = gridLatents(
    parseGridSpec({ kind: "dimensions", dims: [1], base: "prior", seed: 2, steps: 2 }) as never,
    d,
  );
  const base = priorSamples(2, 1, d);
  assert.deepEqual(Array.from(prior.z), [base[0], -3, base[2], base[0], 3, base[2]]);
});

Deno.test("interpolation runs between the two encoded means; captions say what a grid shows", () => {
  const means = Float32Array.from([0, 0, 2, 4]);
  assert.deepEqual(Array.from(interpolationLatents(means, 2, 3)), [0, 0, 1, 2, 2, 4]);
  assert.equal(
    gridCaption(parseGridSpec({ kind: "samples", n: 64, seed: 1 }), 8),
    "64 samples from the prior N(0, I), seed 1",
  );
  assert.match(
    gridCaption(parseGridSpec({ kind: "dimensions" }), 8),
    /^Dimensions 0-7 \(one row each\) from -3 to 3 in 10 steps; other coordinates zero$/,
  );
  assert.match(gridCaption(parseGridSpec({ kind: "dimensions", dims: [5, 2] }), 8), /^Dimensions 5, 2 /);
  assert.match(gridCaption(parseGridSpec({ kind: "interpolation" }), 8, true), /the inputs/);
});
