import assert from "node:assert/strict";
import { mulberry32 } from "../../src/stats/mulberry32.ts";

Deno.test("mulberry32 gives the stream of the numpy version in make_fixture.py (its first three draws)", () => {
  // From tests/models/fid-inception/_torch_fixture/make_fixture.py's vectorised mulberry32, run in Python.
  const want: [number, number[]][] = [
    [0, [0.26642920868471265, 0.0003297457005828619, 0.2232720274478197]],
    [42, [0.6011037519201636, 0.44829055899754167, 0.8524657934904099]],
    [0xdeadbeef, [0.9413696140982211, 0.26719574979506433, 0.772033357527107]],
  ];
  for (const [seed, draws] of want) {
    const r = mulberry32(seed);
    assert.deepEqual([r(), r(), r()], draws, `seed ${seed}`);
  }
});

Deno.test("mulberry32 draws lie in [0, 1) and two generators of one seed agree", () => {
  const a = mulberry32(7), b = mulberry32(7);
  for (let i = 0; i < 10_000; i++) {
    const x = a();
    assert.ok(x >= 0 && x < 1);
    assert.equal(x, b());
  }
});
