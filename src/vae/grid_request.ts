/**
 * What a grid request asks for, validated and with every default filled in, so that two requests meaning
 * the same thing have the same canonical form (and therefore the same stored image).
 *
 *   samples        n prior samples (default 64, seed 0) in `cols` columns (default ceil(sqrt(n)))
 *   traversal      `rows` straight lines (default 1) between pairs of prior samples, `steps` frames each (10)
 *   interpolation  a straight line between the encoder's latent means of two uploaded images, `steps` frames
 *   dimensions     one row per latent dimension (all, or `dims`): that coordinate swept over `range`
 *                  (default [-3, 3]) in `steps` (10), the others fixed at `base`: "zeros" or a seeded "prior" draw
 */

import { InvalidInputError } from "../errors.ts";

/** Largest grid, in tiles. */
export const MAX_GRID_TILES = 4096;

/** A validated grid request. */
export type GridSpec =
  | { kind: "samples"; n: number; seed: number; cols: number }
  | { kind: "traversal"; steps: number; rows: number; seed: number }
  | { kind: "interpolation"; steps: number; include_inputs: boolean | null }
  | {
    kind: "dimensions";
    dims: number[] | "all";
    range: [number, number];
    steps: number;
    base: "zeros" | "prior";
    seed: number;
  };

/** The grid kinds. */
export const GRID_KINDS = ["samples", "traversal", "interpolation", "dimensions"] as const;

const ALLOWED: Record<GridSpec["kind"], string[]> = {
  samples: ["n", "seed", "cols"],
  traversal: ["steps", "rows", "seed"],
  interpolation: ["steps", "include_inputs"],
  dimensions: ["dims", "range", "steps", "base", "seed"],
};

function int(raw: Record<string, unknown>, key: string, dflt: number, lo: number, hi: number): number {
  const v = raw[key] === undefined ? dflt : raw[key];
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) {
    throw new InvalidInputError("grid_bad_parameter", `${key} must be an integer from ${lo} to ${hi}`);
  }
  return v;
}

function seed(raw: Record<string, unknown>): number {
  return int(raw, "seed", 0, 0, 0xffffffff);
}

function numberList(v: unknown, key: string): number[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === "number" && Number.isFinite(x))) {
    throw new InvalidInputError("grid_bad_parameter", `${key} must be a list of numbers`);
  }
  return v as number[];
}

function bool(v: unknown, key: string): boolean | null {
  if (v === undefined) return null;
  if (typeof v === "boolean") return v;
  throw new InvalidInputError("grid_bad_parameter", `${key} must be true or false`);
}

/** Keys whose query-string form is an integer, a comma-separated list of numbers, or true/false. */
const QUERY_INTS = new Set(["n", "seed", "cols", "steps", "rows"]);
const QUERY_LISTS = new Set(["dims", "range"]);
const QUERY_BOOLS = new Set(["include_inputs"]);

/**
 * A query string's grid parameters as the JSON values they stand for ("12" -> 12, "0,1" -> [0, 1], "true" ->
 * true). Only exact spellings convert: anything else stays a string, and parseGridSpec refuses it.
 */
export function gridQuery(query: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query)) {
    if (QUERY_INTS.has(key) && /^-?\d{1,16}$/.test(value)) out[key] = Number(value);
    else if (QUERY_LISTS.has(key) && value !== "all" && /^-?[\d.eE+-]+(,-?[\d.eE+-]+)*$/.test(value)) {
      out[key] = value.split(",").map(Number);
    } else if (QUERY_BOOLS.has(key) && (value === "true" || value === "false")) out[key] = value === "true";
    else out[key] = value;
  }
  return out;
}

/** Validates a grid request given as JSON values (query strings go through gridQuery first); unknown keys: 400. */
export function parseGridSpec(raw: Record<string, unknown>): GridSpec {
  const kind = raw.kind;
  if (typeof kind !== "string" || !(GRID_KINDS as readonly string[]).includes(kind)) {
    throw new InvalidInputError("grid_bad_kind", `kind must be one of ${GRID_KINDS.join(", ")}`);
  }
  const k = kind as GridSpec["kind"];
  for (const key of Object.keys(raw)) {
    if (key !== "kind" && !ALLOWED[k].includes(key)) {
      throw new InvalidInputError(
        "grid_bad_parameter",
        `${k} grids take ${ALLOWED[k].join(", ")}; '${key}' is not one of them`,
      );
    }
  }
  switch (k) {
    case "samples": {
      const n = int(raw, "n", 64, 1, 1024);
      return { kind: k, n, seed: seed(raw), cols: int(raw, "cols", Math.ceil(Math.sqrt(n)), 1, 64) };
    }
    case "traversal":
      return {
        kind: k,
        steps: int(raw, "steps", 10, 2, 64),
        rows: int(raw, "rows", 1, 1, 64),
        seed: seed(raw),
      };
    case "interpolation":
      return {
        kind: k,
        steps: int(raw, "steps", 10, 2, 64),
        include_inputs: bool(raw.include_inputs, "include_inputs"),
      };
    case "dimensions": {
      let dims: number[] | "all" = "all";
      if (raw.dims !== undefined && raw.dims !== "all") {
        dims = numberList(raw.dims, "dims");
        if (dims.length === 0 || !dims.every((d) => Number.isInteger(d) && d >= 0)) {
          throw new InvalidInputError("grid_bad_parameter", 'dims must be "all" or a list of latent indices');
        }
        if (new Set(dims).size !== dims.length) {
          throw new InvalidInputError("grid_bad_parameter", "dims lists a dimension twice");
        }
      }
      const range = raw.range === undefined ? [-3, 3] : numberList(raw.range, "range");
      if (
        range.length !== 2 || !(range[0] < range[1]) || Math.abs(range[0]) > 1e3 || Math.abs(range[1]) > 1e3
      ) {
        throw new InvalidInputError(
          "grid_bad_parameter",
          "range must be [low, high] with low < high, within +-1000",
        );
      }
      const base = raw.base ?? "zeros";
      if (base !== "zeros" && base !== "prior") {
        throw new InvalidInputError("grid_bad_parameter", 'base must be "zeros" or "prior"');
      }
      return {
        kind: k,
        dims,
        range: [range[0], range[1]],
        steps: int(raw, "steps", 10, 2, 64),
        base,
        seed: seed(raw),
      };
    }
  }
}

/** The dimensions a dimensions grid shows for a latent of size d (422-worthy indices are a 400 here). */
export function gridDims(spec: { dims: number[] | "all" }, latentDim: number): number[] {
  if (spec.dims === "all") return Array.from({ length: latentDim }, (_, i) => i);
  for (const k of spec.dims) {
    if (k >= latentDim) {
      throw new InvalidInputError(
        "grid_bad_parameter",
        `dims lists ${k}, but the latent has dimensions 0..${latentDim - 1}`,
      );
    }
  }
  return spec.dims;
}

/** Number of tiles a grid will hold (for the size limit). */
export function gridTiles(spec: GridSpec, latentDim: number): number {
  switch (spec.kind) {
    case "samples":
      return spec.n;
    case "traversal":
      return spec.rows * spec.steps;
    case "interpolation":
      return spec.steps + 2;
    case "dimensions":
      return gridDims(spec, latentDim).length * spec.steps;
  }
}
