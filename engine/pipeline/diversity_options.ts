/**
 * Diversity settings of a run, from its config: `"prdc": false` turns precision/recall/density/coverage off;
 * `{"k":5,"max_samples":2000,"seed":2020}` tunes it. Fewer samples than Naeem et al.'s 10,000 by default so that
 * finalize stays in seconds at D=2048 (cost grows with the square of max_samples); raise it for publication numbers.
 */
import { UnprocessableError } from "../../src/errors.ts";
import { configInt } from "./config_int.ts";

/** Default rows per side for PRDC and the mean pairwise distance at finalize. */
export const DEFAULT_DIVERSITY_SAMPLES = 2000;

/** Validated PRDC options, or null when the run turned them off. */
export interface DiversityOptions {
  k: number;
  maxSamples: number;
  seed: number;
}

/** Reads and validates config.prdc. */
export function diversityOptions(config: Record<string, unknown>): DiversityOptions | null {
  const v = config.prdc;
  if (v === false) return null;
  const o = (v === undefined || v === true ? {} : v) as Record<string, unknown>;
  if (typeof o !== "object" || o === null || Array.isArray(o)) {
    throw new UnprocessableError(
      "bad_prdc_config",
      'config.prdc must be false or {"k","max_samples","seed"}',
    );
  }
  const int = configInt("prdc", o);
  // Naeem et al.'s 10,000 rows per side is the most a finalize may spend (minutes at D=2048).
  return {
    k: int("k", 5, 1, 100),
    maxSamples: int("max_samples", DEFAULT_DIVERSITY_SAMPLES, 2, 10_000),
    seed: int("seed", 2020, 0, 2 ** 32 - 1),
  };
}
