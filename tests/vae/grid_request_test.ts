/** Grid requests: defaults filled in (so equal meanings compare equal), bounds and unknown keys refused. */
import assert from "node:assert/strict";
import { gridDims, gridQuery, gridTiles, parseGridSpec } from "../../src/vae/grid_request.ts";

Deno.test("defaults make equivalent requests identical", () => {
  assert.deepEqual(parseGridSpec({ kind: "samples" }), { kind: "samples", n: 64, seed: 0, cols: 8 });
  assert.deepEqual(
    parseGridSpec({ kind: "samples", n: 64, seed: 0, cols: 8 }),
    parseGridSpec({ kind: "samples" }),
  );
  assert.equal((parseGridSpec({ kind: "samples", n: 10 }) as { cols: number }).cols, 4);
  assert.deepEqual(parseGridSpec({ kind: "traversal" }), { kind: "traversal", steps: 10, rows: 1, seed: 0 });
  assert.deepEqual(parseGridSpec(gridQuery({ kind: "interpolation", steps: "6" })), {
    kind: "interpolation",
    steps: 6,
    include_inputs: null,
  });
  assert.deepEqual(parseGridSpec({ kind: "dimensions" }), {
    kind: "dimensions",
    dims: "all",
    range: [-3, 3],
    steps: 10,
    base: "zeros",
    seed: 0,
  });
  // Query-string forms, converted by gridQuery, parse like JSON ones.
  assert.deepEqual(
    parseGridSpec(
      gridQuery({ kind: "dimensions", dims: "1,4", range: "-2,2", steps: "5", base: "prior", seed: "3" }),
    ),
    parseGridSpec({ kind: "dimensions", dims: [1, 4], range: [-2, 2], steps: 5, base: "prior", seed: 3 }),
  );
});

Deno.test("bad grid requests are 400s naming the parameter", () => {
  const bad: Record<string, unknown>[] = [
    {},
    { kind: "mosaic" },
    { kind: "samples", n: 0 },
    { kind: "samples", n: 1.5 },
    { kind: "samples", seed: -1 },
    { kind: "samples", seed: 2 ** 32 },
    { kind: "samples", steps: 4 },
    { kind: "traversal", steps: 1 },
    { kind: "dimensions", range: [1, 1] },
    { kind: "dimensions", range: [0, 1, 2] },
    { kind: "dimensions", dims: [1, 1] },
    { kind: "dimensions", dims: [-1] },
    { kind: "dimensions", base: "ones" },
    { kind: "interpolation", include_inputs: "yes" },
    // JSON bodies are typed: numbers and booleans as strings are refused (only query strings convert).
    { kind: "samples", seed: "1" },
    { kind: "samples", n: "64" },
    { kind: "dimensions", dims: "1,4" },
    { kind: "dimensions", range: "-2,2" },
    { kind: "interpolation", include_inputs: "true" },
    gridQuery({ kind: "samples", seed: "1e3" }),
    gridQuery({ kind: "samples", n: " 64" }),
  ];
  for (const raw of bad) {
    assert.throws(
      () => parseGridSpec(raw),
      (e: Error & { code?: string }) => e.name === "InvalidInputError",
      JSON.stringify(raw),
    );
  }
});

Deno.test("dimension lists are checked against the latent size; tiles are counted", () => {
  const spec = parseGridSpec({ kind: "dimensions", dims: [0, 7] });
  assert.deepEqual(gridDims(spec as { dims: number[] }, 8), [0, 7]);
  assert.throws(() => gridDims(spec as { dims: number[] }, 7), { code: "grid_bad_parameter" });
  assert.equal(gridTiles(parseGridSpec({ kind: "dimensions" }), 8), 80);
  assert.equal(gridTiles(parseGridSpec({ kind: "traversal", rows: 3, steps: 5 }), 8), 15);
  assert.equal(gridTiles(parseGridSpec({ kind: "samples", n: 9 }), 8), 9);
});
