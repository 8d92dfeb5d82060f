import assert from "node:assert/strict";
import { InvalidInputError, PayloadTooLargeError } from "../../src/errors.ts";
import { type DType, encodeNpy, type NdArray, parseNpy } from "../../src/tensors/npy.ts";
import { ascii, assertTypedError, concat, f32le, f64le, hex, npyBytes } from "./_fixtures.ts";
import { seededRandom } from "../../tools/arrays.ts";

// The exact bytes numpy 2.x writes for np.save(f, np.arange(6, dtype='<f4').reshape(2, 3)):
// magic, version 1.0, HEADER_LEN = 118 (0x76), the dict, spaces, "\n" at byte 127, then 6 LE float32s.
const ARANGE6_DICT = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
const ARANGE6_NPY = concat(
  Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00, 0x76, 0x00),
  ascii(ARANGE6_DICT + " ".repeat(118 - ARANGE6_DICT.length - 1) + "\n"),
  hex("00000000 0000803f 00000040 00004040 00008040 0000a040"),
);

Deno.test("parseNpy reads the bytes numpy writes for arange(6, '<f4').reshape(2, 3)", () => {
  assert.equal(ARANGE6_NPY.length, 128 + 24);
  const a = parseNpy(ARANGE6_NPY);
  assert.equal(a.dtype, "float32");
  assert.deepEqual(a.shape, [2, 3]);
  assert.ok(a.data instanceof Float32Array);
  assert.deepEqual([...a.data], [0, 1, 2, 3, 4, 5]);
});

Deno.test("encodeNpy writes exactly numpy's bytes for arange(6, '<f4').reshape(2, 3)", () => {
  const bytes = encodeNpy({ dtype: "float32", shape: [2, 3], data: Float32Array.from([0, 1, 2, 3, 4, 5]) });
  assert.deepEqual(bytes, ARANGE6_NPY);
});

Deno.test("encodeNpy writes exactly numpy's bytes for a 0-d uint8 scalar and an empty float64 vector", () => {
  const scalarDict = "{'descr': '|u1', 'fortran_order': False, 'shape': (), }";
  const scalar = concat(
    Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0x76, 0),
    ascii(scalarDict + " ".repeat(118 - scalarDict.length - 1) + "\n"),
    Uint8Array.of(7),
  );
  assert.deepEqual(encodeNpy({ dtype: "uint8", shape: [], data: Uint8Array.of(7) }), scalar);
  const back = parseNpy(scalar);
  assert.deepEqual(back.shape, []);
  assert.deepEqual([...back.data], [7]);

  const emptyDict = "{'descr': '<f8', 'fortran_order': False, 'shape': (0,), }";
  const empty = concat(
    Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0x76, 0),
    ascii(emptyDict + " ".repeat(118 - emptyDict.length - 1) + "\n"),
  );
  assert.deepEqual(encodeNpy({ dtype: "float64", shape: [0], data: new Float64Array(0) }), empty);
  assert.deepEqual(parseNpy(empty).shape, [0]);
});

Deno.test("encodeNpy pads every header so the data starts on a 64-byte boundary, ending in a newline", () => {
  // Shapes whose dict + growth-axis spaces fall on both sides of a 64-byte boundary.
  const shapes = [[], [1], [12345678901, 0], [2, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [0, 99999, 7], [3, 0]];
  for (const shape of shapes) {
    const a: NdArray = { dtype: "uint8", shape, data: new Uint8Array(shape.reduce((p, d) => p * d, 1)) };
    const bytes = encodeNpy(a);
    const headerLength = bytes[8] | (bytes[9] << 8);
    const dataStart = 10 + headerLength;
    assert.equal(dataStart % 64, 0, `shape ${shape}`);
    assert.equal(bytes[dataStart - 1], 0x0a);
    const text = String.fromCharCode(...bytes.subarray(10, dataStart - 1));
    assert.match(text, /^\{'descr': '\|u1', 'fortran_order': False, 'shape': \([0-9, ]*\), \} +$/);
    // numpy keeps at least (21 - digits of the first axis) spare spaces for growing the array in place.
    if (a.shape.length > 0) {
      const spaces = text.length - text.trimEnd().length;
      assert.ok(spaces >= 21 - String(a.shape[0]).length, `shape ${a.shape}: ${spaces} spaces`);
    }
  }
});

Deno.test("encodeNpy matches the header lengths numpy 2.4 writes at the padding edge cases", () => {
  // [shape, HEADER_LEN from np.save(f, np.zeros(shape, np.uint8))]. The first has preamble + dict + spare
  // spaces + "\n" at exactly 128 bytes, where numpy still adds a full 64 bytes of padding; the second only
  // fits in 128 bytes because numpy's spare spaces follow the digits of the first axis, not the last.
  const cases: [number[], number][] = [
    [[3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 100], 182],
    [[9999999999, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 118],
  ];
  for (const [shape, numpyHeaderLength] of cases) {
    const n = shape.reduce((p, d) => p * d, 1);
    const bytes = encodeNpy({ dtype: "uint8", shape, data: new Uint8Array(n) });
    assert.equal(bytes[8] | (bytes[9] << 8), numpyHeaderLength, `shape ${shape}`);
    assert.equal(bytes.length, 10 + numpyHeaderLength + n);
  }
});

Deno.test("parseNpy reads Fortran-order data into C order", () => {
  // numpy bytes for np.save(f, np.asfortranarray(np.arange(6, dtype='<f8').reshape(2, 3))): memory is column-major.
  const bytes = npyBytes(
    "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }",
    hex(
      "0000000000000000 0000000000000840 000000000000f03f 0000000000001040 0000000000000040 0000000000001440",
    ),
  );
  assert.equal(bytes.length, 128 + 48);
  const a = parseNpy(bytes);
  assert.equal(a.dtype, "float64");
  assert.ok(a.data instanceof Float64Array);
  assert.deepEqual([...a.data], [0, 1, 2, 3, 4, 5]);
});

/** Naive C-order data -> Fortran-order data: element (i0..ik) goes to offset i0 + d0 * (i1 + d1 * (...)). */
function naiveToFortran(values: number[], shape: number[]): number[] {
  const out = new Array<number>(values.length);
  for (let c = 0; c < values.length; c++) {
    const idx: number[] = [];
    let rest = c;
    for (let k = shape.length - 1; k >= 0; k--) {
      idx[k] = rest % shape[k];
      rest = Math.floor(rest / shape[k]);
    }
    let f = 0;
    for (let k = shape.length - 1; k >= 0; k--) f = f * shape[k] + idx[k];
    out[f] = values[c];
  }
  return out;
}

const DESCR: Record<DType, string> = { float32: "<f4", float64: "<f8", uint8: "|u1" };
const SHAPES = [[], [0], [5], [2, 3], [3, 0], [0, 4], [2, 3, 4], [1, 1, 1, 1], [3, 1, 2, 2]];

function sampleValues(dtype: DType, n: number, rand: () => number): number[] {
  return Array.from({ length: n }, () => dtype === "uint8" ? Math.floor(rand() * 256) : (rand() - 0.5) * 1e3);
}

function typed(dtype: DType, values: number[]): Float32Array | Float64Array | Uint8Array {
  return dtype === "float32"
    ? Float32Array.from(values)
    : dtype === "float64"
    ? Float64Array.from(values)
    : Uint8Array.from(values);
}

function leBytes(dtype: DType, values: number[]): Uint8Array {
  return dtype === "float32" ? f32le(values) : dtype === "float64" ? f64le(values) : Uint8Array.from(values);
}

function shapeRepr(shape: number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

Deno.test("encodeNpy then parseNpy returns the same array for every dtype and shape (incl. 0-d and empty)", () => {
  const rand = seededRandom(1);
  for (const dtype of ["float32", "float64", "uint8"] as DType[]) {
    for (const shape of SHAPES) {
      const n = shape.reduce((p, d) => p * d, 1);
      const a: NdArray = { dtype, shape, data: typed(dtype, sampleValues(dtype, n, rand)) };
      const back = parseNpy(encodeNpy(a));
      assert.equal(back.dtype, dtype);
      assert.deepEqual(back.shape, shape);
      assert.equal(back.data.constructor, a.data.constructor);
      assert.deepEqual([...back.data], [...a.data], `${dtype} ${shape}`);
    }
  }
});

Deno.test("parseNpy reads hand-built C- and Fortran-order files of every dtype and shape", () => {
  const rand = seededRandom(2);
  for (const dtype of ["float32", "float64", "uint8"] as DType[]) {
    for (const shape of SHAPES) {
      const n = shape.reduce((p, d) => p * d, 1);
      const values = [...typed(dtype, sampleValues(dtype, n, rand))]; // rounded to the dtype
      for (const fortran of [false, true]) {
        const dict = `{'descr': '${DESCR[dtype]}', 'fortran_order': ${fortran ? "True" : "False"}, ` +
          `'shape': ${shapeRepr(shape)}, }`;
        const stored = fortran ? naiveToFortran(values, shape) : values;
        const a = parseNpy(npyBytes(dict, leBytes(dtype, stored)));
        assert.deepEqual(a.shape, shape);
        assert.deepEqual([...a.data], values, `${dtype} ${shape} fortran=${fortran}`);
      }
    }
  }
});

Deno.test("float round trips keep NaN, -0, infinities and subnormals bit for bit", () => {
  const special = [NaN, -0, Infinity, -Infinity, 1.4e-45, 3.4028234663852886e38, 5e-324];
  for (const dtype of ["float32", "float64"] as DType[]) {
    const data = typed(dtype, special);
    const back = parseNpy(encodeNpy({ dtype, shape: [special.length], data }));
    assert.deepEqual(
      new Uint8Array(back.data.buffer, back.data.byteOffset, back.data.byteLength),
      new Uint8Array(data.buffer),
    );
  }
});

Deno.test("parseNpy reads format 2.0 and 3.0 headers (uint32 length field)", () => {
  const dict = "{'shape': (3,), 'fortran_order': False, 'descr': '<f8'}"; // any key order, no trailing comma
  for (const major of [2, 3]) {
    const a = parseNpy(npyBytes(dict, f64le([1.5, -2, 3]), { major }));
    assert.deepEqual([...a.data], [1.5, -2, 3]);
  }
});

Deno.test("encodeNpy switches to format 2.0 when the header exceeds 65535 bytes, and parseNpy reads it", () => {
  const shape = new Array<number>(22000).fill(1);
  shape[0] = 0; // 22000 axes, no elements: a header of ~66 KB
  const bytes = encodeNpy({ dtype: "float32", shape, data: new Float32Array(0) });
  assert.equal(bytes[6], 2);
  assert.equal(bytes[7], 0);
  const headerLength = new DataView(bytes.buffer).getUint32(8, true);
  assert.ok(headerLength > 65535);
  assert.equal((12 + headerLength) % 64, 0);
  assert.deepEqual(parseNpy(bytes).shape, shape);
});

Deno.test("parseNpy accepts '<u1' and '>u1' as uint8 (one byte has no byte order)", () => {
  for (const descr of ["<u1", ">u1", "|u1"]) {
    const a = parseNpy(
      npyBytes(`{'descr': '${descr}', 'fortran_order': False, 'shape': (2,), }`, Uint8Array.of(9, 250)),
    );
    assert.equal(a.dtype, "uint8");
    assert.deepEqual([...a.data], [9, 250]);
  }
});

Deno.test("parseNpy returns data aligned for its element type even when the input is not", () => {
  const padded = new Uint8Array(ARANGE6_NPY.length + 3);
  padded.set(ARANGE6_NPY, 3); // starts at an odd offset
  const a = parseNpy(padded.subarray(3));
  assert.equal(a.data.byteOffset % 4, 0);
  assert.deepEqual([...a.data], [0, 1, 2, 3, 4, 5]);
  padded[3 + 128] = 0xff; // mutating the input afterwards must not change the parsed array
  assert.equal(a.data[0], 0);
});

// ---- bad inputs ----

const F4 = (shape: string) => `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;

Deno.test("parseNpy rejects a file without the .npy magic", () => {
  assertTypedError(
    () => parseNpy(ascii("PK\x03\x04 not numpy at all")),
    InvalidInputError,
    "npy_bad_magic",
    /magic/,
  );
  assertTypedError(() => parseNpy(new Uint8Array(0)), InvalidInputError, "npy_truncated_header");
  const wrong = ARANGE6_NPY.slice();
  wrong[0] = 0x94;
  assertTypedError(() => parseNpy(wrong), InvalidInputError, "npy_bad_magic");
});

Deno.test("parseNpy rejects unsupported format versions and names the supported ones", () => {
  for (const [major, minor] of [[0, 0], [4, 0], [1, 1], [2, 5]]) {
    const bytes = ARANGE6_NPY.slice();
    bytes[6] = major;
    bytes[7] = minor;
    assertTypedError(
      () => parseNpy(bytes),
      InvalidInputError,
      "npy_unsupported_version",
      new RegExp(`${major}\\.${minor}.*1\\.0, 2\\.0, 3\\.0`),
    );
  }
});

Deno.test("parseNpy rejects a truncated preamble or header", () => {
  assertTypedError(() => parseNpy(ARANGE6_NPY.subarray(0, 5)), InvalidInputError, "npy_truncated_header");
  assertTypedError(() => parseNpy(ARANGE6_NPY.subarray(0, 9)), InvalidInputError, "npy_truncated_header");
  assertTypedError(
    () => parseNpy(ARANGE6_NPY.subarray(0, 100)),
    InvalidInputError,
    "npy_truncated_header",
    /declares 118 bytes but only 90 follow/,
  );
});

Deno.test("parseNpy rejects a header that is not a valid dict literal, without evaluating it", () => {
  const cases = [
    "[1, 2, 3]",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), ", // unclosed
    "__import__('os').system('echo pwned')",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} + {}",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}",
    "{'descr': '<f4', 'shape': (2, 3)}",
    "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}",
    "{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3)}",
    "{'descr': 4, 'fortran_order': False, 'shape': (2, 3)}",
    "{1: '<f4', 'fortran_order': False, 'shape': (2, 3)}",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2.5, 3)}",
    "",
  ];
  for (const dict of cases) {
    assertTypedError(
      () => parseNpy(npyBytes(dict, f32le([0, 1, 2, 3, 4, 5]))),
      InvalidInputError,
      "npy_invalid_header",
    );
  }
});

Deno.test("parseNpy rejects a header longer than 100000 bytes", () => {
  const bytes = npyBytes(F4("(0,)"), new Uint8Array(0), { major: 2, total: 100_100 });
  assertTypedError(() => parseNpy(bytes), InvalidInputError, "npy_invalid_header", /100000/);
});

Deno.test("parseNpy rejects unsupported dtypes, naming the dtype and the supported ones", () => {
  const cases: [string, RegExp][] = [
    ["'<i4'", /'<i4' is not supported.*'<f4'.*'<f8'.*'\|u1'/],
    ["'>f4'", /'>f4' is big-endian.*supported: '<f4'/],
    ["'>f8'", /'>f8' is big-endian/],
    ["'|O'", /'\|O' is an object dtype/],
    ["'<f2'", /'<f2' is not supported/],
    ["[('x', '<f4'), ('y', '<f4')]", /structured dtypes are not supported/],
  ];
  for (const [descr, message] of cases) {
    const dict = `{'descr': ${descr}, 'fortran_order': False, 'shape': (1,), }`;
    assertTypedError(
      () => parseNpy(npyBytes(dict, new Uint8Array(8))),
      InvalidInputError,
      "npy_unsupported_dtype",
      message,
    );
  }
});

Deno.test("parseNpy rejects a shape that is not a tuple of non-negative integers", () => {
  for (
    const shape of ["[2, 3]", "(2, -1)", "('2',)", "(None,)", "(True, 2)", "3", "(99999999999999999999,)"]
  ) {
    assertTypedError(
      () => parseNpy(npyBytes(F4(shape), new Uint8Array(0))),
      InvalidInputError,
      "npy_invalid_shape",
    );
  }
});

Deno.test("parseNpy rejects data shorter or longer than the shape needs, saying expected vs actual bytes", () => {
  const short = ARANGE6_NPY.subarray(0, ARANGE6_NPY.length - 4);
  assertTypedError(
    () => parseNpy(short),
    InvalidInputError,
    "npy_data_length_mismatch",
    /needs 24 data bytes.*has 20/,
  );
  const long = concat(ARANGE6_NPY, Uint8Array.of(0));
  assertTypedError(() => parseNpy(long), InvalidInputError, "npy_data_length_mismatch", /needs 24 .*has 25/);
});

Deno.test("parseNpy rejects a shape over maxElements with 413 before reading data", () => {
  assertTypedError(
    () => parseNpy(ARANGE6_NPY, { maxElements: 5 }),
    PayloadTooLargeError,
    "npy_too_many_elements",
    /6 elements; at most 5/,
  );
  assert.equal(parseNpy(ARANGE6_NPY, { maxElements: 6 }).data.length, 6);
  // A huge declared shape with no data behind it is refused on its size alone.
  const huge = npyBytes(F4("(1000000, 2048)"), new Uint8Array(0));
  assertTypedError(() => parseNpy(huge, { maxElements: 1e8 }), PayloadTooLargeError, "npy_too_many_elements");
});

Deno.test("encodeNpy rejects an inconsistent NdArray", () => {
  assertTypedError(
    () => encodeNpy({ dtype: "float32", shape: [2, 2], data: new Float32Array(3) }),
    InvalidInputError,
    "ndarray_data_length_mismatch",
  );
  assertTypedError(
    () => encodeNpy({ dtype: "float64", shape: [2], data: new Float32Array(2) }),
    InvalidInputError,
    "ndarray_dtype_mismatch",
  );
  assertTypedError(
    () => encodeNpy({ dtype: "uint8", shape: [-1], data: new Uint8Array(0) }),
    InvalidInputError,
    "ndarray_invalid_shape",
  );
});

Deno.test("shareBuffer gives a view of the file's aligned data instead of a copy; misaligned data is copied", () => {
  const a = { dtype: "float32" as const, shape: [3, 2], data: Float32Array.of(1, 2, 3, 4, 5, 6) };
  const bytes = encodeNpy(a);
  const shared = parseNpy(bytes, { shareBuffer: true });
  assert.deepEqual(shared.data, a.data);
  assert.equal(shared.data.buffer, bytes.buffer, "a view of the input");
  assert.notEqual(parseNpy(bytes).data.buffer, bytes.buffer, "a copy by default");
  // The same file one byte into a larger buffer: float32 views need 4-byte alignment, so it is copied.
  const shifted = new Uint8Array(bytes.length + 1);
  shifted.set(bytes, 1);
  const copied = parseNpy(shifted.subarray(1), { shareBuffer: true });
  assert.deepEqual(copied.data, a.data);
  assert.notEqual(copied.data.buffer, shifted.buffer);
});
