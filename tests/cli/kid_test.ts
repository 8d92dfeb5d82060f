import assert from "node:assert/strict";
import { matrix, randomRows, runCli, tempFiles } from "./_cli.ts";

/** Naive unbiased MMD^2 with the KID kernel k(x, y) = (x.y / d + 1)^3 over ALL rows (m = nx = ny). */
function naiveMmd2(x: number[][], y: number[][]): number {
  const d = x[0].length, m = x.length;
  const k = (a: number[], b: number[]) => (a.reduce((s, v, i) => s + v * b[i], 0) / d + 1) ** 3;
  let xx = 0, yy = 0, xy = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      if (i !== j) xx += k(x[i], x[j]), yy += k(y[i], y[j]);
      xy += k(x[i], y[j]);
    }
  }
  return (xx + yy) / (m * (m - 1)) - (2 * xy) / (m * m);
}

Deno.test("kid with one subset of all rows equals the naive unbiased MMD^2 (any row order gives the same)", async () => {
  const t = await tempFiles();
  try {
    const x = randomRows(24, 5, 11), y = randomRows(24, 5, 12, -0.5, 1.5);
    const a = await t.npy("a.npy", matrix(x));
    const b = await t.npy("b.npy", matrix(y));
    const r = await runCli(["kid", a, b, "--subsets", "1", "--subset-size", "24", "--seed", "7"]);
    assert.equal(r.code, 0, r.stderr);
    const expected = naiveMmd2(x, y);
    assert.ok(
      Math.abs((r.json!.kid_mean as number) - expected) < 1e-12,
      `${r.json!.kid_mean} vs ${expected}`,
    );
    assert.equal(r.json!.kid_std, 0);
    assert.deepEqual(Object.keys(r.json!).sort(), ["kid_mean", "kid_std"]);
  } finally {
    await t.cleanup();
  }
});

Deno.test("kid with several subsets is reproducible per seed and changes with it", async () => {
  const t = await tempFiles();
  try {
    const a = await t.npy("a.npy", matrix(randomRows(30, 3, 1)));
    const b = await t.npy("b.npy", matrix(randomRows(30, 3, 2, 0, 2)));
    const args = ["kid", a, b, "--subsets", "5", "--subset-size", "10"];
    const [r1, r2, r3] = await Promise.all([
      runCli([...args, "--seed", "1"]),
      runCli([...args, "--seed", "1"]),
      runCli([...args, "--seed", "2"]),
    ]);
    assert.equal(r1.code, 0, r1.stderr);
    assert.deepEqual(r1.json, r2.json);
    assert.notEqual(r1.json!.kid_mean, r3.json!.kid_mean);
    assert.ok((r1.json!.kid_std as number) > 0);
  } finally {
    await t.cleanup();
  }
});

Deno.test("kid refuses a stats .npz (exit 1) and bad options (exit 2)", async () => {
  const t = await tempFiles();
  try {
    const a = await t.npy("a.npy", matrix(randomRows(10, 2, 1)));
    const s = await t.npz("s.npz", { mu: matrix([[0, 0]]), sigma: matrix([[1, 0], [0, 1]]) });
    const r = await runCli(["kid", a, s]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /s\.npz is an \.npz archive/);
    assert.equal((await runCli(["kid", a, a, "--subset-size", "1"])).code, 2);
    assert.equal((await runCli(["kid", a, a, "--subsets", "x"])).code, 2);
    assert.equal((await runCli(["kid", a, a, "--bogus", "3"])).code, 2);
  } finally {
    await t.cleanup();
  }
});

Deno.test("kid --fake/--real equals kid FAKE REAL; swapping the sets changes the seeded subsets", async () => {
  const t = await tempFiles();
  try {
    const fake = await t.npy("fake.npy", matrix(randomRows(30, 3, 1)));
    const real = await t.npy("real.npy", matrix(randomRows(40, 3, 2, 0, 2)));
    const opts = ["--subsets", "5", "--subset-size", "10"];
    const [positional, named, reordered, swapped, half] = await Promise.all([
      runCli(["kid", fake, real, ...opts]),
      runCli(["kid", "--fake", fake, "--real", real, ...opts]),
      runCli(["kid", "--real", real, ...opts, "--fake", fake]),
      runCli(["kid", real, fake, ...opts]),
      runCli(["kid", "--fake", fake, ...opts]),
    ]);
    assert.equal(positional.code, 0, positional.stderr);
    assert.deepEqual(named.json, positional.json);
    assert.deepEqual(reordered.json, positional.json, "flags name the sets, whatever their order");
    assert.notEqual(swapped.json!.kid_mean, positional.json!.kid_mean, "subsets are drawn per set");
    assert.equal(half.code, 2);
    assert.match(half.stderr, /give both --fake and --real/);
  } finally {
    await t.cleanup();
  }
});
