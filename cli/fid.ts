/** `fid A B`: Frechet distance between two feature sets or stats files. */

import { frechetDistance } from "../src/stats/frechet.ts";
import { expectPositionals, parseArgs } from "./args.ts";
import { readStats } from "./inputs.ts";
import { cliLinalg, onAllCores } from "./native.ts";

/** Usage line of the command. */
export const FID_USAGE =
  'fid A B            A, B: features .npy (N x D) or stats .npz (mu, sigma) -> {"fid"}';

/** Run `fid` and return its result object. */
export async function fidCommand(argv: string[]): Promise<{ fid: number }> {
  const [a, b] = expectPositionals(parseArgs(argv, {}), 2, "two inputs: fid A B");
  const sa = await readStats(a);
  const sb = await readStats(b);
  const native = cliLinalg();
  return { fid: onAllCores(() => frechetDistance(sa.mu, sa.sigma, sb.mu, sb.sigma, { native })) };
}
