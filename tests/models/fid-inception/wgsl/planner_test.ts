/** The tile planner: wasted edge work, small layers, the device's workgroup limits and the depth step. */
import assert from "node:assert/strict";
import { tileThreads } from "../../../../models/fid-inception/wgsl/conv_kernel.ts";
import {
  chooseTile,
  GPU_CONCURRENCY,
  type PlannerDevice,
  stepDepth,
  tilesFor,
} from "../../../../models/fid-inception/wgsl/planner.ts";

const GPU: PlannerDevice = {
  concurrency: GPU_CONCURRENCY,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupStorageSize: 16384,
};

Deno.test("big layers take the biggest tile that does not mostly run past N", () => {
  // Mixed_6 1x1 at batch 128: M = 128 * 17 * 17, N = 384, K = 768.
  assert.deepEqual(chooseTile(36992, 384, 768, 768, GPU), { bm: 128, bn: 128, bk: 8, tm: 8, tn: 8 });
  // N = 32 (the first convs): a 128-wide tile would be three quarters waste.
  assert.ok(chooseTile(128 * 149 * 149, 32, 27, 4, GPU).bn <= 32);
  // N = 80 (Conv2d_3b_1x1): 128 columns waste 37.5%, 64 + 64 waste 37.5% too, 32-wide tiles none.
  const t = chooseTile(128 * 73 * 73, 80, 64, 64, GPU);
  assert.ok(Math.ceil(80 / t.bn) * t.bn <= 128, JSON.stringify(t));
});

Deno.test("a layer too small to fill the GPU takes smaller tiles, so more of them run at once", () => {
  // Mixed_7 at batch 1: M = 64.
  const small = chooseTile(64, 384, 1280, 1280, GPU);
  const big = chooseTile(64 * 256, 384, 1280, 1280, GPU);
  assert.ok(small.bm * small.bn < big.bm * big.bn, `${JSON.stringify(small)} vs ${JSON.stringify(big)}`);
});

Deno.test("tiles respect the device's workgroup limits, and the depth step divides the input channels", () => {
  const narrow = { ...GPU, maxComputeInvocationsPerWorkgroup: 128, maxComputeWorkgroupStorageSize: 10000 };
  for (const { tile } of tilesFor(64, narrow)) assert.ok(tileThreads(tile) <= 128);
  assert.ok(tilesFor(64, narrow).length > 0);
  assert.deepEqual([stepDepth(16, 4), stepDepth(16, 48), stepDepth(8, 80), stepDepth(16, 2048)], [
    4,
    16,
    8,
    16,
  ]);
  assert.throws(() => stepDepth(16, 6), /multiple of 4/);
  assert.equal(chooseTile(1000, 32, 36, 4, GPU).bk, 4);
});
