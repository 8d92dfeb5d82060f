/**
 * `deno task fid A B` (cli/fid_dirs.ts), the counterpart of `python -m pytorch_fid`, checked against an
 * independent computation: each image's features extracted in this thread through the registry, a plain
 * two-pass mean and covariance, then frechetDistance.
 */
import assert from "node:assert/strict";
import { frechetDistance } from "../../src/stats/frechet.ts";
import { parseNpz } from "../../src/tensors/npz.ts";
import { naiveMeanCov } from "../../tools/arrays.ts";
import { digitImages } from "../_support/digits.ts";
import { tempFiles } from "./_cli.ts";
import { digitImage, featuresInThread, type TestImage, writePng } from "./_images.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Runs `deno run -A cli/fid_dirs.ts ...args` (what `deno task fid` runs). */
async function runFid(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli/fid_dirs.ts", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", FIDSTREAM_BACKEND: "wasm", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout).trimEnd();
  const stderr = new TextDecoder().decode(out.stderr);
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(stdout.split("\n").pop()!);
  } catch { /* no JSON line */ }
  return { code: out.code, stderr, json };
}

/** `count` real digits from `offset`; every third one as a tinted RGB image, every fifth upscaled to 32 x 32. */
function digitSet(count: number, offset: number): TestImage[] {
  const pixels = digitImages(count, offset, 13);
  return Array.from({ length: count }, (_, i) => {
    const d = pixels.subarray(i * 784, (i + 1) * 784);
    if (i % 5 !== 4) return digitImage(d, i % 3 === 0);
    const big = new Uint8Array(32 * 32); // nearest-neighbour upscale: another size in the same folder
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) big[y * 32 + x] = d[(y * 28 >> 5) * 28 + (x * 28 >> 5)];
    }
    return { width: 32, height: 32, channels: 1, pixels: big };
  });
}

async function writeFolder(dir: string, images: TestImage[]): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  for (let i = 0; i < images.length; i++) {
    await writePng(`${dir}/${String(i).padStart(4, "0")}.png`, images[i]);
  }
}

/** The oracle: per-image features in this thread, naive mean/covariance. */
async function oracleStats(images: TestImage[]) {
  const rows = await featuresInThread("mnist-lenet", images);
  const flat = new Float64Array(rows.length * 128);
  rows.forEach((r, i) => flat.set(r, i * 128));
  return naiveMeanCov(flat, rows.length, 128);
}

function relClose(got: number, want: number, tol: number): boolean {
  return Math.abs(got - want) <= tol * Math.max(1, Math.abs(want));
}

Deno.test("fid of two PNG folders (mnist-lenet) equals per-image features + naive mean/cov + frechetDistance; --save-stats agrees", async () => {
  const t = await tempFiles();
  try {
    // More images than the 128 feature dimensions, so both covariances have full rank.
    const a = digitSet(150, 0), b = digitSet(140, 5000);
    await writeFolder(`${t.dir}/a`, a);
    await writeFolder(`${t.dir}/b`, b);
    const [sa, sb] = [await oracleStats(a), await oracleStats(b)];
    const expected = frechetDistance(sa.mu, sa.cov, sb.mu, sb.cov);
    assert.ok(expected > 0.5, `the two sets differ: ${expected}`);

    const r = await runFid([
      `${t.dir}/a`,
      `${t.dir}/b`,
      "--model",
      "mnist-lenet",
      "--workers",
      "2",
      "--batch-size",
      "24",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(relClose(r.json!.fid as number, expected, 1e-6), `${r.json!.fid} vs ${expected}`);
    assert.deepEqual([r.json!.n_a, r.json!.n_b, r.json!.model, r.json!.dim], [150, 140, "mnist-lenet", 128]);
    assert.match(r.stderr, /100% 150\/150 images/);
    assert.match(r.stderr, /100% 140\/140 images/);

    // pytorch-fid's --save-stats: the first path is the input, the second the output.
    const saved = await runFid([
      "--save-stats",
      `${t.dir}/a`,
      `${t.dir}/a.npz`,
      "--model",
      "mnist-lenet",
      "--workers",
      "1",
    ]);
    assert.equal(saved.code, 0, saved.stderr);
    assert.deepEqual([saved.json!.n, saved.json!.dim], [150, 128]);
    const arrays = parseNpz(await Deno.readFile(`${t.dir}/a.npz`));
    const mu = arrays.get("mu")!, sigma = arrays.get("sigma")!;
    assert.deepEqual([mu.dtype, mu.shape, sigma.dtype, sigma.shape], ["float64", [128], "float64", [
      128,
      128,
    ]]);
    for (let i = 0; i < 128; i++) assert.ok(relClose(mu.data[i], sa.mu[i], 1e-6), `mu[${i}]`);
    let worst = 0;
    for (let i = 0; i < 128 * 128; i++) worst = Math.max(worst, Math.abs(sigma.data[i] - sa.cov[i]));
    assert.ok(worst < 1e-6, `sigma off by ${worst}`);

    // A stats file stands in for its folder, as in pytorch-fid.
    const mixed = await runFid([`${t.dir}/a.npz`, `${t.dir}/b`, "--model", "mnist-lenet", "--workers", "1"]);
    assert.equal(mixed.code, 0, mixed.stderr);
    assert.ok(relClose(mixed.json!.fid as number, expected, 1e-6), `${mixed.json!.fid} vs ${expected}`);
    assert.equal(mixed.json!.n_a, null);
  } finally {
    await t.cleanup();
  }
});

Deno.test("fid: a folder against itself is 0; usage and input errors are clear", async () => {
  const t = await tempFiles();
  try {
    const imgs = digitSet(12, 200);
    await writeFolder(`${t.dir}/a`, imgs);
    await Deno.mkdir(`${t.dir}/empty`);
    const same = await runFid([`${t.dir}/a`, `${t.dir}/a`, "--model", "mnist-lenet", "--workers", "1"]);
    assert.equal(same.code, 0, same.stderr);
    assert.ok(Math.abs(same.json!.fid as number) < 1e-6, String(same.json!.fid));

    const stats3 = await t.npz("s3.npz", {
      mu: { dtype: "float64", shape: [3], data: new Float64Array(3) },
      sigma: { dtype: "float64", shape: [3, 3], data: Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]) },
    });
    const cases: [string[], number, RegExp][] = [
      [[`${t.dir}/a`], 2, /expected two inputs/],
      [["--save-stats", stats3, `${t.dir}/o.npz`], 2, /already a statistics file/],
      [[`${t.dir}/a`, `${t.dir}/a`, "--model", "nope"], 2, /not a feature space/],
      [[`${t.dir}/empty`, `${t.dir}/a`], 1, /holds no \.png/],
      [[stats3, `${t.dir}/a`, "--model", "mnist-lenet", "--workers", "1"], 1, /3-d statistics .* 128-d/],
    ];
    for (const [argv, code, pattern] of cases) {
      const r = await runFid(argv);
      assert.equal(r.code, code, `${argv.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, pattern, argv.join(" "));
    }
    // fid-inception (the default) without weights: the error says how to get them, and what works offline.
    const noWeights = await runFid([`${t.dir}/a`, `${t.dir}/a`], {
      FIDSTREAM_DATA_DIR: `${t.dir}/empty-data`,
    });
    assert.equal(noWeights.code, 1, noWeights.stderr);
    assert.match(noWeights.stderr, /models:fetch/);
    assert.match(noWeights.stderr, /hint: `--model mnist-lenet` needs no download/);
  } finally {
    await t.cleanup();
  }
});
