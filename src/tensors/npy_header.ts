/** The .npy header dict: validating a parsed one, and writing one the way numpy does. */

import { InvalidInputError } from "../errors.ts";
import type { DType } from "./ndarray.ts";
import { parsePyLiteral, PyLiteralSyntaxError, type PyValue } from "./py_literal.ts";

/** The three facts a .npy header carries. */
export interface NpyHeader {
  dtype: DType;
  fortranOrder: boolean;
  shape: number[];
}

const SUPPORTED = "supported: '<f4' (float32), '<f8' (float64), '|u1' (uint8)";

const DESCR_TO_DTYPE: Record<string, DType> = {
  "<f4": "float32",
  "<f8": "float64",
  "|u1": "uint8",
  "<u1": "uint8",
  ">u1": "uint8", // one byte has no byte order
};

/** The descr numpy writes for each dtype. */
export const DTYPE_TO_DESCR: Record<DType, string> = { float32: "<f4", float64: "<f8", uint8: "|u1" };

function invalid(message: string): never {
  throw new InvalidInputError("npy_invalid_header", message);
}

function dtypeFromDescr(descr: PyValue): DType {
  if (descr.kind === "list") {
    throw new InvalidInputError(
      "npy_unsupported_dtype",
      `structured dtypes are not supported (${SUPPORTED})`,
    );
  }
  if (descr.kind !== "str") invalid("'descr' must be a string such as '<f4'");
  const dtype = DESCR_TO_DTYPE[descr.value];
  if (dtype !== undefined) return dtype;
  const d = descr.value;
  let why = "is not supported";
  if (d.includes("O")) why = "is an object dtype (pickled Python objects), which is never loaded";
  else if (d.startsWith(">")) why = "is big-endian; save the array as little-endian (arr.astype('<f4'))";
  throw new InvalidInputError("npy_unsupported_dtype", `dtype '${d}' ${why}; ${SUPPORTED}`);
}

function shapeFromValue(shape: PyValue): number[] {
  const expected = "'shape' must be a tuple of non-negative integers, e.g. (2, 3)";
  if (shape.kind !== "tuple") {
    throw new InvalidInputError("npy_invalid_shape", `${expected}; got a ${shape.kind}`);
  }
  return shape.items.map((item, axis) => {
    if (item.kind !== "int" || item.value < 0n || item.value > BigInt(Number.MAX_SAFE_INTEGER)) {
      const got = item.kind === "int" ? String(item.value) : `a ${item.kind}`;
      throw new InvalidInputError("npy_invalid_shape", `${expected}; axis ${axis} is ${got}`);
    }
    return Number(item.value);
  });
}

/** Parse and validate the header text; throws InvalidInputError naming what is wrong. */
export function parseNpyHeader(text: string): NpyHeader {
  let value: PyValue;
  try {
    value = parsePyLiteral(text);
  } catch (e) {
    if (e instanceof PyLiteralSyntaxError) invalid(`header is not a valid Python dict literal: ${e.message}`);
    throw e;
  }
  if (value.kind !== "dict") invalid("header is not a dict");
  const fields = new Map<string, PyValue>();
  for (const [k, v] of value.entries) {
    if (k.kind !== "str") invalid("header dict keys must be strings");
    if (fields.has(k.value)) invalid(`header repeats the key '${k.value}'`);
    fields.set(k.value, v);
  }
  const keys = [...fields.keys()].sort().join(", ");
  if (keys !== "descr, fortran_order, shape") {
    invalid(`header keys are [${keys}], expected exactly [descr, fortran_order, shape]`);
  }
  const fortran = fields.get("fortran_order")!;
  if (fortran.kind !== "bool") invalid("'fortran_order' must be True or False");
  const dtype = dtypeFromDescr(fields.get("descr")!);
  const shape = shapeFromValue(fields.get("shape")!);
  return { dtype, fortranOrder: fortran.value, shape };
}

/** Python's repr of a tuple of ints: "()", "(5,)", "(2, 3)". */
function tupleRepr(shape: readonly number[]): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(", ")})`;
}

// numpy leaves room so a writer can grow the first axis in place (GROWTH_AXIS_MAX_DIGITS).
const GROWTH_AXIS_MAX_DIGITS = 21;

/** The header dict text numpy writes: sorted keys, repr values, then spare spaces for the growth axis. */
export function formatNpyHeader(header: NpyHeader): string {
  const { dtype, fortranOrder, shape } = header;
  let text = `{'descr': '${DTYPE_TO_DESCR[dtype]}', 'fortran_order': ${fortranOrder ? "True" : "False"}, ` +
    `'shape': ${tupleRepr(shape)}, }`;
  if (shape.length > 0) {
    const growthAxis = shape[fortranOrder ? shape.length - 1 : 0];
    text += " ".repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(growthAxis).length));
  }
  return text;
}
