/**
 * `deno task fid A B`: the counterpart of `python -m pytorch_fid A B`. Each argument is a folder of PNG/JPEG
 * images (or an .npy image array) or a statistics .npz (mu, sigma). Images go through the model
 * (fid-inception by default, pytorch-fid's network and preprocessing) on the worker pool; their rows are
 * folded into float64 moments a block at a time, so memory does not grow with the number of images.
 *
 * `deno task fid --save-stats IMAGES OUT.npz` writes the statistics instead, as pytorch-fid's --save-stats does
 * (first path the input, second the output).
 */

import { FidstreamError, UnprocessableError } from "../src/errors.ts";
import type { FeatureRows } from "../src/features/extractor.ts";
import { frechetDistance } from "../src/stats/frechet.ts";
import { configFromEnv, type ProcessConfig } from "../functions/config.ts";
import { cliNative } from "./native.ts";
import {
  batchMoments,
  emptyMoments,
  mergeMomentsInto,
  type Moments,
  momentsCovariance,
  momentsMean,
} from "../src/stats/moments.ts";
import { type GaussianStats, readStatsArrays, statsArrays } from "../src/stats/stats_file.ts";
import { encodeNpz, parseNpz } from "../src/tensors/npz.ts";
import { expectPositionals, parseArgs, UsageError } from "./args.ts";
import {
  type Extraction,
  EXTRACTION_FLAGS,
  EXTRACTION_USAGE,
  extractionOptions,
  extractSource,
  startExtraction,
} from "./image_extraction.ts";
import { openImageSource } from "./image_inputs.ts";
import { isZip, readInput } from "./inputs.ts";

/** Usage text of the command. */
export const FID_DIRS_USAGE = `deno task fid A B [--model fid-inception|mnist-lenet] ${EXTRACTION_USAGE}
  A, B: folders of PNG/JPEG images, .npy image arrays or stats .npz (mu, sigma) -> {"fid","n_a","n_b","model"}
deno task fid --save-stats IMAGES OUT.npz [options]  -> pytorch-fid compatible mu/sigma (float64)`;

/** Rows are folded into the moments in blocks of at least this many (fewer, larger co-moment merges). */
const FOLD_ROWS = 512;

/** Gaussian statistics of an input and how many images made them (null for a stats file). */
export interface InputStats extends GaussianStats {
  n: number | null;
}

/** Accumulates feature rows into float64 moments, buffering small chunks into blocks of FOLD_ROWS rows. */
class MomentsAccumulator {
  #moments: Moments | undefined;
  #buffer: Float32Array = new Float32Array(0);
  #buffered = 0;
  #dim = 0;

  add(rows: FeatureRows): void {
    if (this.#moments === undefined) {
      this.#dim = rows.dim;
      this.#moments = emptyMoments(rows.dim);
      this.#buffer = new Float32Array(FOLD_ROWS * rows.dim);
    }
    if (rows.n >= FOLD_ROWS) {
      this.#fold(rows.data.subarray(0, rows.n * rows.dim), rows.n);
      return;
    }
    if (this.#buffered + rows.n > FOLD_ROWS) this.flush();
    this.#buffer.set(rows.data.subarray(0, rows.n * rows.dim), this.#buffered * this.#dim);
    this.#buffered += rows.n;
  }

  flush(): void {
    if (this.#buffered === 0) return;
    this.#fold(this.#buffer.subarray(0, this.#buffered * this.#dim), this.#buffered);
    this.#buffered = 0;
  }

  stats(): GaussianStats & { n: number } {
    this.flush();
    const m = this.#moments;
    if (m === undefined) throw new UnprocessableError("images_empty", "no images were extracted");
    return { dim: m.dim, n: m.n, mu: momentsMean(m), sigma: momentsCovariance(m) };
  }

  #fold(data: Float32Array, n: number): void {
    mergeMomentsInto(this.#moments!, batchMoments(data, n, this.#dim));
  }
}

/** Whether `path` is a statistics .npz (a zip) rather than images. */
async function isStatsFile(path: string): Promise<boolean> {
  const info = await Deno.stat(path).catch(() => undefined);
  if (!info?.isFile) return false;
  const file = await Deno.open(path);
  try {
    const head = new Uint8Array(4);
    const got = await file.read(head);
    return got !== null && isZip(head.subarray(0, got));
  } finally {
    file.close();
  }
}

/** Statistics of one input: read from a stats .npz, or extracted from images (opening the pool on first use). */
async function inputStats(path: string, extraction: () => Promise<Extraction>): Promise<InputStats> {
  if (await isStatsFile(path)) {
    const bytes = await readInput(path);
    try {
      return { ...readStatsArrays(parseNpz(bytes)), n: null };
    } catch (e) {
      if (e instanceof Error) e.message = `${path}: ${e.message}`;
      throw e;
    }
  }
  const source = await openImageSource(path);
  for (const file of source.skipped) console.error(`skipped ${file}: only PNG and JPEG are decoded`);
  const acc = new MomentsAccumulator();
  await extractSource(await extraction(), source, (rows) => acc.add(rows));
  try {
    return acc.stats();
  } catch (e) {
    if (e instanceof Error) e.message = `${path}: ${e.message}`;
    throw e;
  }
}

/** Run the command; returns its result object. */
export async function fidDirsCommand(
  argv: string[],
  config: ProcessConfig,
): Promise<Record<string, unknown>> {
  const args = parseArgs(argv, { ...EXTRACTION_FLAGS, "save-stats": "bool" });
  const saveStats = args.flags.get("save-stats") === true;
  const [a, b] = expectPositionals(
    args,
    2,
    saveStats ? "an input and an output: --save-stats IMAGES OUT.npz" : "two inputs: fid A B",
  );
  const opts = extractionOptions(args, config.extraction, "fid-inception");
  const native = cliNative(config.extraction.openblasLibrary);
  const model = opts.model;
  let ex: Extraction | undefined;
  const extraction = async () => (ex ??= await startExtraction(opts));
  try {
    if (saveStats) {
      if (await isStatsFile(a)) throw new UsageError(`${a} is already a statistics file`);
      const s = await inputStats(a, extraction);
      // pytorch-fid's save_fid_stats writes with np.savez_compressed.
      await Deno.writeFile(b, encodeNpz(statsArrays(s.mu, s.sigma), { compress: true }));
      return { n: s.n, dim: s.dim, out: b, model };
    }
    const sa = await inputStats(a, extraction);
    const sb = await inputStats(b, extraction);
    if (sa.dim !== sb.dim) {
      throw new UnprocessableError(
        "dimension_mismatch",
        `${a} has ${sa.dim}-d statistics but ${b} has ${sb.dim}-d; both must come from the same model and --dims`,
      );
    }
    return {
      fid: native.onAllCores(() =>
        frechetDistance(sa.mu, sa.sigma, sb.mu, sb.sigma, { native: native.linalg })
      ),
      n_a: sa.n,
      n_b: sb.n,
      model,
      dim: sa.dim,
    };
  } finally {
    await ex?.close();
  }
}

/** Runs the command with `argv`; returns the exit code (0, 1 for errors, 2 for usage errors). */
export async function main(argv: string[], config: ProcessConfig = configFromEnv()): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.error(`usage: ${FID_DIRS_USAGE}`);
    return 0;
  }
  try {
    console.log(JSON.stringify(await fidDirsCommand(argv, config)));
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}\nusage: ${FID_DIRS_USAGE}`);
      return 2;
    }
    if (e instanceof FidstreamError) console.error(`error: ${e.message} (${e.code})`);
    else console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    if (e instanceof FidstreamError && e.code === "fid_inception_weights_missing") {
      console.error(OFFLINE_HINT);
    }
    return 1;
  }
}

/** Shown when fid-inception has no weights: the model that works offline, with its weights in the repository. */
const OFFLINE_HINT = "hint: `--model mnist-lenet` needs no download (its weights are in this repository): " +
  "`deno task fid A B --model mnist-lenet` scores digit images (MNIST-like, 28x28 grayscale) offline";

if (import.meta.main) Deno.exit(await main(Deno.args));
