import assert from "node:assert/strict";
import { parseNpz } from "../../src/tensors/npz.ts";
import { matrix, randomRows, runCli, tempFiles } from "./_cli.ts";

Deno.test("stats writes float64 mu (D) and sigma (D x D, ddof 1) equal to the naive mean and covariance", async () => {
  const t = await tempFiles();
  try {
    const rows = randomRows(33, 4, 21, 100, 101); // a large common offset
    const f = await t.npy("f.npy", matrix(rows));
    const out = `${t.dir}/stats.npz`;
    const r = await runCli(["stats", f, "--out", out]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json, { n: 33, dim: 4, out });

    const arrays = parseNpz(await Deno.readFile(out));
    const mu = arrays.get("mu")!, sigma = arrays.get("sigma")!;
    assert.equal(mu.dtype, "float64");
    assert.deepEqual(mu.shape, [4]);
    assert.equal(sigma.dtype, "float64");
    assert.deepEqual(sigma.shape, [4, 4]);
    const n = rows.length;
    const mean = [0, 1, 2, 3].map((j) => rows.reduce((s, r) => s + r[j], 0) / n);
    for (let j = 0; j < 4; j++) assert.ok(Math.abs(mu.data[j] - mean[j]) < 1e-12);
    for (let a = 0; a < 4; a++) {
      for (let b = 0; b < 4; b++) {
        const cov = rows.reduce((s, r) => s + (r[a] - mean[a]) * (r[b] - mean[b]), 0) / (n - 1);
        assert.ok(Math.abs(sigma.data[a * 4 + b] - cov) < 1e-12, `sigma[${a}][${b}]`);
      }
    }
    // The written file is a valid fid input: its distance to the same features is ~0.
    const fid = await runCli(["fid", out, f]);
    assert.equal(fid.code, 0, fid.stderr);
    assert.ok(Math.abs(fid.json!.fid as number) < 1e-9);
  } finally {
    await t.cleanup();
  }
});

Deno.test("stats needs --out (exit 2) and at least 2 rows (exit 1)", async () => {
  const t = await tempFiles();
  try {
    const f = await t.npy("f.npy", matrix([[1, 2]]));
    assert.equal((await runCli(["stats", f])).code, 2);
    const r = await runCli(["stats", f, "--out", `${t.dir}/o.npz`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /at least 2 samples/);
  } finally {
    await t.cleanup();
  }
});
