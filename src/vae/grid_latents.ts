/** The latents each grid decodes, row-major, with the grid's column count and a caption saying what it shows. */

import { dimensionSweep, interpolateLatents, linspace } from "./latent_layouts.ts";
import { gridDims, type GridSpec } from "./grid_request.ts";
import { priorSamples } from "./prior.ts";

/** Latents of a grid: n rows of length latentDim, laid out in `cols` columns. */
export interface GridLatents {
  z: Float32Array;
  n: number;
  cols: number;
}

/** The latents of a samples, traversal or dimensions grid (interpolation needs the encoder: see below). */
export function gridLatents(
  spec: Exclude<GridSpec, { kind: "interpolation" }>,
  latentDim: number,
): GridLatents {
  const d = latentDim;
  switch (spec.kind) {
    case "samples":
      return { z: priorSamples(spec.seed, spec.n, d), n: spec.n, cols: Math.min(spec.cols, spec.n) };
    case "traversal": {
      const ends = priorSamples(spec.seed, 2 * spec.rows, d);
      const z = new Float32Array(spec.rows * spec.steps * d);
      for (let r = 0; r < spec.rows; r++) {
        const a = ends.subarray(2 * r * d, (2 * r + 1) * d),
          b = ends.subarray((2 * r + 1) * d, (2 * r + 2) * d);
        z.set(interpolateLatents(a, b, spec.steps), r * spec.steps * d);
      }
      return { z, n: spec.rows * spec.steps, cols: spec.steps };
    }
    case "dimensions": {
      const base = spec.base === "prior" ? priorSamples(spec.seed, 1, d) : new Float32Array(d);
      const dims = gridDims(spec, d);
      const z = dimensionSweep(base, dims, linspace(spec.range[0], spec.range[1], spec.steps));
      return { z, n: dims.length * spec.steps, cols: spec.steps };
    }
  }
}

/** The latents between two encoded means (2 x latentDim, row-major): `steps` rows from the first to the second. */
export function interpolationLatents(means: Float32Array, latentDim: number, steps: number): Float32Array {
  return interpolateLatents(means.subarray(0, latentDim), means.subarray(latentDim, 2 * latentDim), steps);
}

function dimList(dims: number[]): string {
  const sorted = [...dims].sort((a, b) => a - b);
  const contiguous = sorted.every((v, i) => i === 0 || v === sorted[i - 1] + 1);
  return contiguous && dims.length > 2 && dims.every((v, i) => v === sorted[i])
    ? `${sorted[0]}-${sorted[sorted.length - 1]}`
    : dims.join(", ");
}

/** A one-line human description of a grid. */
export function gridCaption(spec: GridSpec, latentDim: number, withInputs = false): string {
  switch (spec.kind) {
    case "samples":
      return `${spec.n} samples from the prior N(0, I), seed ${spec.seed}`;
    case "traversal":
      return `Latent traversal: ${
        spec.rows === 1 ? "a straight line" : `${spec.rows} straight lines`
      } between ` +
        `two prior samples in ${spec.steps} steps, seed ${spec.seed}`;
    case "interpolation":
      return `Interpolation between two inputs' latent means in ${spec.steps} steps` +
        (withInputs ? " (first and last tiles: the inputs)" : "");
    case "dimensions": {
      const dims = gridDims(spec, latentDim);
      return `Dimensions ${dimList(dims)} (one row each) from ${spec.range[0]} to ${spec.range[1]} in ` +
        `${spec.steps} steps; other coordinates ${
          spec.base === "zeros" ? "zero" : `a prior sample, seed ${spec.seed}`
        }`;
    }
  }
}
