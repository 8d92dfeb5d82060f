/**
 * The WGSL conv kernel against the float64 reference convolution, for every tile shape of the planner's menu
 * and every conv geometry the network has (1x1, 3x3 stride 1 and 2, 5x5, 1x7/7x1, 1x3/3x1), on shapes that
 * are NOT multiples of the tile: M (output pixels) and N (output channels) end inside a tile, so a wrong edge
 * mask or tile count shows as wrong or missing outputs. Input and output are channel slices of wider tensors
 * (as in a block's concatenation), and every element outside the output slice must keep its sentinel.
 */
import assert from "node:assert/strict";
import {
  convCall,
  convParams,
  convShader,
  type ConvTile,
  convWorkgroups,
} from "../../../../models/fid-inception/wgsl/conv_kernel.ts";
import { dispatchGrid } from "../../../../models/fid-inception/wgsl/buffers.ts";
import { geometryOf } from "../../../../models/fid-inception/wgsl/network.ts";
import { KernelSet } from "../../../../models/fid-inception/wgsl/pipelines.ts";
import { stepDepth, TILE_MENU } from "../../../../models/fid-inception/wgsl/planner.ts";
import { packGpuConv } from "../../../../models/fid-inception/wgsl/weights.ts";
import { type ConvSpec, convSpec } from "../../../../models/fid-inception/blocks.ts";
import { seededRandom } from "../../../../tools/arrays.ts";
import { naiveConvRelu, randomImg, relErr } from "../../../../tools/fid_inception_reference.ts";
import { gpuTest, runKernel, SENTINEL } from "./_gpu.ts";

/** A conv (spec), its input (n images of h x w) and the wider tensors its input and output are slices of. */
interface Case {
  label: string;
  spec: ConvSpec;
  n: number;
  h: number;
  w: number;
  /** Channels of the wider input / output tensors and where the slices start. */
  xChannels: number;
  xOff: number;
  yChannels: number;
  yOff: number;
}

/** A case: [label, n, h, w], the spec's [cin, cout, kernel, stride, padding], the slices' [xC, xOff, yC, yOff]. */
function c(
  label: string,
  [n, h, w]: number[],
  [cin, cout, kernel, stride, padding]: [number, number, [number, number], number, [number, number]],
  [xChannels, xOff, yChannels, yOff]: number[],
): Case {
  const spec = convSpec(label, cin, cout, kernel, { stride, padding });
  return { label, spec, n, h, w, xChannels, xOff, yChannels, yOff };
}

const CASES: Case[] = [
  // M = 2 * 5 * 7 = 70, N = 48: both end inside every tile of the menu.
  c("1x1", [2, 5, 7], [32, 48, [1, 1], 1, [0, 0]], [40, 8, 60, 4]),
  c("3x3 stride 2", [1, 13, 11], [16, 36, [3, 3], 2, [0, 0]], [16, 0, 44, 8]),
  c("3x3 pad 1, 4 input channels", [3, 9, 6], [4, 32, [3, 3], 1, [1, 1]], [4, 0, 32, 0]),
  c("5x5 pad 2", [1, 9, 10], [16, 20, [5, 5], 1, [2, 2]], [16, 0, 20, 0]),
  c("1x7 pad (0, 3)", [2, 6, 9], [16, 132, [1, 7], 1, [0, 3]], [16, 0, 140, 4]),
  c("7x1 pad (3, 0)", [1, 10, 5], [32, 28, [7, 1], 1, [3, 0]], [48, 16, 28, 0]),
  c("1x3 pad (0, 1)", [1, 7, 8], [16, 12, [1, 3], 1, [0, 1]], [16, 0, 24, 12]),
  c("3x1 pad (1, 0)", [2, 8, 3], [16, 8, [3, 1], 1, [1, 0]], [16, 0, 8, 0]),
];

/** Random weights and bias, the input as slices of a wider tensor, and the float64 reference output. */
function problem(k: Case, seed: number) {
  const r = seededRandom(seed);
  const { inChannels: cin, outChannels: cout, kernel: [kh, kw], stride, padding } = k.spec;
  const weight = {
    shape: [kh, kw, cin, cout],
    data: Float32Array.from({ length: kh * kw * cin * cout }, () => 2 * r() - 1),
  };
  const bias = { shape: [cout], data: Float32Array.from({ length: cout }, () => 0.5 * r() - 0.25) };
  const images = Array.from({ length: k.n }, (_, i) => randomImg(k.h, k.w, cin, seed * 10 + i));
  const x = new Float32Array(k.n * k.h * k.w * k.xChannels).fill(1e6); // outside the slice: huge, must not leak in
  images.forEach((im, i) => {
    for (let p = 0; p < k.h * k.w; p++) {
      for (let ch = 0; ch < cin; ch++) {
        x[(i * k.h * k.w + p) * k.xChannels + k.xOff + ch] = im.data[p * cin + ch];
      }
    }
  });
  const want = images.map((im) => naiveConvRelu(im, weight, bias, stride, padding[0], padding[1]));
  return { weight, bias, x, want };
}

const TILES: ConvTile[] = TILE_MENU.map((t) => t.tile);

Deno.test(gpuTest(
  "the conv kernel matches the float64 convolution for every tile and geometry, with edges inside the tile",
  async (gpu) => {
    const kernels = await KernelSet.create(gpu.device, []);
    const variants: [ConvTile, ReturnType<typeof geometryOf>][] = [];
    for (const { spec } of CASES) {
      for (const t of TILES) {
        variants.push([{ ...t, bk: stepDepth(t.bk, spec.inChannels) }, geometryOf(spec)]);
      }
    }
    await kernels.prepareConvs(variants);
    for (const [ci, k] of CASES.entries()) {
      const { spec } = k;
      const { inChannels: cin, outChannels: cout } = spec;
      const { weight, bias, x, want } = problem(k, 100 + ci);
      const packed = packGpuConv(spec, weight.data, bias.data);
      const { h: oh, w: ow } = want[0];
      // Two extra output rows past M: they must stay untouched.
      const rows = k.n * oh * ow;
      for (const base of TILES) {
        const tile = { ...base, bk: stepDepth(base.bk, cin) };
        const at = {
          xStride: k.xChannels,
          xOff: k.xOff,
          yStride: k.yChannels,
          yOff: k.yOff,
          wRow: packed.wRow,
        };
        const call = convCall(spec, k.n, k.h, k.w, at, true);
        assert.equal(call.m, rows);
        const out = await runKernel(
          gpu,
          kernels.conv(tile, geometryOf(spec)),
          kernels.layouts.conv,
          convParams(call, tile),
          [x, packed.data],
          (rows + 2) * k.yChannels,
          dispatchGrid(convWorkgroups(call, tile), gpu.limits.maxComputeWorkgroupsPerDimension),
        );
        const label = `${k.label}, tile ${tile.bm}x${tile.bn}x${tile.bk} (${tile.tm}x${tile.tn})`;
        const got = new Float64Array(k.n * oh * ow * cout);
        const ref = new Float64Array(got.length);
        let untouched = 0, outside = 0;
        for (let m = 0; m < rows + 2; m++) {
          for (let ch = 0; ch < k.yChannels; ch++) {
            const v = out[m * k.yChannels + ch];
            const inside = m < rows && ch >= k.yOff && ch < k.yOff + cout;
            if (inside) {
              if (v === SENTINEL) untouched++;
              got[m * cout + ch - k.yOff] = v;
            } else if (v !== SENTINEL) outside++;
          }
        }
        want.forEach((img, i) => ref.set(img.data, i * oh * ow * cout));
        assert.equal(untouched, 0, `${label}: ${untouched} outputs never written`);
        assert.equal(outside, 0, `${label}: ${outside} elements written outside the output slice`);
        const err = relErr(got, ref);
        assert.ok(err < 2e-6, `${label}: relative error ${err}`);
      }
    }
  },
));

Deno.test("convParams refuses channel counts the kernel cannot step through", () => {
  const spec = convSpec("t", 24, 8, 1);
  const call = convCall(spec, 1, 1, 1, { xStride: 24, xOff: 0, yStride: 8, yOff: 0, wRow: 128 }, true);
  assert.throws(() => convParams(call, { bm: 64, bn: 64, bk: 16, tm: 4, tn: 4 }), /multiple of bk/);
  assert.equal(convParams(call, { bm: 64, bn: 64, bk: 8, tm: 4, tn: 4 })[2], 3, "3 steps of 8");
  assert.throws(
    () => convParams({ ...call, yOff: 2 }, { bm: 64, bn: 64, bk: 8, tm: 4, tn: 4 }),
    /multiples of 4/,
  );
  assert.ok(convShader({ bm: 64, bn: 64, bk: 8, tm: 4, tn: 4 }, "general").includes("workgroup_size(256)"));
});
