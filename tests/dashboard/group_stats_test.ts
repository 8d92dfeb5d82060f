/** Grouping runs by tags and the mean / sample standard deviation of each group. */
import assert from "node:assert/strict";
import {
  groupKey,
  meanStd,
  parseGroupSpec,
  suggestGroupSpecs,
  summarizeGroups,
} from "../../dashboard/group_stats.ts";

const run = (id: string, tags: string[], final: number | null, latest: number | null = null) => ({
  id,
  name: id,
  tags,
  final: final === null ? null : { n: 10, fid: final },
  latest: latest === null ? null : { n: 5, fid: latest },
});

Deno.test("meanStd matches the textbook formulas (sample std, n - 1)", () => {
  const xs = [2, 4, 4, 4, 5, 5, 7, 9];
  const mean = xs.reduce((a, b) => a + b) / xs.length;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
  const got = meanStd(xs);
  assert.equal(got.mean, 5);
  assert.ok(Math.abs(got.std - std) < 1e-12);
  assert.ok(Number.isNaN(meanStd([3]).std), "one value has no sample std");
  assert.equal(meanStd([3]).mean, 3);
});

Deno.test("seed:* groups runs whose other tags match and ignores the seeds", () => {
  const spec = parseGroupSpec("seed:*")!;
  assert.equal(groupKey(["vae", "seed:1", "cifar"], spec), "cifar, vae");
  assert.equal(groupKey(["cifar", "vae", "seed:2"], spec), "cifar, vae");
  const groups = summarizeGroups(
    [
      run("a", ["vae", "seed:1"], 10),
      run("b", ["vae", "seed:2"], 14),
      run("c", ["gan", "seed:1"], 20),
      run("d", ["vae", "seed:3"], null, 30),
    ],
    spec,
    "fid",
  );
  assert.deepEqual(groups.map((g) => g.key), ["gan", "vae"]);
  const vae = groups[1];
  assert.deepEqual(vae.members.map((m) => [m.id, m.value, m.source]), [
    ["a", 10, "final"],
    ["b", 14, "final"],
    ["d", 30, "latest"],
  ]);
  assert.equal(vae.mean, 18);
  assert.ok(Math.abs(vae.std - Math.sqrt(((10 - 18) ** 2 + (14 - 18) ** 2 + (30 - 18) ** 2) / 2)) < 1e-12);
});

Deno.test("model: groups by the value of the model tag; a full tag selects its runs", () => {
  const runs = [run("a", ["model:vae", "seed:1"], 1), run("b", ["model:gan"], 2), run("c", ["other"], 3)];
  assert.deepEqual(summarizeGroups(runs, parseGroupSpec("model:")!, "fid").map((g) => g.key), [
    "model:gan",
    "model:vae",
  ]);
  const one = summarizeGroups(runs, parseGroupSpec("model:vae")!, "fid");
  assert.deepEqual(one.map((g) => [g.key, g.members.length]), [["model:vae", 1]]);
  assert.equal(parseGroupSpec("  "), null);
});

Deno.test("runs without the metric are left out of every group", () => {
  const groups = summarizeGroups([run("a", ["x"], null), run("b", ["x"], 2)], parseGroupSpec("x")!, "fid");
  assert.deepEqual(groups[0].members.map((m) => m.id), ["b"]);
});

Deno.test("suggestions offer both forms of every tag prefix", () => {
  assert.deepEqual(suggestGroupSpecs([["seed:1", "model:vae"], ["plain"]]), [
    "model:*",
    "model:",
    "seed:*",
    "seed:",
  ]);
});
