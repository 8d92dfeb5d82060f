/**
 * The recorded forward pass: every conv of the network once, concatenations as channel slices of one tensor,
 * and buffer slots shared only by tensors whose lifetimes do not overlap.
 */
import assert from "node:assert/strict";
import { FID_INCEPTION_CONVS } from "../../../../models/fid-inception/network.ts";
import { type GraphStep, recordGraph, type SymTensor } from "../../../../models/fid-inception/wgsl/graph.ts";

const SPECS = new Map(FID_INCEPTION_CONVS.map((s) => [s.name, s]));
const graph = recordGraph(299, 299, 4, SPECS);

Deno.test("the graph runs every conv once and ends each stage with a mean", () => {
  const convs = graph.steps.filter((s) => s.kind === "conv").map((s) =>
    (s as { spec: { name: string } }).spec.name
  );
  // In topology.ts's order (an E block runs both 1x1 stems before their 1x3/3x1 pairs): compare as sets.
  assert.deepEqual([...convs].sort(), FID_INCEPTION_CONVS.map((s) => s.name).sort());
  const means = graph.steps.flatMap((s, i) => (s.kind === "mean" ? [[i + 1, s.x.c, s.x.h]] : []));
  assert.deepEqual(
    means,
    graph.stageEnds.map((end, k) => [end, [64, 192, 768, 2048][k], [73, 35, 17, 8][k]]),
  );
});

Deno.test("a block's branches write into channel slices of its output", () => {
  // Mixed_5b: [64 | 64 | 96 | 32] = 256 channels.
  const out = (name: string) =>
    (graph.steps.find((s) => s.kind === "conv" && s.spec.name === name) as Extract<
      GraphStep,
      { kind: "conv" }
    >).y;
  const parts = ["branch1x1", "branch5x5_2", "branch3x3dbl_3", "branch_pool"].map((b) =>
    out(`Mixed_5b.${b}`)
  );
  const placed = parts.map((t) => graph.place(t));
  assert.deepEqual(placed.map((p) => p.channelOffset), [0, 64, 128, 224]);
  assert.ok(placed.every((p) => p.slot === placed[0].slot && p.pixelStride === 256));
  // An intermediate is a tensor of its own.
  const mid = graph.place(out("Mixed_5b.branch5x5_1"));
  assert.deepEqual([mid.channelOffset, mid.pixelStride], [0, 48]);
  assert.notEqual(mid.slot, placed[0].slot);
});

Deno.test("tensors that are alive at the same time never share a slot, and slots hold their tensors", () => {
  const root = (t: SymTensor): SymTensor => (t.view ? root(t.view.of) : t);
  const first = new Map<SymTensor, number>(), last = new Map<SymTensor, number>();
  const touch = (t: SymTensor, i: number) => {
    const r = root(t);
    if (!first.has(r)) first.set(r, i);
    last.set(r, i);
  };
  touch(graph.input, -1);
  graph.steps.forEach((s, i) => {
    touch(s.x, i);
    if (s.kind !== "mean") touch(s.y, i);
  });
  const roots = [...first.keys()];
  for (const a of roots) {
    assert.ok(graph.slotBytesPerImage[graph.place(a).slot] >= 4 * a.h * a.w * a.c);
    for (const b of roots) {
      if (a === b || graph.place(a).slot !== graph.place(b).slot) continue;
      const overlap = first.get(a)! <= last.get(b)! && first.get(b)! <= last.get(a)!;
      assert.ok(!overlap, `tensors ${a.id} and ${b.id} share slot ${graph.place(a).slot} while both alive`);
    }
  }
  // Sharing keeps a forward at a few activations: under 4x the largest (Conv2d_2b's 147x147x64 output).
  const total = graph.slotBytesPerImage.reduce((s, b) => s + b, 0);
  assert.ok(total < 4 * 4 * 147 * 147 * 64, `${total} bytes per image`);
});
