/**
 * Turning the tensor views an unpickled checkpoint holds into C-order arrays: each view (storage, offset,
 * size, stride) is bounds-checked against its storage, then gathered element by element (or sliced when it is
 * already contiguous). Walks of the value tree are iterative and depth-limited, so a hostile file can neither
 * overflow the call stack nor loop on a cycle.
 */

import { InvalidInputError, PayloadTooLargeError } from "../../errors.ts";
import { type PickleValue, PyDict, PyList, PyObject, PyTuple } from "./pickle_values.ts";
import { allocateTorchData, type TorchDtype, type TorchTensorData } from "./torch_dtypes.ts";
import { type StorageRef, TENSOR_REF_KIND, type TensorRef } from "./torch_objects.ts";

/** A loaded tensor: C-order `data` of `shape`; `strides` are the C-order strides of `data`, in elements. */
export class TorchTensor extends PyObject {
  constructor(
    readonly dtype: TorchDtype,
    readonly shape: number[],
    readonly strides: number[],
    readonly data: TorchTensorData,
  ) {
    super("torch.Tensor", null);
  }
  /** Number of elements (product of the shape). */
  get size(): number {
    return this.data.length;
  }
}

/** Limits applied while materializing. */
export interface MaterializeLimits {
  /** Total bytes of all output arrays. */
  maxOutputBytes: number;
  /** Deepest nesting of containers accepted. */
  maxDepth: number;
}

function cStrides(shape: number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

function storageData(s: StorageRef): { data: TorchTensorData; base: number } {
  const root = s.view ? s.view.root : s;
  if (!root.data) {
    throw new InvalidInputError(
      "torch_checkpoint_corrupt",
      `storage '${root.key}' is used by a tensor but the checkpoint holds no data for it`,
    );
  }
  return { data: root.data, base: s.view ? s.view.offset : 0 };
}

/** Output bytes per element of each dtype's JavaScript array. */
function outputElementBytes(dtype: TorchDtype): number {
  return allocateTorchData(dtype, 0).BYTES_PER_ELEMENT;
}

/** Gather one tensor view into a C-order array, checking it stays inside its storage. */
export function materializeTensor(ref: TensorRef, budget: { bytesLeft: number }): TorchTensor {
  const { storage, offset, shape, strides } = ref;
  let numel = 1;
  for (const d of shape) numel *= d;
  const bytes = numel * outputElementBytes(storage.dtype);
  if (!Number.isSafeInteger(numel) || bytes > budget.bytesLeft) {
    throw new PayloadTooLargeError(
      "torch_checkpoint_too_large",
      `a tensor of shape [${shape}] would take ${bytes} bytes; the checkpoint may use at most ` +
        `${budget.bytesLeft} more bytes of output`,
    );
  }
  budget.bytesLeft -= bytes;
  const out = allocateTorchData(storage.dtype, numel);
  const cs = cStrides(shape);
  if (numel === 0) return new TorchTensor(storage.dtype, shape, cs, out);

  let last = offset;
  for (let i = 0; i < shape.length; i++) last += (shape[i] - 1) * strides[i];
  if (!Number.isSafeInteger(last) || last >= storage.numel) {
    throw new InvalidInputError(
      "torch_checkpoint_corrupt",
      `a tensor of shape [${shape}], stride [${strides}] at offset ${offset} reaches element ${last} of ` +
        `storage '${storage.key}', which has ${storage.numel} elements`,
    );
  }
  const { data, base } = storageData(storage);
  const start = base + offset;
  if (shape.every((d, i) => d === 1 || strides[i] === cs[i])) {
    out.set(data.subarray(start, start + numel) as never);
    return new TorchTensor(storage.dtype, shape, cs, out);
  }
  // Odometer over the indices: the source position moves by the stride of the dimension that ticks.
  const src = data as unknown as ArrayLike<number>;
  const dst = out as unknown as { [i: number]: number };
  const idx = new Array<number>(shape.length).fill(0);
  let pos = start;
  for (let i = 0; i < numel; i++) {
    dst[i] = src[pos];
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) {
        pos += strides[d];
        break;
      }
      pos -= (shape[d] - 1) * strides[d];
      idx[d] = 0;
    }
  }
  return new TorchTensor(storage.dtype, shape, cs, out);
}

/**
 * Replace every tensor view reachable from `root` by its materialized TorchTensor (in place in containers;
 * shared views materialize once). Returns the new root.
 */
export function materializeTree(root: PickleValue, limits: MaterializeLimits): PickleValue {
  const budget = { bytesLeft: limits.maxOutputBytes };
  const done = new Map<PyObject, TorchTensor>();
  const resolve = (v: PickleValue): PickleValue => {
    if (!(v instanceof PyObject) || v.kind !== TENSOR_REF_KIND) return v;
    let t = done.get(v);
    if (!t) {
      t = materializeTensor(v.payload as TensorRef, budget);
      done.set(v, t);
    }
    return t;
  };
  const seen = new Set<PickleValue>();
  const work: { v: PickleValue; depth: number }[] = [{ v: root, depth: 0 }];
  const visit = (v: PickleValue, depth: number) => {
    if (v instanceof PyTuple || v instanceof PyList || v instanceof PyDict) work.push({ v, depth });
  };
  while (work.length > 0) {
    const { v, depth } = work.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    if (depth > limits.maxDepth) {
      throw new InvalidInputError(
        "torch_pickle_too_deep",
        `the checkpoint nests containers more than ${limits.maxDepth} levels deep`,
      );
    }
    if (v instanceof PyTuple || v instanceof PyList) {
      const items = v.items as PickleValue[];
      for (let i = 0; i < items.length; i++) {
        items[i] = resolve(items[i]);
        visit(items[i], depth + 1);
      }
    } else if (v instanceof PyDict) {
      for (const map of [v.entries, v.attrs] as Map<unknown, PickleValue>[]) {
        for (const [k, x] of map) {
          const r = resolve(x);
          if (r !== x) map.set(k, r);
          visit(r, depth + 1);
        }
      }
    }
  }
  return resolve(root);
}
