/** `kid A B`: Kernel Inception Distance between two feature sets. */

import { UnprocessableError } from "../src/errors.ts";
import { kernelInceptionDistance } from "../src/stats/kid.ts";
import { expectPositionals, intFlag, parseArgs } from "./args.ts";
import { readFeatures } from "./inputs.ts";
import { cliLinalg, onAllCores } from "./native.ts";

/** Usage line of the command. */
export const KID_USAGE =
  'kid A B [--subsets S] [--subset-size M] [--seed K]   features .npy only -> {"kid_mean","kid_std"}';

/** Run `kid` and return its result object. */
export async function kidCommand(argv: string[]): Promise<{ kid_mean: number; kid_std: number }> {
  const args = parseArgs(argv, { subsets: "int", "subset-size": "int", seed: "int" });
  const [a, b] = expectPositionals(args, 2, "two feature files: kid A B");
  const subsets = intFlag(args, "subsets", 100, 1);
  const subsetSize = intFlag(args, "subset-size", 1000, 2);
  const seed = intFlag(args, "seed", 2020, 0);
  const x = await readFeatures(a);
  const y = await readFeatures(b);
  if (x.dim !== y.dim) {
    throw new UnprocessableError("feature_dim_mismatch", `${a} has D = ${x.dim} but ${b} has D = ${y.dim}`);
  }
  const native = cliLinalg();
  const r = onAllCores(() =>
    kernelInceptionDistance(x.data, x.n, y.data, y.n, x.dim, { subsets, subsetSize, seed }, { native })
  );
  return { kid_mean: r.mean, kid_std: r.std };
}
