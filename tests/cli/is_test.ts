import assert from "node:assert/strict";
import { matrix, randomRows, runCli, tempFiles } from "./_cli.ts";

/** Naive Inception Score of one chunk of logits: exp(mean_i KL(softmax(l_i) || mean softmax)). */
function naiveChunkScore(logits: number[][]): number {
  const p = logits.map((l) => {
    const e = l.map((v) => Math.exp(v));
    const z = e.reduce((s, v) => s + v, 0);
    return e.map((v) => v / z);
  });
  const c = p[0].length;
  const q = Array.from({ length: c }, (_, j) => p.reduce((s, row) => s + row[j], 0) / p.length);
  const kl = p.map((row) => row.reduce((s, v, j) => s + v * Math.log(v / q[j]), 0));
  return Math.exp(kl.reduce((s, v) => s + v, 0) / kl.length);
}

Deno.test("is --no-shuffle equals the naive score per split, mean and population std", async () => {
  const t = await tempFiles();
  try {
    const logits = randomRows(21, 6, 5, -3, 3);
    const path = await t.npy("logits.npy", matrix(logits));
    const one = await runCli(["is", path, "--splits", "1", "--no-shuffle"]);
    assert.equal(one.code, 0, one.stderr);
    const s = naiveChunkScore(logits);
    assert.ok(Math.abs((one.json!.is_mean as number) - s) < 1e-12, `${one.json!.is_mean} vs ${s}`);
    assert.equal(one.json!.is_std, 0);

    // 3 splits of 21 rows: [0, 7), [7, 14), [14, 21).
    const three = await runCli(["is", path, "--splits", "3", "--no-shuffle"]);
    assert.equal(three.code, 0, three.stderr);
    const scores = [0, 1, 2].map((k) => naiveChunkScore(logits.slice(7 * k, 7 * k + 7)));
    const mean = scores.reduce((a, b) => a + b, 0) / 3;
    const std = Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / 3);
    assert.ok(Math.abs((three.json!.is_mean as number) - mean) < 1e-12);
    assert.ok(Math.abs((three.json!.is_std as number) - std) < 1e-12);
  } finally {
    await t.cleanup();
  }
});

Deno.test("is shuffles by default: one split is unchanged by it, several splits depend on the seed", async () => {
  const t = await tempFiles();
  try {
    const logits = randomRows(20, 4, 9, -2, 2);
    const path = await t.npy("logits.npy", matrix(logits));
    const [a, b, c] = await Promise.all([
      runCli(["is", path, "--splits", "1"]),
      runCli(["is", path, "--splits", "4", "--seed", "1"]),
      runCli(["is", path, "--splits", "4", "--seed", "2"]),
    ]);
    assert.ok(Math.abs((a.json!.is_mean as number) - naiveChunkScore(logits)) < 1e-12);
    assert.notEqual(b.json!.is_mean, c.json!.is_mean);
  } finally {
    await t.cleanup();
  }
});

Deno.test("is fails with exit 1 on non-finite logits and exit 2 on a missing file argument", async () => {
  const t = await tempFiles();
  try {
    const path = await t.npy("bad.npy", matrix([[0, 1], [NaN, 2]]));
    const r = await runCli(["is", path, "--splits", "1"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /row 1, column 0 is NaN/);
    assert.equal((await runCli(["is"])).code, 2);
  } finally {
    await t.cleanup();
  }
});
