/** fid-inception CPU network: which convs run as Winograd, and the transcribed transform tables. */
import assert from "node:assert/strict";
import { FID_INCEPTION_CONVS } from "../../../../models/fid-inception/network.ts";
import {
  convMethod,
  packConv,
  packPanels,
  WINOGRAD_2X2_5X5,
  WINOGRAD_3X7,
  WINOGRAD_4X3,
  WINOGRAD_4X4_3X3,
  type WinogradVariant,
} from "../../../../models/fid-inception/wasm/weight_packing.ts";
import { convSpec } from "../../../../models/fid-inception/blocks.ts";

const spec = (name: string) => FID_INCEPTION_CONVS.find((s) => s.name === name)!;

Deno.test("3x3 / 5x5 stride-1 convs run as F(4x4, 3x3) / F(2x2, 5x5), 1x7 as F(3, 7), 1x3 as F(4, 3), the rest directly", () => {
  assert.equal(convMethod(spec("Conv2d_4a_3x3")).kind, "winograd2d");
  assert.equal(convMethod(spec("Mixed_5b.branch3x3dbl_3")).kind, "winograd2d");
  for (const strided of ["Conv2d_1a_3x3", "Mixed_6a.branch3x3", "Mixed_7a.branch7x7x3_4"]) {
    assert.equal(convMethod(spec(strided)).kind, "direct", strided);
  }
  assert.deepEqual(convMethod(spec("Mixed_5b.branch5x5_2")), {
    kind: "winograd2d",
    variant: WINOGRAD_2X2_5X5,
  });
  assert.deepEqual(convMethod(spec("Conv2d_2b_3x3")), { kind: "winograd2d", variant: WINOGRAD_4X4_3X3 });
  assert.equal(convMethod(spec("Mixed_5b.branch1x1")).kind, "direct");
  assert.deepEqual(convMethod(spec("Mixed_6b.branch7x7_2")), {
    kind: "winograd1d",
    variant: WINOGRAD_3X7,
    alongW: true,
  });
  assert.deepEqual(convMethod(spec("Mixed_6b.branch7x7_3")), {
    kind: "winograd1d",
    variant: WINOGRAD_3X7,
    alongW: false,
  });
  assert.deepEqual(convMethod(spec("Mixed_7b.branch3x3_2b")), {
    kind: "winograd1d",
    variant: WINOGRAD_4X3,
    alongW: false,
  });
  const counts = { direct: 0, winograd2d: 0, winograd1d: 0 };
  for (const s of FID_INCEPTION_CONVS) counts[convMethod(s).kind]++;
  // 94 convs: 12 3x3 stride 1 and 3 5x5; 1x7/7x1: 6 per Mixed_6b-6e + 2 in Mixed_7a; 1x3/3x1: 4 in 7b, 7c.
  assert.deepEqual(counts, { direct: 94 - 15 - 26 - 8, winograd2d: 15, winograd1d: 34 });
});

/** Each finite point's row of G is proportional to (1, p, p^2, ...): checks every transcribed fraction. */
function assertToomCookRows(v: WinogradVariant, points: number[]) {
  assert.equal(v.g.length, v.m + v.r - 1);
  for (const [j, p] of points.entries()) {
    const row = v.g[j];
    const scale = row[0] !== 0 ? row[0] : row[v.r - 1] / p ** (v.r - 1);
    for (let k = 0; k < v.r; k++) {
      assert.ok(Math.abs(row[k] - scale * p ** k) <= 1e-15, `point ${p}, column ${k}: ${row[k]}`);
    }
  }
  const inf = v.g[v.g.length - 1];
  assert.ok(
    inf.slice(0, -1).every((x) => x === 0) && inf[v.r - 1] !== 0,
    "the infinity row is (0, ..., 0, c)",
  );
}

Deno.test("the Winograd tables are Toom-Cook rows at their documented points", () => {
  assertToomCookRows(WINOGRAD_3X7, [0, 1, -1, 2, -2, 1 / 2, -1 / 2, 3]);
  assertToomCookRows(WINOGRAD_4X3, [0, 1, -1, 2, -2]);
  assertToomCookRows(WINOGRAD_4X4_3X3, [0, 1, -1, 2, -2]);
  assertToomCookRows(WINOGRAD_2X2_5X5, [0, 1, -1, 2, -2]);
  // The 2D tables share the kernels' B^T, so each point's row has the same scale in both (first entry; the
  // infinity row's last).
  for (let j = 0; j < 6; j++) {
    const a = WINOGRAD_4X4_3X3.g[j], b = WINOGRAD_2X2_5X5.g[j];
    const [x, y] = j < 5 ? [a[0], b[0]] : [a[2], b[4]];
    assert.ok(Math.abs(x - y) < 1e-15, `row ${j}: ${x} vs ${y}`);
  }
});

Deno.test("direct packing puts W[dy][dx][ci][8p + j] at panel p, tap, channel, lane j", () => {
  const s = convSpec("t", 3, 16, [2, 3]);
  const w = Float32Array.from({ length: 2 * 3 * 3 * 16 }, (_, i) => i);
  const packed = packPanels(w, s);
  for (const [dy, dx, ci, co] of [[0, 0, 0, 0], [1, 2, 2, 15], [0, 1, 1, 9], [1, 0, 2, 7]]) {
    const tap = dy * 3 + dx, p = Math.floor(co / 8), j = co % 8;
    assert.equal(packed[((p * 6 + tap) * 3 + ci) * 8 + j], w[((dy * 3 + dx) * 3 + ci) * 16 + co]);
  }
  assert.throws(() => packPanels(new Float32Array(12), convSpec("odd", 1, 12, 1)), /multiple of 8/);
  // Winograd layouts hold one matrix per position: 36 for 3x3, alpha = m + r - 1 for 1D.
  assert.equal(packConv(new Float32Array(9 * 8 * 8), convSpec("a", 8, 8, 3, { padding: 1 })).length, 36 * 64);
  assert.equal(
    packConv(new Float32Array(7 * 8 * 8), convSpec("b", 8, 8, [1, 7], { padding: [0, 3] })).length,
    9 * 64,
  );
});

Deno.test('the OpenBLAS "rows" layout holds the same matrices as the panels, row-major [k][cout]', () => {
  const cases = [
    convSpec("direct", 3, 16, 3, { stride: 2 }),
    convSpec("wino2d", 8, 16, 3, { padding: 1 }),
    convSpec("wino1d", 8, 16, [7, 1], { padding: [3, 0] }),
  ];
  for (const s of cases) {
    const [kh, kw] = s.kernel;
    const w = Float32Array.from({ length: kh * kw * s.inChannels * s.outChannels }, (_, i) => Math.sin(i));
    const rows = packConv(w, s, "rows"), panels = packConv(w, s, "panels");
    assert.equal(rows.length, panels.length, s.name);
    if (s.name === "direct") assert.deepEqual(rows, w, "direct: HWIO as it is");
    // Each matrix [k][cout] of the rows layout, packed as panels, is the panels layout's matrix.
    const depth = convMethod(s).kind === "direct" ? kh * kw * s.inChannels : s.inChannels;
    const size = depth * s.outChannels;
    for (let at = 0; at < rows.length; at += size) {
      const asPanels = packPanels(rows.subarray(at, at + size), convSpec("m", depth, s.outChannels, 1));
      assert.deepEqual(asPanels, panels.subarray(at, at + size), `${s.name} matrix ${at / size}`);
    }
  }
});
