import assert from "node:assert/strict";
import { sampleMetrics, type SamplePhase } from "../../src/stats/sample_metrics.ts";
import { kernelInceptionDistance } from "../../src/stats/kid.ts";
import { prdc } from "../../src/stats/prdc.ts";
import { meanPairwiseDistance } from "../../src/stats/pairwise_distance.ts";
import { type GramEngine, gramEngine } from "../../src/stats/gram_engine.ts";
import { seededRandom } from "../../tools/arrays.ts";
import { ENGINES } from "./_engines.ts";

function features(n: number, dim: number, seed: number, shift = 0): Float32Array {
  const r = seededRandom(seed);
  return Float32Array.from({ length: n * dim }, () => r() * 2 - 1 + shift);
}

/** The engine, counting its Gram blocks (one forEachPanel call each) and their sizes. */
function counting(inner: GramEngine) {
  const blocks: string[] = [];
  const engine: GramEngine = {
    name: inner.name,
    forEachPanel(a, na, b, nb, dim, rows, symmetric, visit) {
      blocks.push(`${na}x${nb}${symmetric ? " symmetric" : ""}`);
      inner.forEachPanel(a, na, b, nb, dim, rows, symmetric, visit);
    },
    kidSubsetSums: (x, y, m, dim, centre) => inner.kidSubsetSums(x, y, m, dim, centre),
  };
  return { engine, blocks };
}

const close = (a: number, b: number, rel: number, what: string) =>
  assert.ok(Math.abs(a - b) <= rel * Math.abs(b), `${what}: ${a} vs ${b}`);

Deno.test("one call gives what the three metrics give alone, on every engine, and shares one Gram of both sides", () => {
  const nx = 61, ny = 53, dim = 17;
  const x = features(nx, dim, 1), y = features(ny, dim, 2, 0.2);
  const kid = { subsets: 20, subsetSize: 30, seed: 5 },
    prdcOpts = { k: 3, maxSamples: 100 },
    pairwise = { maxSamples: 100 };
  for (const [name, linalg] of ENGINES) {
    const { engine, blocks } = counting(gramEngine(linalg));
    const phases: SamplePhase[] = [];
    const all = sampleMetrics({ x, nx, y, ny, dim, kid, prdc: prdcOpts, pairwise }, {
      engine,
      onPhase: (p) => phases.push(p),
    });
    // Every row serves every metric here: the two sides' self blocks and one cross block, nothing more.
    assert.deepEqual(
      blocks.sort(),
      [`${nx}x${nx} symmetric`, `${nx}x${ny}`, `${ny}x${ny} symmetric`].sort(),
      name,
    );
    assert.deepEqual(phases, ["distances", "kid"]);
    const alone = {
      kid: kernelInceptionDistance(x, nx, y, ny, dim, kid, linalg),
      prdc: prdc(y, ny, x, nx, dim, prdcOpts, linalg),
      pairwise: meanPairwiseDistance(x, nx, dim, pairwise, linalg),
    };
    assert.deepEqual(all.prdc, alone.prdc, `${name} PRDC`);
    close(all.kid!.mean, alone.kid.mean, 1e-12, `${name} KID mean`);
    close(all.kid!.std, alone.kid.std, 1e-9, `${name} KID std`);
    // Alone, the pairwise mean translates by its own rows' centre, here by the reference's: round-off apart.
    close(all.meanPairwiseDistance!, alone.pairwise, 1e-12, `${name} pairwise mean`);
  }
});

Deno.test("subsampled sides keep each metric's own seeded rows: separate blocks where the rows differ", () => {
  const nx = 90, ny = 80, dim = 7;
  const x = features(nx, dim, 3), y = features(ny, dim, 4, 0.1);
  const kid = { subsets: 3, subsetSize: 10, kernelCache: "never" as const };
  const prdcOpts = { k: 2, maxSamples: 40, seed: 9 }, pairwise = { maxSamples: 30, seed: 10 };
  const { engine, blocks } = counting(gramEngine());
  const all = sampleMetrics({ x, nx, y, ny, dim, kid, prdc: prdcOpts, pairwise }, { engine });
  // PRDC: real 40, fake 40, cross; pairwise: its own 30 rows; KID per subset (no shared blocks).
  assert.deepEqual(blocks.sort(), ["30x30 symmetric", "40x40 symmetric", "40x40 symmetric", "40x40"].sort());
  assert.deepEqual(all.prdc, prdc(y, ny, x, nx, dim, prdcOpts));
  close(all.meanPairwiseDistance!, meanPairwiseDistance(x, nx, dim, pairwise), 1e-12, "pairwise");
  assert.deepEqual(all.kid, kernelInceptionDistance(x, nx, y, ny, dim, kid));
});

Deno.test("only what is asked for is computed", () => {
  const x = features(20, 4, 5);
  const { engine, blocks } = counting(gramEngine());
  const r = sampleMetrics({ x, nx: 20, dim: 4, pairwise: {} }, { engine });
  assert.deepEqual(Object.keys(r), ["meanPairwiseDistance"]);
  assert.deepEqual(blocks, ["20x20 symmetric"]);
});
