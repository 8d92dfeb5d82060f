/**
 * torch's legacy storage classes (the names pickles carry, e.g. torch.FloatStorage), their dtypes and how
 * their raw little- or big-endian bytes decode into JavaScript typed arrays.
 */

import { InvalidInputError } from "../../errors.ts";

/** The dtypes this reader decodes. */
export type TorchDtype =
  | "float32"
  | "float64"
  | "float16"
  | "bfloat16"
  | "int64"
  | "int32"
  | "int16"
  | "int8"
  | "uint8"
  | "bool";

/** Element arrays: float16/bfloat16 widen to Float32Array, bool reads as 0/1 bytes. */
export type TorchTensorData =
  | Float32Array
  | Float64Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array;

/** Storage class name (as pickled under module "torch") -> dtype. */
export const TORCH_STORAGE_DTYPES: ReadonlyMap<string, TorchDtype> = new Map([
  ["FloatStorage", "float32"],
  ["DoubleStorage", "float64"],
  ["HalfStorage", "float16"],
  ["BFloat16Storage", "bfloat16"],
  ["LongStorage", "int64"],
  ["IntStorage", "int32"],
  ["ShortStorage", "int16"],
  ["CharStorage", "int8"],
  ["ByteStorage", "uint8"],
  ["BoolStorage", "bool"],
]);

/** Bytes per element of a dtype as stored on disk. */
export function torchElementSize(dtype: TorchDtype): number {
  switch (dtype) {
    case "float64":
    case "int64":
      return 8;
    case "float32":
    case "int32":
      return 4;
    case "float16":
    case "bfloat16":
    case "int16":
      return 2;
    default:
      return 1;
  }
}

/** An empty output array of the dtype's JavaScript element type. */
export function allocateTorchData(dtype: TorchDtype, n: number): TorchTensorData {
  switch (dtype) {
    case "float32":
    case "float16":
    case "bfloat16":
      return new Float32Array(n);
    case "float64":
      return new Float64Array(n);
    case "int64":
      return new BigInt64Array(n);
    case "int32":
      return new Int32Array(n);
    case "int16":
      return new Int16Array(n);
    case "int8":
      return new Int8Array(n);
    default:
      return new Uint8Array(n);
  }
}

/** IEEE 754 half -> float (exact: every half is a float). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Decode `n` elements of a storage's raw bytes into the dtype's typed array. Goes through a DataView, so the
 * source needs no alignment and either byte order works.
 */
export function decodeTorchStorage(
  raw: Uint8Array,
  dtype: TorchDtype,
  n: number,
  littleEndian: boolean,
): TorchTensorData {
  const size = torchElementSize(dtype);
  if (raw.length !== n * size) {
    throw new InvalidInputError(
      "torch_checkpoint_corrupt",
      `a ${dtype} storage of ${n} elements needs ${n * size} bytes, found ${raw.length}`,
    );
  }
  const out = allocateTorchData(dtype, n);
  if (size === 1) {
    if (dtype === "bool") {
      for (let i = 0; i < n; i++) out[i] = raw[i] ? 1 : 0;
    } else {
      (out as Uint8Array | Int8Array).set(
        dtype === "int8" ? new Int8Array(raw.buffer, raw.byteOffset, n) : raw,
      );
    }
    return out;
  }
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (dtype) {
    case "float32": {
      const o = out as Float32Array;
      for (let i = 0; i < n; i++) o[i] = v.getFloat32(4 * i, littleEndian);
      break;
    }
    case "float64": {
      const o = out as Float64Array;
      for (let i = 0; i < n; i++) o[i] = v.getFloat64(8 * i, littleEndian);
      break;
    }
    case "float16": {
      const o = out as Float32Array;
      for (let i = 0; i < n; i++) o[i] = halfToFloat(v.getUint16(2 * i, littleEndian));
      break;
    }
    case "bfloat16": {
      // bfloat16 is the top half of a float32.
      const o = out as Float32Array;
      const f = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < n; i++) {
        f.setUint32(0, v.getUint16(2 * i, littleEndian) << 16);
        o[i] = f.getFloat32(0);
      }
      break;
    }
    case "int64": {
      const o = out as BigInt64Array;
      for (let i = 0; i < n; i++) o[i] = v.getBigInt64(8 * i, littleEndian);
      break;
    }
    case "int32": {
      const o = out as Int32Array;
      for (let i = 0; i < n; i++) o[i] = v.getInt32(4 * i, littleEndian);
      break;
    }
    case "int16": {
      const o = out as Int16Array;
      for (let i = 0; i < n; i++) o[i] = v.getInt16(2 * i, littleEndian);
      break;
    }
  }
  return out;
}
