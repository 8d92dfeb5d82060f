/** `fid A B`: Frechet distance between two feature sets or stats files. */

import { frechetDistance } from "../src/stats/frechet.ts";
import { expectPositionals, parseArgs } from "./args.ts";
import { readStats } from "./inputs.ts";
import type { ProcessConfig } from "../functions/config.ts";
import { cliNative } from "./native.ts";

/** Usage line of the command. */
export const FID_USAGE =
  'fid A B            A, B: features .npy (N x D) or stats .npz (mu, sigma) -> {"fid"}';

/** Run `fid` and return its result object. */
export async function fidCommand(argv: string[], config: ProcessConfig): Promise<{ fid: number }> {
  const [a, b] = expectPositionals(parseArgs(argv, {}), 2, "two inputs: fid A B");
  const native = cliNative(config.extraction.openblasLibrary);
  const sa = await readStats(a, native);
  const sb = await readStats(b, native);
  return {
    fid: native.onAllCores(() =>
      frechetDistance(sa.mu, sa.sigma, sb.mu, sb.sigma, { native: native.linalg })
    ),
  };
}
