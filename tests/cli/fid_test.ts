import assert from "node:assert/strict";
import { matrix, randomRows, runCli, tempFiles } from "./_cli.ts";

/** Naive sample mean and variance (ddof 1) of one column. */
function meanVar(xs: number[]): [number, number] {
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  return [m, xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1)];
}

/** Closed form for 1-D Gaussians: (m1 - m2)^2 + v1 + v2 - 2 sqrt(v1 v2). */
function fid1d(m1: number, v1: number, m2: number, v2: number): number {
  return (m1 - m2) ** 2 + v1 + v2 - 2 * Math.sqrt(v1 * v2);
}

Deno.test("fid of two 1-D feature files equals the closed form from their means and variances", async () => {
  const t = await tempFiles();
  try {
    const x = randomRows(40, 1, 1).map((r) => r[0]);
    const y = randomRows(55, 1, 2, 0.5, 3).map((r) => r[0]);
    const a = await t.npy("a.npy", matrix(x.map((v) => [v])));
    const b = await t.npy("b.npy", matrix(y.map((v) => [v])));
    const r = await runCli(["fid", a, b]);
    assert.equal(r.code, 0, r.stderr);
    const expected = fid1d(...meanVar(x), ...meanVar(y));
    assert.ok(
      Math.abs((r.json!.fid as number) - expected) < 1e-9 * Math.max(1, expected),
      `${r.json!.fid} vs ${expected}`,
    );
    assert.deepEqual(Object.keys(r.json!), ["fid"]);
  } finally {
    await t.cleanup();
  }
});

Deno.test("fid of two diagonal stats .npz files equals the per-dimension closed form; features vs stats mix", async () => {
  const t = await tempFiles();
  try {
    const mu1 = [0.5, -1, 2], var1 = [1, 4, 0.25];
    const mu2 = [0, 1, 2.5], var2 = [2, 1, 0.25];
    const diag = (v: number[]) => v.map((x, i) => v.map((_, j) => (i === j ? x : 0)));
    const stats = (mu: number[], v: number[]) => ({
      mu: { dtype: "float64" as const, shape: [mu.length], data: Float64Array.from(mu) },
      sigma: matrix(diag(v)),
    });
    const a = await t.npz("a.npz", stats(mu1, var1));
    const b = await t.npz("b.npz", stats(mu2, var2));
    const r = await runCli(["fid", a, b]);
    assert.equal(r.code, 0, r.stderr);
    const expected = [0, 1, 2].reduce((s, i) => s + fid1d(mu1[i], var1[i], mu2[i], var2[i]), 0);
    assert.ok(Math.abs((r.json!.fid as number) - expected) < 1e-9, `${r.json!.fid} vs ${expected}`);

    // A 1-D features .npy against a 1-D stats .npz.
    const x = randomRows(30, 1, 3).map((r) => r[0]);
    const f = await t.npy("f.npy", matrix(x.map((v) => [v])));
    const s = await t.npz("s.npz", stats([1.5], [0.5]));
    const mixed = await runCli(["fid", f, s]);
    assert.equal(mixed.code, 0, mixed.stderr);
    const e2 = fid1d(...meanVar(x), 1.5, 0.5);
    assert.ok(Math.abs((mixed.json!.fid as number) - e2) < 1e-9, `${mixed.json!.fid} vs ${e2}`);
  } finally {
    await t.cleanup();
  }
});

Deno.test("fid fails with exit 1 and the reason on stderr for mismatched dimensions or a bad file", async () => {
  const t = await tempFiles();
  try {
    const a = await t.npy("a.npy", matrix(randomRows(10, 2, 1)));
    const b = await t.npy("b.npy", matrix(randomRows(10, 3, 2)));
    const r = await runCli(["fid", a, b]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /dimension/);
    assert.equal(r.stdout, "");
    const bad = `${t.dir}/bad.npy`;
    await Deno.writeTextFile(bad, "not numpy");
    const r2 = await runCli(["fid", a, bad]);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /bad\.npy: .*npy_bad_magic/);
    const r3 = await runCli(["fid", a, `${t.dir}/missing.npy`]);
    assert.equal(r3.code, 1);
    assert.match(r3.stderr, /cannot read .*missing\.npy/);
  } finally {
    await t.cleanup();
  }
});

Deno.test("fid with the wrong number of arguments is a usage error (exit 2)", async () => {
  const r = await runCli(["fid", "only-one.npy"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /usage: deno task cli fid A B/);
});

Deno.test("fid of a file with itself is 0, never a rounding negative", async () => {
  const t = await tempFiles();
  try {
    // Unclamped, the distance of these rows to themselves rounds to a few -1e-15 (tests/stats/frechet_test.ts).
    const a = await t.npy("same.npy", matrix(randomRows(50, 16, 1)));
    const r = await runCli(["fid", a, a]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json!.fid, 0);
  } finally {
    await t.cleanup();
  }
});
