/**
 * KID, PRDC and the mean pairwise distance of one generated sample against one reference sample, planned
 * together so that no dot product is computed twice: each metric names the rows it needs (its seeded numpy
 * draws stay exactly those of src/stats/kid.ts, prdc.ts and pairwise_distance.ts), equal row sets are merged,
 * and each needed block of the Gram matrix (rows against rows) is computed once, in row panels, by one engine
 * (src/stats/gram_engine.ts: OpenBLAS, WebAssembly or TypeScript), while every metric that needs that block
 * reads the panels as they come. With the default settings and 2,000 rows a side, one Gram matrix of the
 * 4,000 rows serves KID's 100 subsets, both sides' k-NN radii, PRDC's cross comparisons and the pairwise mean.
 *
 * Rows are translated by one centre first (PRDC's, see feature_rows.ts), which leaves distances unchanged and
 * keeps them accurate; KID's dot products are recovered as (a + c).(b + c) = a.b + a.c + b.c + c.c.
 * Blocks are computed self-pairs first, so both sides' radii are known when the cross block arrives.
 */
import { InvalidInputError, UnprocessableError } from "../errors.ts";
import { cmmdFromSums, type CmmdOptions, type CmmdResult, kernelSumCollector } from "./cmmd.ts";
import {
  centredRows,
  checkFeatureRows,
  checkMaxSamples,
  distanceCentre,
  type FeatureRows,
  gatherRows,
  gramSquaredDistance,
  squaredNorms,
} from "./feature_rows.ts";
import {
  type GramEngine,
  gramEngine,
  type GramOptions,
  type GramPanelVisitor,
  panelRowsFor,
  polynomialKernel,
} from "./gram_engine.ts";
import {
  kidFromKernels,
  kidFromSubsets,
  type KidOptions,
  type KidPlan,
  type KidResult,
  planKid,
} from "./kid_plan.ts";
import { RandomState } from "./numpy_random.ts";
import type { MeanPairwiseDistanceOptions } from "./pairwise_distance.ts";
import { type CentredRows, crossCollector, kthNearestCollector } from "./prdc_counts.ts";
import type { PrdcOptions, PrdcResult } from "./prdc.ts";

/** What to compute: x is the generated ("fake") sample, y the reference ("real") one (KID and PRDC need it). */
export interface SampleMetricsRequest {
  x: FeatureRows;
  nx: number;
  y?: FeatureRows;
  ny?: number;
  dim: number;
  kid?: KidOptions | null;
  prdc?: PrdcOptions | null;
  pairwise?: MeanPairwiseDistanceOptions | null;
  /** CMMD between x and y (src/stats/cmmd.ts). */
  cmmd?: CmmdOptions | null;
}

/** The requested metrics. */
export interface SampleMetricsResult {
  kid?: KidResult;
  prdc?: PrdcResult;
  meanPairwiseDistance?: number;
  cmmd?: CmmdResult;
}

/**
 * Phases reported to onPhase: the shared products with every distance metric, then the products only CMMD needs
 * (when its rows are not those of the other metrics), then KID's sums.
 */
export type SamplePhase = "distances" | "cmmd" | "kid";

/** How to compute: the engine (GramOptions), progress, and the memory KID's Gram mode may take. */
export interface SampleMetricsOptions extends GramOptions {
  onPhase?: (phase: SamplePhase) => void;
  /** Bytes KID's all-rows kernel matrices may take before it computes per subset instead (default 512 MiB). */
  gramBudgetBytes?: number;
  /** The engine itself, instead of the one GramOptions name (tests count its products). */
  engine?: GramEngine;
}

const DEFAULT_GRAM_BUDGET_BYTES = 512 * 2 ** 20;

/** A set of rows of one side: all of them (idx null) or the listed ones in that order. */
interface RowGroup {
  side: "x" | "y";
  idx: Uint32Array | null;
  n: number;
  data?: CentredRows;
}

/** A Gram block, the readers of its panels (created when the block starts), and the phase it belongs to. */
interface Block {
  a: RowGroup;
  b: RowGroup;
  readers: (() => GramPanelVisitor)[];
  phase: "distances" | "cmmd";
}

/** Computes the requested metrics (see above); throws the typed errors of the single-metric functions. */
export function sampleMetrics(
  req: SampleMetricsRequest,
  opts: SampleMetricsOptions = {},
): SampleMetricsResult {
  const engine = opts.engine ?? gramEngine(opts);
  const { x, nx, dim } = req;
  const y = req.y ?? new Float32Array(0), ny = req.ny ?? 0;
  const kidPlan = req.kid
    ? planKid(x, nx, y, ny, dim, req.kid, opts.gramBudgetBytes ?? DEFAULT_GRAM_BUDGET_BYTES)
    : null;
  const prdcPlan = req.prdc ? planPrdc(y, ny, x, nx, dim, req.prdc) : null;
  const pairPlan = req.pairwise ? planPairwise(x, nx, dim, req.pairwise) : null;
  const cmmdPlan = req.cmmd ? planCmmd(x, nx, y, ny, dim, req.cmmd) : null;

  const groups: RowGroup[] = [];
  const group = (side: "x" | "y", idx: Uint32Array | null, n: number): RowGroup => {
    const found = groups.find((g) => g.side === side && sameRows(g.idx, idx, g.n, n));
    if (found) return found;
    const g = { side, idx, n };
    groups.push(g);
    return g;
  };
  const blocks: Block[] = [];
  const block = (
    a: RowGroup,
    b: RowGroup,
    reader: () => GramPanelVisitor,
    phase: Block["phase"] = "distances",
  ) => {
    let found = blocks.find((k) => k.a === a && k.b === b);
    if (!found) blocks.push(found = { a, b, readers: [], phase });
    found.readers.push(reader);
  };

  // One translation for every block: the real side's PRDC centre, else the pairwise rows', else CMMD's
  // reference rows', else none.
  const centre = prdcPlan
    ? distanceCentre(prdcPlan.real ? gatherRows(y, prdcPlan.real, dim) : y, prdcPlan.nReal, dim)
    : pairPlan
    ? distanceCentre(pairPlan.idx ? gatherRows(x, pairPlan.idx, dim) : x, pairPlan.n, dim)
    : cmmdPlan
    ? distanceCentre(cmmdPlan.y ? gatherRows(y, cmmdPlan.y, dim) : y, cmmdPlan.ny, dim)
    : new Float64Array(dim);
  const rowsOf = (g: RowGroup): CentredRows => {
    if (!g.data) {
      const rows = centredRows(g.side === "x" ? x : y, g.idx, g.n, dim, centre);
      g.data = { rows, n: g.n, norms: squaredNorms(rows, g.n, dim) };
    }
    return g.data;
  };

  const result: SampleMetricsResult = {};
  const finishers: (() => void)[] = [];
  if (prdcPlan) {
    const gR = group("y", prdcPlan.real, prdcPlan.nReal), gF = group("x", prdcPlan.fake, prdcPlan.nFake);
    let realRadius: () => Float64Array = () => new Float64Array(0);
    let fakeRadius: () => Float64Array = () => new Float64Array(0);
    block(gR, gR, () => {
      const c = kthNearestCollector(rowsOf(gR), dim, prdcPlan.k);
      realRadius = c.radii;
      return c.visit;
    });
    block(gF, gF, () => {
      const c = kthNearestCollector(rowsOf(gF), dim, prdcPlan.k);
      fakeRadius = c.radii;
      return c.visit;
    });
    block(gF, gR, () => {
      const c = crossCollector(rowsOf(gR), rowsOf(gF), dim, realRadius(), fakeRadius());
      finishers.push(() => (result.prdc = prdcResult(c.tally, prdcPlan)));
      return c.visit;
    });
  }
  if (pairPlan) {
    const gM = group("x", pairPlan.idx, pairPlan.n);
    let total = 0;
    block(gM, gM, () => {
      const { norms } = rowsOf(gM);
      return (i0, rows, j0, cols, panel, ld) => {
        let part = 0; // per panel: keeps the float64 total accurate over ~10^8 pairs
        for (let r = 0; r < rows; r++) {
          const ni = norms[i0 + r], base = r * ld;
          for (let c = i0 + r - j0 + 1; c < cols; c++) {
            part += Math.sqrt(gramSquaredDistance(ni, norms[j0 + c], panel[base + c]));
          }
        }
        total += part;
      };
    });
    finishers.push(() => (result.meanPairwiseDistance = total / ((pairPlan.n * (pairPlan.n - 1)) / 2)));
  }
  const kernels = kidPlan?.mode === "gram"
    ? planKidKernels(kidPlan, group, block, rowsOf, dim, centre)
    : null;
  if (cmmdPlan) {
    const gx = group("x", cmmdPlan.x, cmmdPlan.nx), gy = group("y", cmmdPlan.y, cmmdPlan.ny);
    // By slot: blocks run in their own order (self blocks first, another metric's first), not this one.
    const sums: (() => number)[] = [];
    for (const [slot, [a, b]] of [[gx, gx], [gy, gy], [gx, gy]].entries()) {
      block(a, b, () => {
        const c = kernelSumCollector(rowsOf(a), rowsOf(b), a === b);
        sums[slot] = c.sum;
        return c.visit;
      }, "cmmd");
    }
    finishers.push(() => {
      const [kxx, kyy, kxy] = sums.map((sum) => sum());
      result.cmmd = {
        value: cmmdFromSums(kxx, kyy, kxy, gx.n, gy.n),
        xSamples: gx.n,
        ySamples: gy.n,
      };
    });
  }

  // Self blocks first: the radii they yield are what the cross block compares with. Blocks only CMMD reads
  // come last, as a phase of their own (with CMMD's default 10,000 rows a side they can take longest).
  for (const phase of ["distances", "cmmd"] as const) {
    const mine = blocks.filter((k) => k.phase === phase);
    const ordered = [...mine.filter((k) => k.a === k.b), ...mine.filter((k) => k.a !== k.b)];
    if (ordered.length > 0) opts.onPhase?.(phase);
    for (const k of ordered) runBlock(engine, k, rowsOf, dim);
  }
  for (const finish of finishers) finish();
  if (kidPlan) {
    opts.onPhase?.("kid");
    // Per subset, products are taken around the shared centre, or the run sample's own when there is none.
    const around = prdcPlan || pairPlan ? centre : distanceCentre(x, nx, dim);
    result.kid = kernels ? kernels() : kidFromSubsets(kidPlan, x, y, dim, engine, around);
  }
  return result;
}

function runBlock(engine: GramEngine, k: Block, rowsOf: (g: RowGroup) => CentredRows, dim: number): void {
  const a = rowsOf(k.a), b = rowsOf(k.b);
  const readers = k.readers.map((make) => make());
  const panelRows = panelRowsFor(b.n, k.a === k.b);
  engine.forEachPanel(
    a.rows,
    a.n,
    b.rows,
    b.n,
    dim,
    panelRows,
    k.a === k.b,
    (i0, rows, j0, cols, panel, ld) => {
      for (const read of readers) read(i0, rows, j0, cols, panel, ld);
    },
  );
}

/** Registers KID's Gram blocks; the returned function turns them into kernel values and sums the subsets. */
function planKidKernels(
  plan: KidPlan,
  group: (side: "x" | "y", idx: Uint32Array | null, n: number) => RowGroup,
  block: (a: RowGroup, b: RowGroup, reader: () => GramPanelVisitor) => void,
  rowsOf: (g: RowGroup) => CentredRows,
  dim: number,
  centre: Float64Array,
): () => KidResult {
  const gx = group("x", plan.ux, plan.ux.length), gy = group("y", plan.uy, plan.uy.length);
  const nx = gx.n, ny = gy.n;
  const kxx = new Float64Array(nx * nx), kyy = new Float64Array(ny * ny), kxy = new Float64Array(nx * ny);
  const store =
    (target: Float64Array, width: number) => (): GramPanelVisitor => (i0, rows, j0, cols, panel, ld) => {
      for (let r = 0; r < rows; r++) target.set(panel.subarray(r * ld, r * ld + cols), (i0 + r) * width + j0);
    };
  block(gx, gx, store(kxx, nx));
  block(gy, gy, store(kyy, ny));
  block(gx, gy, store(kxy, ny));
  return () => {
    // Dot products of the untranslated rows, then the kernel: (a + c).(b + c) = a.b + a.c + b.c + c.c.
    let cc = 0;
    for (let k = 0; k < dim; k++) cc += centre[k] * centre[k];
    const tx = offsets(rowsOf(gx), dim, centre), ty = offsets(rowsOf(gy), dim, centre);
    const toKernel = (
      target: Float64Array,
      ta: Float64Array,
      tb: Float64Array,
      width: number,
      upper: boolean,
    ) => {
      for (let i = 0; i < ta.length; i++) {
        const row = i * width;
        for (let j = upper ? i : 0; j < width; j++) {
          target[row + j] = polynomialKernel(target[row + j] + ta[i] + tb[j] + cc, dim);
        }
      }
    };
    toKernel(kxx, tx, tx, nx, true);
    toKernel(kyy, ty, ty, ny, true);
    toKernel(kxy, tx, ty, ny, false);
    return kidFromKernels(plan, kxx, kyy, kxy);
  };
}

/** a_i . c for each centred row. */
function offsets(a: CentredRows, dim: number, centre: Float64Array): Float64Array {
  const out = new Float64Array(a.n);
  for (let i = 0; i < a.n; i++) {
    let s = 0;
    for (let k = 0; k < dim; k++) s += a.rows[i * dim + k] * centre[k];
    out[i] = s;
  }
  return out;
}

/** PRDC's rows: at most maxSamples per side, drawn by one RandomState(seed), real side first. */
interface PrdcPlan {
  k: number;
  real: Uint32Array | null;
  nReal: number;
  fake: Uint32Array | null;
  nFake: number;
}

function planPrdc(
  real: FeatureRows,
  nReal: number,
  fake: FeatureRows,
  nFake: number,
  dim: number,
  opts: PrdcOptions,
): PrdcPlan {
  const k = opts.k ?? 5;
  const maxSamples = opts.maxSamples ?? 10000;
  const seed = opts.seed ?? 2020;
  if (!Number.isInteger(k) || k < 1) {
    throw new InvalidInputError("prdc_bad_k", `k (nearest neighbours) must be a positive integer, got ${k}`);
  }
  checkMaxSamples("prdc", maxSamples);
  checkFeatureRows("prdc", "real features", real, nReal, dim);
  checkFeatureRows("prdc", "fake features", fake, nFake, dim);
  const rng = new RandomState(seed);
  const realIdx = nReal > maxSamples ? rng.choice(nReal, maxSamples, false) : null;
  const fakeIdx = nFake > maxSamples ? rng.choice(nFake, maxSamples, false) : null;
  const plan = {
    k,
    real: realIdx,
    nReal: Math.min(nReal, maxSamples),
    fake: fakeIdx,
    nFake: Math.min(nFake, maxSamples),
  };
  for (const [side, n] of [["real", plan.nReal], ["fake", plan.nFake]] as const) {
    if (n < k + 1) {
      throw new UnprocessableError(
        "prdc_too_few_samples",
        `PRDC with k = ${k} needs at least k + 1 = ${k + 1} ${side} feature rows (each sample's k-th ` +
          `nearest neighbour), got ${n}; lower k or add samples`,
      );
    }
  }
  return plan;
}

function prdcResult(t: ReturnType<typeof crossCollector>["tally"], plan: PrdcPlan): PrdcResult {
  let precise = 0, inBalls = 0, covered = 0, recalled = 0;
  for (let j = 0; j < plan.nFake; j++) {
    if (t.ballsHoldingFake[j] > 0) precise++;
    inBalls += t.ballsHoldingFake[j];
  }
  for (let i = 0; i < plan.nReal; i++) {
    covered += t.realCovered[i];
    recalled += t.realRecalled[i];
  }
  return {
    precision: precise / plan.nFake,
    recall: recalled / plan.nReal,
    density: inBalls / (plan.k * plan.nFake),
    coverage: covered / plan.nReal,
    k: plan.k,
    realSamples: plan.nReal,
    fakeSamples: plan.nFake,
  };
}

/** The pairwise mean's rows: at most maxSamples, drawn by RandomState(seed). */
function planPairwise(x: FeatureRows, n: number, dim: number, opts: MeanPairwiseDistanceOptions) {
  const maxSamples = opts.maxSamples ?? 5000;
  const seed = opts.seed ?? 2020;
  checkMaxSamples("pairwise", maxSamples);
  checkFeatureRows("pairwise", "features", x, n, dim);
  if (n < 2) {
    throw new UnprocessableError(
      "pairwise_too_few_samples",
      `the mean pairwise distance needs at least 2 feature rows, got ${n}`,
    );
  }
  return n > maxSamples
    ? { idx: new RandomState(seed).choice(n, maxSamples, false), n: maxSamples }
    : { idx: null, n };
}

/** CMMD's rows: at most maxSamples per side, drawn by one RandomState(seed), generated side (x) first. */
function planCmmd(
  x: FeatureRows,
  nx: number,
  y: FeatureRows,
  ny: number,
  dim: number,
  opts: CmmdOptions,
) {
  const maxSamples = opts.maxSamples ?? 10000;
  const seed = opts.seed ?? 2020;
  checkMaxSamples("cmmd", maxSamples);
  checkFeatureRows("cmmd", "generated features", x, nx, dim);
  checkFeatureRows("cmmd", "reference features", y, ny, dim);
  if (nx < 1 || ny < 1) {
    throw new UnprocessableError(
      "cmmd_too_few_samples",
      `CMMD needs at least 1 row a side, got ${nx} generated and ${ny} reference rows`,
    );
  }
  const rng = new RandomState(seed);
  const xi = nx > maxSamples ? rng.choice(nx, maxSamples, false) : null;
  const yi = ny > maxSamples ? rng.choice(ny, maxSamples, false) : null;
  return { x: xi, nx: Math.min(nx, maxSamples), y: yi, ny: Math.min(ny, maxSamples) };
}

/** Whether two row selections are the same rows in the same order (null: all rows). */
function sameRows(a: Uint32Array | null, b: Uint32Array | null, na: number, nb: number): boolean {
  if (na !== nb) return false;
  if (a === null || b === null) return a === b || isIdentity(a ?? b!);
  for (let i = 0; i < na; i++) if (a[i] !== b[i]) return false;
  return true;
}

function isIdentity(idx: Uint32Array): boolean {
  for (let i = 0; i < idx.length; i++) if (idx[i] !== i) return false;
  return true;
}
