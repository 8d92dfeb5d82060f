/**
 * Reading and writing NumPy .npy files (format versions 1.0, 2.0 and 3.0).
 * Layout: "\x93NUMPY", major, minor, header length (uint16 LE in 1.0, uint32 LE in 2.0/3.0), the header
 * dict padded with spaces and a final "\n" so the data starts on a 64-byte boundary, then the raw data.
 */

import { InvalidInputError, PayloadTooLargeError } from "../errors.ts";
import { fortranToC } from "./fortran_order.ts";
import { type DType, itemSize, type NdArray, shapeSize } from "./ndarray.ts";
import { formatNpyHeader, parseNpyHeader } from "./npy_header.ts";

export type { DType, NdArray } from "./ndarray.ts";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const ARRAY_ALIGN = 64;
// numpy refuses headers over 10000 bytes by default; allow more but never an unbounded one.
const MAX_HEADER_BYTES = 100_000;
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function hasMagicPrefix(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, MAGIC.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== MAGIC[i]) return false;
  return true;
}

function truncated(message: string): never {
  throw new InvalidInputError("npy_truncated_header", message);
}

/**
 * Little-endian element bytes as a typed array: a fresh aligned copy, or with `share` a view of `bytes` itself
 * when the host is little-endian and the data is aligned (saves copying a 256 MiB upload on the request thread).
 */
function decodeData(
  bytes: Uint8Array,
  dtype: DType,
  count: number,
  share = false,
): Float32Array | Float64Array | Uint8Array {
  const size = itemSize(dtype);
  if (share && (LITTLE_ENDIAN_HOST || dtype === "uint8") && bytes.byteOffset % size === 0) {
    if (dtype === "uint8") return bytes.subarray(0, count);
    return dtype === "float32"
      ? new Float32Array(bytes.buffer, bytes.byteOffset, count)
      : new Float64Array(bytes.buffer, bytes.byteOffset, count);
  }
  if (dtype === "uint8") return bytes.slice(0, count);
  const buffer = new ArrayBuffer(count * size);
  if (LITTLE_ENDIAN_HOST) {
    new Uint8Array(buffer).set(bytes.subarray(0, count * size));
    return dtype === "float32" ? new Float32Array(buffer) : new Float64Array(buffer);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === "float32") {
    const out = new Float32Array(buffer);
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
  const out = new Float64Array(buffer);
  for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

/**
 * Parse a .npy file (format 1.0/2.0/3.0). With `shareBuffer` the data may be a view of `bytes` (when aligned):
 * for callers that own the bytes and never touch them again.
 */
export function parseNpy(
  bytes: Uint8Array,
  opts: { maxElements?: number; shareBuffer?: boolean } = {},
): NdArray {
  if (!hasMagicPrefix(bytes)) {
    throw new InvalidInputError(
      "npy_bad_magic",
      "not a .npy file: it does not start with the magic '\\x93NUMPY'",
    );
  }
  if (bytes.length < 8) truncated(`file is ${bytes.length} bytes, too short to hold the .npy preamble`);
  const major = bytes[6], minor = bytes[7];
  if ((major !== 1 && major !== 2 && major !== 3) || minor !== 0) {
    throw new InvalidInputError(
      "npy_unsupported_version",
      `.npy format version ${major}.${minor} is not supported; supported: 1.0, 2.0, 3.0`,
    );
  }
  const lengthBytes = major === 1 ? 2 : 4;
  const headerStart = 8 + lengthBytes;
  if (bytes.length < headerStart) {
    truncated(`file is ${bytes.length} bytes, too short to hold the header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLength > MAX_HEADER_BYTES) {
    throw new InvalidInputError(
      "npy_invalid_header",
      `header declares ${headerLength} bytes; at most ${MAX_HEADER_BYTES} are accepted`,
    );
  }
  const dataStart = headerStart + headerLength;
  if (bytes.length < dataStart) {
    truncated(`header declares ${headerLength} bytes but only ${bytes.length - headerStart} follow`);
  }
  // 1.0 and 2.0 headers are latin1 (every byte is one char); 3.0 headers are UTF-8.
  const headerBytes = bytes.subarray(headerStart, dataStart);
  let headerText: string;
  if (major === 3) {
    try {
      headerText = new TextDecoder("utf-8", { fatal: true }).decode(headerBytes);
    } catch {
      throw new InvalidInputError("npy_invalid_header", "a version 3.0 header must be valid UTF-8");
    }
  } else {
    headerText = "";
    for (let i = 0; i < headerBytes.length; i += 8192) {
      headerText += String.fromCharCode(...headerBytes.subarray(i, i + 8192));
    }
  }
  const header = parseNpyHeader(headerText);

  const count = shapeSize(header.shape);
  if (opts.maxElements !== undefined && count > opts.maxElements) {
    throw new PayloadTooLargeError(
      "npy_too_many_elements",
      `shape (${header.shape.join(", ")}) holds ${count} elements; at most ${opts.maxElements} are accepted`,
    );
  }
  const expected = count * itemSize(header.dtype);
  const actual = bytes.length - dataStart;
  if (actual !== expected) {
    throw new InvalidInputError(
      "npy_data_length_mismatch",
      `shape (${
        header.shape.join(", ")
      }) of ${header.dtype} needs ${expected} data bytes, but the file has ${actual}`,
    );
  }
  let data = decodeData(bytes.subarray(dataStart), header.dtype, count, opts.shareBuffer);
  if (header.fortranOrder) data = fortranToC(data, header.shape);
  return { dtype: header.dtype, shape: header.shape, data };
}

function checkArray(a: NdArray): void {
  const expectedType = a.dtype === "float32"
    ? Float32Array
    : a.dtype === "float64"
    ? Float64Array
    : Uint8Array;
  if (!(a.data instanceof expectedType)) {
    throw new InvalidInputError("ndarray_dtype_mismatch", `dtype ${a.dtype} needs a ${expectedType.name}`);
  }
  if (!a.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new InvalidInputError(
      "ndarray_invalid_shape",
      `shape [${a.shape}] must hold non-negative integers`,
    );
  }
  const count = shapeSize(a.shape);
  if (a.data.length !== count) {
    throw new InvalidInputError(
      "ndarray_data_length_mismatch",
      `shape [${a.shape}] holds ${count} elements but data has ${a.data.length}`,
    );
  }
}

/** Encode as .npy v1.0 (v2.0 if the header needs it). */
export function encodeNpy(a: NdArray): Uint8Array<ArrayBuffer> {
  checkArray(a);
  const text = formatNpyHeader({ dtype: a.dtype, fortranOrder: false, shape: a.shape });
  // Pad with spaces plus "\n" so preamble + header is a multiple of ARRAY_ALIGN (always >= 1 space).
  const paddedLength = (lengthBytes: number) => {
    const unpadded = MAGIC.length + 2 + lengthBytes + text.length + 1;
    return text.length + 1 + (ARRAY_ALIGN - (unpadded % ARRAY_ALIGN));
  };
  const major = paddedLength(2) <= 0xffff ? 1 : 2;
  const lengthBytes = major === 1 ? 2 : 4;
  const headerLength = paddedLength(lengthBytes);
  const dataStart = 8 + lengthBytes + headerLength;
  const dataBytes = a.data.length * itemSize(a.dtype);
  const out = new Uint8Array(dataStart + dataBytes);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, headerLength, true);
  else view.setUint32(8, headerLength, true);
  const headerStart = 8 + lengthBytes;
  out.fill(0x20, headerStart, dataStart - 1);
  for (let i = 0; i < text.length; i++) out[headerStart + i] = text.charCodeAt(i);
  out[dataStart - 1] = 0x0a;
  if (LITTLE_ENDIAN_HOST || a.dtype === "uint8") {
    out.set(new Uint8Array(a.data.buffer, a.data.byteOffset, dataBytes), dataStart);
  } else if (a.dtype === "float32") {
    for (let i = 0; i < a.data.length; i++) view.setFloat32(dataStart + i * 4, a.data[i], true);
  } else {
    for (let i = 0; i < a.data.length; i++) view.setFloat64(dataStart + i * 8, a.data[i], true);
  }
  return out;
}
