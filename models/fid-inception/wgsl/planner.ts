/**
 * Picking a conv's tile shape. Bigger register tiles do more multiply-adds per workgroup-memory read (an
 * 8x8 block per thread reads 16 values for 64 FMAs, a 4x4 one 8 for 16), so they run closer to the chip's
 * peak; but a layer only has ceil(M / BM) * ceil(N / BN) tiles, tiles past N's end or M's end are wasted work,
 * and a layer with fewer tiles than compute units leaves units idle. The estimate below weighs these: the
 * tiles are spread over the compute units, and the busiest unit's work (its tiles' multiply-adds over the
 * shape's relative efficiency) is the layer's time; the cheapest shape wins (ties: the bigger tile).
 *
 * The efficiencies are relative per-FLOP speeds of the shapes on a discrete GPU, in the order register-tiled
 * SGEMMs show (the issue's 128x128 kernel with 8x8 per thread reached 3.7 TFLOP/s on an H200); `concurrency`
 * is the number of compute units (an H200: 132 SMs; a CPU adapter such as llvmpipe: its cores).
 */
import type { ConvTile } from "./conv_kernel.ts";
import { tileThreads, tileWorkgroupBytes } from "./conv_kernel.ts";

/** A tile of the menu with its relative efficiency. */
export interface TileChoice {
  tile: ConvTile;
  efficiency: number;
}

/** Every tile shape the engine builds pipelines for (BK is lowered per layer when cin demands it). */
export const TILE_MENU: readonly TileChoice[] = [
  { tile: { bm: 128, bn: 128, bk: 8, tm: 8, tn: 8 }, efficiency: 1.0 },
  { tile: { bm: 128, bn: 64, bk: 16, tm: 8, tn: 4 }, efficiency: 0.8 },
  { tile: { bm: 64, bn: 64, bk: 16, tm: 4, tn: 4 }, efficiency: 0.6 },
  { tile: { bm: 64, bn: 32, bk: 16, tm: 4, tn: 4 }, efficiency: 0.45 },
  { tile: { bm: 32, bn: 32, bk: 16, tm: 4, tn: 4 }, efficiency: 0.3 },
];

/** Compute units of an H200-class GPU (132 SMs), the default for a hardware adapter. */
export const GPU_CONCURRENCY = 132;

/** What the planner needs to know about the device. */
export interface PlannerDevice {
  /** Compute units that run workgroups in parallel (GPU_CONCURRENCY; the core count on a software adapter). */
  concurrency: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupStorageSize: number;
}

/** The largest power of two (at most `bk`) that divides `cin`: a BK step must stay within one kernel tap. */
export function stepDepth(bk: number, cin: number): number {
  let d = bk;
  while (d > 4 && cin % d !== 0) d /= 2;
  if (cin % d !== 0) throw new Error(`conv input channels ${cin} are not a multiple of 4`);
  return d;
}

/** The menu's tiles this device can run, with BK lowered to fit `cin`. */
export function tilesFor(cin: number, device: PlannerDevice): TileChoice[] {
  return TILE_MENU.map(({ tile, efficiency }) => ({
    tile: { ...tile, bk: stepDepth(tile.bk, cin) },
    efficiency,
  })).filter(({ tile }) =>
    tileThreads(tile) <= device.maxComputeInvocationsPerWorkgroup &&
    tileWorkgroupBytes(tile) <= device.maxComputeWorkgroupStorageSize
  );
}

/** Estimated relative time of an m x n x k GEMM with one tile shape (see the module comment). */
export function tileCost(m: number, n: number, k: number, choice: TileChoice, device: PlannerDevice): number {
  const { tile, efficiency } = choice;
  const tiles = Math.ceil(m / tile.bm) * Math.ceil(n / tile.bn);
  const perUnit = Math.ceil(tiles / device.concurrency);
  return (perUnit * tile.bm * tile.bn * k) / efficiency;
}

/** The cheapest tile for an m x n x k conv GEMM with `cin` input channels. */
export function chooseTile(m: number, n: number, k: number, cin: number, device: PlannerDevice): ConvTile {
  let best: TileChoice | null = null;
  let bestCost = Infinity;
  for (const choice of tilesFor(cin, device)) {
    const cost = tileCost(m, n, k, choice, device);
    if (cost < bestCost * (1 - 1e-9)) {
      best = choice;
      bestCost = cost;
    }
  }
  if (!best) throw new Error("no conv tile fits this device's workgroup limits");
  return best.tile;
}
