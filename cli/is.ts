/** `is LOGITS.npy`: Inception Score from N x C classifier logits. */

import { inceptionScore } from "../src/stats/inception_score.ts";
import { expectPositionals, intFlag, parseArgs } from "./args.ts";
import { readFeatures } from "./inputs.ts";

/** Usage line of the command. */
export const IS_USAGE =
  'is LOGITS.npy [--splits K] [--no-shuffle] [--seed K]   N x C logits -> {"is_mean","is_std"}';

/** Run `is` and return its result object. */
export async function isCommand(argv: string[]): Promise<{ is_mean: number; is_std: number }> {
  const args = parseArgs(argv, { splits: "int", "no-shuffle": "bool", seed: "int" });
  const [path] = expectPositionals(args, 1, "one logits file: is LOGITS.npy");
  const splits = intFlag(args, "splits", 10, 1);
  const seed = intFlag(args, "seed", 2020, 0);
  // Logits pass the same checks as features: 2-D, float, finite, at least one row.
  const logits = await readFeatures(path);
  const r = inceptionScore(logits.data, logits.n, logits.dim, {
    splits,
    shuffle: !args.flags.has("no-shuffle"),
    seed,
  });
  return { is_mean: r.mean, is_std: r.std };
}
