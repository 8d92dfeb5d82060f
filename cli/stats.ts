/** `stats FEATURES.npy --out STATS.npz`: write pytorch-fid compatible statistics (mu, sigma as float64). */

import { statsArrays } from "../src/stats/stats_file.ts";
import { encodeNpz } from "../src/tensors/npz.ts";
import { expectPositionals, parseArgs, UsageError } from "./args.ts";
import type { ProcessConfig } from "../functions/config.ts";
import { featureStats, readFeatures } from "./inputs.ts";
import { cliNative } from "./native.ts";

/** Usage line of the command. */
export const STATS_USAGE =
  'stats FEATURES.npy --out STATS.npz   pytorch-fid mu (D), sigma (D x D) -> {"n","dim","out"}';

/** Run `stats` and return its result object. */
export async function statsCommand(
  argv: string[],
  config: ProcessConfig,
): Promise<{ n: number; dim: number; out: string }> {
  const args = parseArgs(argv, { out: "string" });
  const [path] = expectPositionals(args, 1, "one feature file: stats FEATURES.npy --out STATS.npz");
  const out = args.flags.get("out") as string | undefined;
  if (!out) throw new UsageError("--out STATS.npz is required");
  const features = await readFeatures(path);
  const { mu, sigma } = featureStats(features, cliNative(config.extraction.openblasLibrary));
  // pytorch-fid's save_fid_stats writes with np.savez_compressed.
  await Deno.writeFile(out, encodeNpz(statsArrays(mu, sigma), { compress: true }));
  return { n: features.n, dim: features.dim, out };
}
