/**
 * CMMD settings of a run, from its config: `"cmmd": false` turns it off; `{"max_samples":10000,"seed":2020}`
 * tunes it. CMMD is computed only where the reference lives in a CLIP space (src/features/declared_spaces.ts).
 */
import { UnprocessableError } from "../../src/errors.ts";
import type { CmmdOptions } from "../../src/stats/cmmd.ts";
import { configInt } from "./config_int.ts";

/** Reads and validates config.cmmd (null when the run turned it off). */
export function cmmdOptions(config: Record<string, unknown>): Required<CmmdOptions> | null {
  const v = config.cmmd;
  if (v === false) return null;
  const o = v === undefined || v === true ? {} : v;
  if (typeof o !== "object" || o === null || Array.isArray(o)) {
    throw new UnprocessableError("bad_cmmd_config", 'config.cmmd must be false or {"max_samples","seed"}');
  }
  const int = configInt("cmmd", o as Record<string, unknown>);
  // The published estimator's 10,000 rows a side at most: its cost grows with the square.
  return { maxSamples: int("max_samples", 10_000, 2, 10_000), seed: int("seed", 2020, 0, 2 ** 32 - 1) };
}
