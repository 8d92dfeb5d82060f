/**
 * `kid FAKE REAL` (or `kid --fake FAKE --real REAL`): Kernel Inception Distance between generated and real
 * features. The order matters for the seeded estimate: each subset draws its generated rows first, then its real
 * rows, from one random stream (torch-fidelity's input1 = generated, input2 = real, as the service does too).
 */

import { UnprocessableError } from "../src/errors.ts";
import { kernelInceptionDistance } from "../src/stats/kid.ts";
import { intFlag, parseArgs, UsageError } from "./args.ts";
import { readFeatures } from "./inputs.ts";
import type { ProcessConfig } from "../functions/config.ts";
import { cliNative } from "./native.ts";

/** Usage line of the command. */
export const KID_USAGE =
  "kid FAKE.npy REAL.npy [--subsets S] [--subset-size M] [--seed K]   (or --fake FAKE.npy --real REAL.npy)\n" +
  '      generated features first, real second (torch-fidelity\'s order) -> {"kid_mean","kid_std"}';

/** The generated and the real feature files, from --fake/--real or two positionals in that order. */
function fakeAndReal(positionals: string[], fake?: string, real?: string): [string, string] {
  if (fake !== undefined || real !== undefined) {
    if (fake === undefined || real === undefined || positionals.length > 0) {
      throw new UsageError("give both --fake and --real (and no other files), or two files: kid FAKE REAL");
    }
    return [fake, real];
  }
  if (positionals.length !== 2) {
    throw new UsageError(`expected two feature files: kid FAKE REAL, got ${positionals.length} argument(s)`);
  }
  return [positionals[0], positionals[1]];
}

/** Run `kid` and return its result object. */
export async function kidCommand(
  argv: string[],
  config: ProcessConfig,
): Promise<{ kid_mean: number; kid_std: number }> {
  const args = parseArgs(argv, {
    subsets: "int",
    "subset-size": "int",
    seed: "int",
    fake: "string",
    real: "string",
  });
  const [a, b] = fakeAndReal(
    args.positionals,
    args.flags.get("fake") as string | undefined,
    args.flags.get("real") as string | undefined,
  );
  const subsets = intFlag(args, "subsets", 100, 1);
  const subsetSize = intFlag(args, "subset-size", 1000, 2);
  const seed = intFlag(args, "seed", 2020, 0);
  const x = await readFeatures(a);
  const y = await readFeatures(b);
  if (x.dim !== y.dim) {
    throw new UnprocessableError("feature_dim_mismatch", `${a} has D = ${x.dim} but ${b} has D = ${y.dim}`);
  }
  const native = cliNative(config.extraction.openblasLibrary);
  const r = native.onAllCores(() =>
    kernelInceptionDistance(x.data, x.n, y.data, y.n, x.dim, { subsets, subsetSize, seed }, {
      native: native.linalg,
    })
  );
  return { kid_mean: r.mean, kid_std: r.std };
}
