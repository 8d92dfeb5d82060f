/** Test helpers for tests/cli: run the CLI as a subprocess, write .npy/.npz inputs to a temp dir. */

import { encodeNpy, type NdArray } from "../../src/tensors/npy.ts";
import { encodeNpz } from "../../src/tensors/npz.ts";
import { seededRandom } from "../../tools/arrays.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** What a CLI run produced: exit code, raw streams, and the last stdout line parsed as JSON (if any). */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: Record<string, unknown> | undefined;
}

/** Run `deno run -A cli/main.ts ...args` from the repository root. */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli/main.ts", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  const lines = stdout.trimEnd().split("\n");
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(lines[lines.length - 1]);
  } catch {
    json = undefined;
  }
  return { code: out.code, stdout, stderr, json };
}

/** A float64 N x D matrix as an NdArray. */
export function matrix(rows: number[][]): NdArray {
  return {
    dtype: "float64",
    shape: [rows.length, rows[0]?.length ?? 0],
    data: Float64Array.from(rows.flat()),
  };
}

/** A temp dir with helpers to write inputs into it; call cleanup() at the end. */
export async function tempFiles() {
  const dir = await Deno.makeTempDir({ prefix: "fidstream_cli_" });
  return {
    dir,
    async npy(name: string, a: NdArray): Promise<string> {
      const path = `${dir}/${name}`;
      await Deno.writeFile(path, encodeNpy(a));
      return path;
    },
    async npz(name: string, arrays: Record<string, NdArray>): Promise<string> {
      const path = `${dir}/${name}`;
      await Deno.writeFile(path, encodeNpz(arrays, { compress: true }));
      return path;
    },
    async cleanup() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** n x d matrix of seeded uniform values in [lo, hi). */
export function randomRows(n: number, d: number, seed: number, lo = -1, hi = 1): number[][] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => Array.from({ length: d }, () => lo + (hi - lo) * r()));
}
