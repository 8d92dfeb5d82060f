/**
 * The forward pass as a flat list of GPU steps, recorded by running topology.ts's wiring (the same code the
 * tfjs and WebAssembly networks run) over symbolic tensors, for a 299x299 (or any) input size.
 *
 * Concatenation costs nothing: when a block concatenates its branches, each branch's tensor becomes a view of a
 * channel slice of the block's output, so the conv or pool that produces it writes there directly. Storage is
 * then shared by liveness: tensors whose lifetimes do not overlap take the same buffer slot (a slot is as big as
 * the largest tensor it ever holds), which keeps a forward at a few activations' worth of memory.
 */
import type { ConvSpec } from "../blocks.ts";
import { fidInceptionStages, type InceptionOps } from "../topology.ts";

/** A symbolic NHWC activation (per image: h x w x c). */
export interface SymTensor {
  readonly id: number;
  readonly h: number;
  readonly w: number;
  readonly c: number;
  /** Set when the tensor is a channel slice of a concatenation's output. */
  view?: { of: SymTensor; channelOffset: number };
}

/** One GPU step of the forward pass. */
export type GraphStep =
  | { kind: "conv"; spec: ConvSpec; x: SymTensor; y: SymTensor }
  | { kind: "avgpool"; x: SymTensor; y: SymTensor }
  | { kind: "maxpool"; stride: number; pad: number; x: SymTensor; y: SymTensor }
  | { kind: "mean"; x: SymTensor; stage: number };

/** Where a tensor lives: a slot, and its channel offset and pixel stride (floats) in the slot's tensor. */
export interface Placement {
  slot: number;
  channelOffset: number;
  pixelStride: number;
}

/** The recorded forward pass: its steps in order, the input, and storage slots. */
export interface InceptionGraph {
  input: SymTensor;
  steps: GraphStep[];
  /** Index in `steps` just after stage s's mean, for s = 0..3 (what to run for outputs up to that stage). */
  stageEnds: number[];
  /** Bytes per image each slot needs. */
  slotBytesPerImage: number[];
  /** The placement of every tensor a step reads or writes. */
  place(t: SymTensor): Placement;
}

/** Records the network for an input of h x w with `inputChannels` (4: RGB padded) on the given conv specs. */
export function recordGraph(
  h: number,
  w: number,
  inputChannels: number,
  specs: ReadonlyMap<string, ConvSpec>,
): InceptionGraph {
  let nextId = 0;
  const tensor = (th: number, tw: number, c: number): SymTensor => ({ id: nextId++, h: th, w: tw, c });
  const steps: GraphStep[] = [];
  const ops: InceptionOps<SymTensor> = {
    conv(name, x) {
      const spec = specs.get(name);
      if (!spec) throw new Error(`FID InceptionV3 has no conv "${name}"`);
      const [kh, kw] = spec.kernel;
      const [ph, pw] = spec.padding;
      const y = tensor(
        Math.floor((x.h + 2 * ph - kh) / spec.stride) + 1,
        Math.floor((x.w + 2 * pw - kw) / spec.stride) + 1,
        spec.outChannels,
      );
      steps.push({ kind: "conv", spec, x, y });
      return y;
    },
    avgPool3x3ExcludePad(x) {
      const y = tensor(x.h, x.w, x.c);
      steps.push({ kind: "avgpool", x, y });
      return y;
    },
    maxPool3x3Same(x) {
      const y = tensor(x.h, x.w, x.c);
      steps.push({ kind: "maxpool", stride: 1, pad: 1, x, y });
      return y;
    },
    maxPool3x3Stride2(x) {
      const y = tensor(Math.floor((x.h - 3) / 2) + 1, Math.floor((x.w - 3) / 2) + 1, x.c);
      steps.push({ kind: "maxpool", stride: 2, pad: 0, x, y });
      return y;
    },
    concat(parts) {
      const y = tensor(parts[0].h, parts[0].w, parts.reduce((s, p) => s + p.c, 0));
      let offset = 0;
      for (const p of parts) {
        if (p.view) throw new Error("a tensor cannot be part of two concatenations");
        p.view = { of: y, channelOffset: offset };
        offset += p.c;
      }
      return y;
    },
  };
  const input = tensor(h, w, inputChannels);
  const stageEnds: number[] = [];
  let cur = input;
  fidInceptionStages(ops).forEach((stage, s) => {
    for (const step of stage) cur = step(cur);
    steps.push({ kind: "mean", x: cur, stage: s });
    stageEnds.push(steps.length);
  });
  return allocate(input, steps, stageEnds);
}

/** The tensor that owns the storage of `t` (itself, or the concatenation it is a slice of). */
function rootOf(t: SymTensor): SymTensor {
  let r = t;
  while (r.view) r = r.view.of;
  return r;
}

function channelOffsetOf(t: SymTensor): number {
  let off = 0;
  for (let r = t; r.view; r = r.view.of) off += r.view.channelOffset;
  return off;
}

/** Assigns slots to root tensors by liveness (first write to last read), reusing the best-fitting free slot. */
function allocate(input: SymTensor, steps: GraphStep[], stageEnds: number[]): InceptionGraph {
  const first = new Map<SymTensor, number>();
  const last = new Map<SymTensor, number>();
  const touch = (t: SymTensor, i: number) => {
    const r = rootOf(t);
    if (!first.has(r)) first.set(r, i);
    last.set(r, i);
  };
  touch(input, -1);
  steps.forEach((s, i) => {
    touch(s.x, i);
    if (s.kind !== "mean") touch(s.y, i);
  });
  const bytes = (t: SymTensor) => 4 * t.h * t.w * t.c;
  const roots = [...first.keys()].sort((a, b) => first.get(a)! - first.get(b)!);
  const slotBytes: number[] = [];
  const slotFreeAfter: number[] = []; // the step after which the slot's current tensor is dead
  const slotOf = new Map<SymTensor, number>();
  for (const r of roots) {
    const start = first.get(r)!;
    const need = bytes(r);
    let best = -1;
    for (let s = 0; s < slotBytes.length; s++) {
      if (slotFreeAfter[s] >= start) continue;
      // Prefer a slot already big enough (the smallest such), else the biggest one (it grows least).
      const fits = slotBytes[s] >= need;
      if (best < 0) best = s;
      else {
        const bestFits = slotBytes[best] >= need;
        if (fits && (!bestFits || slotBytes[s] < slotBytes[best])) best = s;
        else if (!fits && !bestFits && slotBytes[s] > slotBytes[best]) best = s;
      }
    }
    if (best < 0) {
      best = slotBytes.length;
      slotBytes.push(0);
      slotFreeAfter.push(-Infinity);
    }
    slotBytes[best] = Math.max(slotBytes[best], need);
    slotFreeAfter[best] = last.get(r)!;
    slotOf.set(r, best);
  }
  return {
    input,
    steps,
    stageEnds,
    slotBytesPerImage: slotBytes,
    place(t) {
      const r = rootOf(t);
      const slot = slotOf.get(r);
      if (slot === undefined) throw new Error(`tensor ${t.id} is not part of the graph`);
      return { slot, channelOffset: channelOffsetOf(t), pixelStride: r.c };
    },
  };
}
