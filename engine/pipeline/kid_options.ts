/** KID settings of a run, from its config: `"kid": false` turns KID off; `{subsets, subset_size, seed}` tunes it. */
import { UnprocessableError } from "../../src/errors.ts";

/** Options for kernelInceptionDistance, or null when the run turned KID off. */
export interface KidOptions {
  subsets?: number;
  subsetSize?: number;
  seed?: number;
}

/** Reads and validates config.kid (torch-fidelity defaults apply to what is left out). */
export function kidOptions(config: Record<string, unknown>): KidOptions | null {
  const kid = config.kid;
  if (kid === false) return null;
  if (kid === undefined || kid === true) return {};
  if (typeof kid !== "object" || kid === null || Array.isArray(kid)) {
    throw new UnprocessableError(
      "bad_kid_config",
      'config.kid must be false or {"subsets","subset_size","seed"}',
    );
  }
  const k = kid as Record<string, unknown>;
  const int = (name: string, min: number, max: number) => {
    const v = k[name];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      throw new UnprocessableError(
        "bad_kid_config",
        `config.kid.${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`,
      );
    }
    return v;
  };
  // Bounds keep a finalize from becoming a denial of service: 10 x torch-fidelity's defaults at most.
  return {
    subsets: int("subsets", 1, 1000),
    subsetSize: int("subset_size", 2, 10_000),
    seed: int("seed", 0, 2 ** 32 - 1),
  };
}
