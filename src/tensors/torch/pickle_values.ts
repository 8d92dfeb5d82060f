/**
 * The Python values the safe unpickler builds. Only plain data and a few allow-listed torch objects exist
 * here: there is no way to name, let alone call, an arbitrary Python callable.
 */

/** A Python tuple (kept apart from lists: torch passes sizes and strides as tuples). */
export class PyTuple {
  constructor(readonly items: readonly PickleValue[]) {}
}

/** A Python list. */
export class PyList {
  constructor(readonly items: PickleValue[]) {}
}

/** A Python float (kept apart from ints so a float can never pass for a size or an offset). */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** Keys a dict may have here: the hashable scalars torch checkpoints use. */
export type PyDictKey = string | number | bigint | boolean | null;

/** A Python dict or collections.OrderedDict; `attrs` holds what BUILD set on an OrderedDict (e.g. _metadata). */
export class PyDict {
  readonly entries = new Map<PyDictKey, PickleValue>();
  readonly attrs = new Map<string, PickleValue>();
  constructor(readonly ordered: boolean) {}
}

/** An allow-listed global ("module.name"), as pushed by GLOBAL / STACK_GLOBAL. */
export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
  /** "module.name", the form used in messages and allow-lists. */
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/**
 * An object an allow-listed constructor returned (a storage handle, a tensor view, ...). `kind` names what it
 * is; `payload` is owned by whoever created it.
 */
export class PyObject {
  constructor(readonly kind: string, readonly payload: unknown) {}
}

/** Any value the unpickler can produce. Python ints are numbers when safe, bigints otherwise. */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyFloat
  | PyTuple
  | PyList
  | PyDict
  | PyGlobal
  | PyObject;

/** A short description of a value's Python type, for error messages (never recurses). */
export function describePickleValue(v: PickleValue): string {
  if (v === null) return "None";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number" || typeof v === "bigint") return "int";
  if (typeof v === "string") return "str";
  if (v instanceof Uint8Array) return "bytes";
  if (v instanceof PyFloat) return "float";
  if (v instanceof PyTuple) return `tuple of ${v.items.length}`;
  if (v instanceof PyList) return `list of ${v.items.length}`;
  if (v instanceof PyDict) return v.ordered ? "OrderedDict" : "dict";
  if (v instanceof PyGlobal) return `global ${v.qualifiedName}`;
  return v.kind;
}
