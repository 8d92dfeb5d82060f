/**
 * The allow-list of Python globals a torch checkpoint may name, and what calling them builds: storage handles
 * and tensor views (storage, offset, size, stride), materialized later by materialize.ts. Facts from
 * torch/serialization.py and torch/_utils.py: `_rebuild_tensor_v2(storage, storage_offset, size, stride,
 * requires_grad, backward_hooks[, metadata])`, `_rebuild_parameter(data, requires_grad, backward_hooks)`,
 * `backward_hooks` pickled as `collections.OrderedDict()`.
 */

import { InvalidInputError, UnprocessableError } from "../../errors.ts";
import {
  describePickleValue,
  type PickleValue,
  PyDict,
  PyGlobal,
  PyList,
  PyObject,
  PyTuple,
} from "./pickle_values.ts";
import { TORCH_STORAGE_DTYPES, type TorchDtype, type TorchTensorData } from "./torch_dtypes.ts";

/** A storage as the pickle declares it; `data` arrives when its bytes are read (legacy: after the pickle). */
export interface StorageRef {
  key: string;
  dtype: TorchDtype;
  /** Elements declared by the pickle. */
  numel: number;
  location: string;
  data?: TorchTensorData;
  /** Legacy storage views: a window of `numel` elements starting at `offset` of `root`. */
  view?: { root: StorageRef; offset: number };
}

/** A tensor as _rebuild_tensor_v2 describes it: a strided view into a storage (all counts in elements). */
export interface TensorRef {
  storage: StorageRef;
  offset: number;
  shape: number[];
  strides: number[];
  requiresGrad: boolean;
}

/** PyObject kind of a storage handle (payload: StorageRef). */
export const STORAGE_KIND = "torch.Storage";
/** PyObject kind of a tensor view not yet materialized (payload: TensorRef). */
export const TENSOR_REF_KIND = "torch.TensorRef";

const REBUILD_TENSOR_V2 = "torch._utils._rebuild_tensor_v2";
const REBUILD_TENSOR = "torch._utils._rebuild_tensor";
const REBUILD_PARAMETER = "torch._utils._rebuild_parameter";
const ORDERED_DICT = "collections.OrderedDict";
const CALLABLES = new Set([REBUILD_TENSOR_V2, REBUILD_TENSOR, REBUILD_PARAMETER, ORDERED_DICT]);
// Tensors with more dimensions than this are not weights.
const MAX_DIMS = 32;

function allowedNames(): string {
  return [...CALLABLES, ...[...TORCH_STORAGE_DTYPES.keys()].map((s) => `torch.${s}`)].join(", ");
}

/** GLOBAL hook: an inert marker for an allow-listed name, InvalidInputError naming anything else. */
export function findTorchGlobal(module: string, name: string): PickleValue {
  const full = `${module}.${name}`;
  if (CALLABLES.has(full) || (module === "torch" && TORCH_STORAGE_DTYPES.has(name))) {
    return new PyGlobal(module, name);
  }
  throw new InvalidInputError(
    "torch_pickle_forbidden_global",
    `the checkpoint refers to the Python global "${full}", which this reader never loads; only plain ` +
      `state dicts of tensors are accepted (allowed globals: ${allowedNames()})`,
  );
}

/** The dtype of a pickled storage class (torch.FloatStorage, ...), or throws. */
export function storageTypeDtype(v: PickleValue, where: string): TorchDtype {
  if (v instanceof PyGlobal && v.module === "torch") {
    const dtype = TORCH_STORAGE_DTYPES.get(v.name);
    if (dtype) return dtype;
  }
  throw new InvalidInputError(
    "torch_checkpoint_corrupt",
    `${where}: storage type is a ${describePickleValue(v)}, expected a torch.*Storage class`,
  );
}

/** A Python int that is a safe, non-negative JavaScript integer, or throws naming `what`. */
export function nonNegativeInt(v: PickleValue, what: string): number {
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return v;
  throw new InvalidInputError(
    "torch_checkpoint_corrupt",
    `${what} is ${typeof v === "number" || typeof v === "bigint" ? String(v) : describePickleValue(v)}, ` +
      "expected a non-negative integer",
  );
}

function intTuple(v: PickleValue, what: string): number[] {
  if (!(v instanceof PyTuple) && !(v instanceof PyList)) {
    throw new InvalidInputError(
      "torch_checkpoint_corrupt",
      `${what} is a ${describePickleValue(v)}, expected a tuple`,
    );
  }
  if (v.items.length > MAX_DIMS) {
    throw new InvalidInputError(
      "torch_checkpoint_corrupt",
      `${what} has ${v.items.length} dimensions; at most ${MAX_DIMS}`,
    );
  }
  return v.items.map((x, i) => nonNegativeInt(x, `${what}[${i}]`));
}

function tensorRef(
  storage: PickleValue,
  offset: PickleValue,
  size: PickleValue,
  stride: PickleValue,
  requiresGrad: PickleValue,
): PyObject {
  if (!(storage instanceof PyObject) || storage.kind !== STORAGE_KIND) {
    throw new InvalidInputError(
      "torch_checkpoint_corrupt",
      `a tensor is built on a ${describePickleValue(storage)}, expected a storage`,
    );
  }
  const shape = intTuple(size, "tensor size");
  const strides = intTuple(stride, "tensor stride");
  if (shape.length !== strides.length) {
    throw new InvalidInputError(
      "torch_checkpoint_corrupt",
      `tensor size has ${shape.length} dimensions but its stride has ${strides.length}`,
    );
  }
  const ref: TensorRef = {
    storage: storage.payload as StorageRef,
    offset: nonNegativeInt(offset, "tensor storage offset"),
    shape,
    strides,
    requiresGrad: requiresGrad === true,
  };
  return new PyObject(TENSOR_REF_KIND, ref);
}

function arity(name: string, args: PyTuple, allowed: number[]): void {
  if (!allowed.includes(args.items.length)) {
    throw new InvalidInputError(
      "torch_checkpoint_corrupt",
      `${name} called with ${args.items.length} arguments, expected ${allowed.join(" or ")}`,
    );
  }
}

function orderedDict(args: PyTuple): PyDict {
  const d = new PyDict(true);
  if (args.items.length === 0) return d;
  const pairs = args.items[0];
  if (args.items.length === 1 && pairs instanceof PyList) {
    for (const p of pairs.items) {
      if (
        !(p instanceof PyTuple || p instanceof PyList) || p.items.length !== 2 ||
        typeof p.items[0] !== "string"
      ) {
        throw new InvalidInputError(
          "torch_checkpoint_corrupt",
          "OrderedDict built from something other than (str, value) pairs",
        );
      }
      d.entries.set(p.items[0], p.items[1]);
    }
    return d;
  }
  throw new InvalidInputError("torch_checkpoint_corrupt", "OrderedDict called with unexpected arguments");
}

/** REDUCE / NEWOBJ hook: apply one of the allow-listed callables. */
export function callTorchGlobal(callable: PickleValue, args: PyTuple): PickleValue {
  if (!(callable instanceof PyGlobal)) {
    throw new InvalidInputError(
      "torch_pickle_forbidden_call",
      `the checkpoint calls a ${
        describePickleValue(callable)
      }; only allow-listed torch functions may be called`,
    );
  }
  const a = args.items;
  switch (callable.qualifiedName) {
    case ORDERED_DICT:
      return orderedDict(args);
    case REBUILD_TENSOR_V2: {
      arity("_rebuild_tensor_v2", args, [6, 7]);
      const metadata = a[6];
      if (
        metadata !== undefined && metadata !== null &&
        !(metadata instanceof PyDict && metadata.entries.size === 0)
      ) {
        throw new UnprocessableError(
          "torch_checkpoint_unsupported",
          "a tensor carries extra metadata (conjugate/negative bits or similar); plain tensors only",
        );
      }
      return tensorRef(a[0], a[1], a[2], a[3], a[4]);
    }
    case REBUILD_TENSOR:
      arity("_rebuild_tensor", args, [4]);
      return tensorRef(a[0], a[1], a[2], a[3], false);
    case REBUILD_PARAMETER: {
      arity("_rebuild_parameter", args, [3]);
      const data = a[0];
      if (!(data instanceof PyObject) || data.kind !== TENSOR_REF_KIND) {
        throw new InvalidInputError(
          "torch_checkpoint_corrupt",
          "a Parameter wraps something other than a tensor",
        );
      }
      return data;
    }
    default:
      throw new InvalidInputError(
        "torch_pickle_forbidden_call",
        `the checkpoint calls ${callable.qualifiedName}, which is not callable here`,
      );
  }
}
