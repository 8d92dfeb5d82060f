/** Which feature space a run's numbers live in, as the dashboard separates and labels them. */
import assert from "node:assert/strict";
import type { Reference } from "../../dashboard/api.ts";
import { groupBySpace, spaceOf } from "../../dashboard/feature_space.ts";

const ref = (id: string, features: string | null, distance: string) =>
  ({ id, features, distance, name: id, dim: 8, source: "features", n: 1 }) as unknown as Reference;

Deno.test("a run's space is its reference's; unnamed references are told apart by dimension only", () => {
  const refs = [ref("a", "dinov2-vitl14", "FD_DINOv2"), ref("b", null, "FID"), ref("c", null, "FID")];
  assert.deepEqual(spaceOf({ reference: "a", dim: 1024 }, refs), {
    key: "dinov2-vitl14",
    label: "dinov2-vitl14",
    distance: "FD_DINOv2",
  });
  assert.deepEqual(spaceOf({ reference: "b", dim: 64 }, refs), {
    key: "unnamed:64",
    label: "unnamed space, D = 64",
    distance: "FID",
  });
  assert.equal(spaceOf({ reference: "unknown", dim: 64 }, null).key, "unnamed:64");
  const runs = [
    { id: 1, reference: "b", dim: 64 },
    { id: 2, reference: "a", dim: 1024 },
    { id: 3, reference: "c", dim: 64 },
    { id: 4, reference: "c", dim: 32 },
  ];
  assert.deepEqual(
    groupBySpace(runs, refs).map((g) => [g.space.key, g.runs.map((r) => r.id)]),
    [["unnamed:64", [1, 3]], ["dinov2-vitl14", [2]], ["unnamed:32", [4]]],
  );
});
