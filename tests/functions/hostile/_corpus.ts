/**
 * A corpus of hostile .npy and .npz bodies, built in code: each with the status the service must answer (400
 * unparseable, 413 too large, 422 unusable). Feature bodies are for a run or reference of dimension DIM.
 */
import { encodeNpy } from "../../../src/tensors/npy.ts";
import { encodeNpz } from "../../../src/tensors/npz.ts";
import { ascii, concat, f32le, f64le, npyBytes } from "../../tensors/_fixtures.ts";
import { buildZip } from "../../../tools/zip_builder.ts";

/** Feature dimension the corpus's feature bodies are written for. */
export const DIM = 4;

/** One hostile body and the status it must get. */
export interface HostileCase {
  name: string;
  body: Uint8Array;
  status: 400 | 413 | 422;
}

const dict = (descr: string, shape: string, fortran = "False") =>
  `{'descr': ${descr}, 'fortran_order': ${fortran}, 'shape': ${shape}, }`;

/** A float32 .npy of n x DIM (or n x dim) values from `fill`. */
function f32Matrix(n: number, dim = DIM, fill: (i: number) => number = (i) => i / 7): Uint8Array {
  return encodeNpy({
    dtype: "float32",
    shape: [n, dim],
    data: Float32Array.from({ length: n * dim }, (_, i) => fill(i)),
  });
}

const valid = f32Matrix(3);
const data12 = f32le(Array.from({ length: 3 * DIM }, (_, i) => i));

/** Bodies that must never become a batch of a DIM-column run or reference. */
export function npyCorpus(): HostileCase[] {
  const v2HeaderLength = (n: number) => {
    const b = npyBytes(dict("'<f4'", `(3, ${DIM})`), data12, { major: 2 });
    new DataView(b.buffer).setUint32(8, n, true);
    return b;
  };
  return [
    // Not .npy at all, or cut short.
    { name: "JSON text", body: ascii('{"features": [[1, 2, 3, 4]]}'), status: 400 },
    {
      name: "PNG signature",
      body: Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0),
      status: 400,
    },
    { name: "magic only", body: ascii("\x93NUMPY"), status: 400 },
    { name: "truncated in the version", body: valid.slice(0, 7), status: 400 },
    { name: "truncated in the header length", body: valid.slice(0, 9), status: 400 },
    { name: "truncated in the header", body: valid.slice(0, 40), status: 400 },
    { name: "truncated in the data", body: valid.slice(0, valid.length - 3), status: 400 },
    {
      name: "header length 65535 (v1) past the end",
      body: (() => {
        const b = valid.slice();
        new DataView(b.buffer).setUint16(8, 0xffff, true);
        return b;
      })(),
      status: 400,
    },
    { name: "header length 4 GiB (v2)", body: v2HeaderLength(0xffffffff), status: 400 },
    { name: "header length 99,999 (v2) past the end", body: v2HeaderLength(99_999), status: 400 },
    { name: "version 4.0", body: npyBytes(dict("'<f4'", `(3, ${DIM})`), data12, { major: 4 }), status: 400 },
    { name: "version 1.1", body: npyBytes(dict("'<f4'", `(3, ${DIM})`), data12, { minor: 1 }), status: 400 },
    {
      name: "v3 header not UTF-8",
      body: concat(
        npyBytes(dict("'<f4'", `(3, ${DIM})`), new Uint8Array(0), { major: 3 }).map((
          c,
          i,
        ) => (i === 20 ? 0xff : c)),
        data12,
      ),
      status: 400,
    },
    // Headers that are not the dict numpy writes.
    { name: "header is a list", body: npyBytes("[1, 2, 3]", data12), status: 400 },
    {
      name: "header missing shape",
      body: npyBytes("{'descr': '<f4', 'fortran_order': False}", data12),
      status: 400,
    },
    {
      name: "header with an extra key",
      body: npyBytes(`{'descr': '<f4', 'fortran_order': False, 'shape': (3, ${DIM}), 'x': 1}`, data12),
      status: 400,
    },
    {
      name: "header calls a function",
      body: npyBytes(
        `{'descr': __import__('os').system('true'), 'fortran_order': False, 'shape': (3, ${DIM})}`,
        data12,
      ),
      status: 400,
    },
    {
      name: "header nested 5000 deep",
      body: npyBytes(
        `{'descr': '<f4', 'fortran_order': False, 'shape': ${"(".repeat(5000)}${")".repeat(5000)}}`,
        data12,
        { major: 2 },
      ),
      status: 400,
    },
    {
      name: "header with NUL bytes",
      body: npyBytes(`{'descr': '<f4\u0000', 'fortran_order': False, 'shape': (3, ${DIM})}`, data12),
      status: 400,
    },
    {
      name: "fortran_order 'yes'",
      body: npyBytes(dict("'<f4'", `(3, ${DIM})`, "'yes'"), data12),
      status: 400,
    },
    // Element types fidstream never loads.
    { name: "object dtype |O", body: npyBytes(dict("'|O'", `(3, ${DIM})`), new Uint8Array(96)), status: 400 },
    {
      name: "object dtype <O8",
      body: npyBytes(dict("'<O8'", `(3, ${DIM})`), new Uint8Array(96)),
      status: 400,
    },
    { name: "big-endian >f4", body: npyBytes(dict("'>f4'", `(3, ${DIM})`), data12), status: 400 },
    {
      name: "big-endian >f8",
      body: npyBytes(dict("'>f8'", `(3, ${DIM})`), f64le(Array(12).fill(1))),
      status: 400,
    },
    { name: "int32", body: npyBytes(dict("'<i4'", `(3, ${DIM})`), data12), status: 400 },
    { name: "float16", body: npyBytes(dict("'<f2'", `(3, ${DIM})`), new Uint8Array(24)), status: 400 },
    { name: "complex64", body: npyBytes(dict("'<c8'", `(3, ${DIM})`), new Uint8Array(96)), status: 400 },
    {
      name: "unicode strings <U10",
      body: npyBytes(dict("'<U10'", `(3, ${DIM})`), new Uint8Array(480)),
      status: 400,
    },
    { name: "structured dtype", body: npyBytes(dict("[('x', '<f4')]", `(3, ${DIM})`), data12), status: 400 },
    // Shapes that lie about the data, or claim absurd sizes.
    {
      name: "shape claims 1000 rows, data has 3",
      body: npyBytes(dict("'<f4'", `(1000, ${DIM})`), data12),
      status: 400,
    },
    {
      name: "shape claims 1 row, data has 3",
      body: npyBytes(dict("'<f4'", `(1, ${DIM})`), data12),
      status: 400,
    },
    { name: "one byte more than the shape", body: concat(valid, Uint8Array.of(0)), status: 400 },
    { name: "negative axis", body: npyBytes(dict("'<f4'", `(-3, ${DIM})`), data12), status: 400 },
    { name: "axis 2**63", body: npyBytes(dict("'<f4'", "(9223372036854775808, 4)"), data12), status: 400 },
    {
      name: "axes 2**53 x 2**53",
      body: npyBytes(dict("'<f4'", "(9007199254740991, 9007199254740991)"), data12),
      status: 400,
    },
    { name: "1 x 2**40 columns", body: npyBytes(dict("'<f4'", "(1, 1099511627776)"), data12), status: 400 },
    { name: "float axis", body: npyBytes(dict("'<f4'", `(3.0, ${DIM})`), data12), status: 400 },
    { name: "string axis", body: npyBytes(dict("'<f4'", `('3', ${DIM})`), data12), status: 400 },
    // Parseable, but not features of this run.
    { name: "1-D", body: npyBytes(dict("'<f4'", "(12,)"), data12), status: 422 },
    { name: "3-D", body: npyBytes(dict("'<f4'", `(3, 1, ${DIM})`), data12), status: 422 },
    { name: "0-D scalar", body: npyBytes(dict("'<f4'", "()"), f32le([1])), status: 422 },
    { name: "0 rows", body: npyBytes(dict("'<f4'", `(0, ${DIM})`), new Uint8Array(0)), status: 422 },
    { name: "wrong D", body: f32Matrix(3, DIM + 1), status: 422 },
    { name: "NaN", body: f32Matrix(3, DIM, (i) => (i === 5 ? NaN : i)), status: 422 },
    { name: "+Inf", body: f32Matrix(3, DIM, (i) => (i === 11 ? Infinity : i)), status: 422 },
    {
      name: "-Inf float64",
      body: encodeNpy({
        dtype: "float64",
        shape: [2, DIM],
        data: Float64Array.of(1, 2, 3, 4, 5, -Infinity, 7, 8),
      }),
      status: 422,
    },
    {
      name: "NaN in Fortran order",
      body: npyBytes(dict("'<f4'", `(3, ${DIM})`, "True"), f32le([0, 1, 2, 3, 4, 5, NaN, 7, 8, 9, 10, 11])),
      status: 422,
    },
    {
      name: "NaN with a payload",
      body: encodeNpy({
        dtype: "float64",
        shape: [1, DIM],
        data: new Float64Array(new BigUint64Array([0x7ff8000000000001n, 0n, 0n, 0n]).buffer),
      }),
      status: 422,
    },
  ];
}

/** An .npy of `bytes` zero bytes of float64 data: deflates to almost nothing. */
function zerosNpy(bytes: number): Uint8Array {
  return concat(npyBytes(dict("'<f8'", `(${bytes / 8},)`), new Uint8Array(0)), new Uint8Array(bytes));
}

/** A small deflated archive whose one member truthfully inflates to `bytes` zero bytes. */
export function zipBomb(bytes: number): Uint8Array {
  return buildZip([{ name: "mu.npy", data: zerosNpy(bytes), deflate: true }]);
}

/** Bodies that must never become a statistics reference (POST /v1/references as application/zip). */
export function npzCorpus(): HostileCase[] {
  const mu = { dtype: "float64" as const, shape: [DIM], data: Float64Array.of(0.1, 0.2, 0.3, 0.4) };
  const eye = Float64Array.from({ length: DIM * DIM }, (_, i) => (i % (DIM + 1) === 0 ? 1 : 0));
  const sigma = { dtype: "float64" as const, shape: [DIM, DIM], data: eye };
  const good = encodeNpz({ mu, sigma });
  const withSigma = (data: Float64Array, shape = [DIM, DIM]) =>
    encodeNpz({ mu, sigma: { dtype: "float64", shape, data } });
  const garbled = buildZip([{ name: "mu.npy", data: encodeNpy(mu), deflate: true }]);
  for (let i = 40; i < 50; i++) garbled[i] = 0xee;
  return [
    // Declared sizes are checked before anything is inflated.
    {
      name: "zip bomb declaring 2 GiB",
      body: buildZip([{ name: "mu.npy", data: zerosNpy(1 << 16), deflate: true, declaredSize: 2 ** 31 }]),
      status: 413,
    },
    {
      name: "200 members declaring 8 MiB each",
      body: buildZip(
        Array.from(
          { length: 200 },
          (_, i) => ({ name: `m${i}.npy`, data: zerosNpy(64), declaredSize: 8 << 20 }),
        ),
      ),
      status: 413,
    },
    {
      name: "member inflates past its declared size",
      body: buildZip([{ name: "mu.npy", data: zerosNpy(1 << 20), deflate: true, declaredSize: 1000 }]),
      status: 400,
    },
    { name: "truncated archive", body: good.slice(0, good.length - 30), status: 400 },
    { name: "only the zip magic", body: Uint8Array.of(0x50, 0x4b, 0x03, 0x04), status: 400 },
    {
      name: "not a zip after the magic",
      body: concat(Uint8Array.of(0x50, 0x4b, 0x03, 0x04), new Uint8Array(100).fill(0x41)),
      status: 400,
    },
    { name: "garbled deflate stream", body: garbled, status: 400 },
    {
      name: "CRC mismatch",
      body: buildZip([{ name: "mu.npy", data: encodeNpy(mu), declaredCrc: 1234 }, {
        name: "sigma.npy",
        data: encodeNpy(sigma),
      }]),
      status: 400,
    },
    {
      name: "encrypted member",
      body: buildZip([{ name: "mu.npy", data: encodeNpy(mu), flags: 1 }]),
      status: 400,
    },
    {
      name: "bzip2 member",
      body: buildZip([{ name: "mu.npy", data: encodeNpy(mu), declaredMethod: 12 }]),
      status: 400,
    },
    {
      name: "pickle member",
      body: buildZip([{ name: "mu.pkl", data: ascii("cos\nsystem\n(S'true'\ntR.") }]),
      status: 400,
    },
    {
      name: "duplicate member",
      body: buildZip([{ name: "mu.npy", data: encodeNpy(mu) }, { name: "mu.npy", data: encodeNpy(mu) }]),
      status: 400,
    },
    {
      name: "object dtype member",
      body: buildZip([{
        name: "mu.npy",
        data: npyBytes(dict("'|O'", "(4,)"), ascii("\x80\x04cos\nsystem\n")),
      }]),
      status: 400,
    },
    {
      name: "big-endian mu",
      body: buildZip([{ name: "mu.npy", data: npyBytes(dict("'>f8'", "(4,)"), f64le([1, 2, 3, 4])) }, {
        name: "sigma.npy",
        data: encodeNpy(sigma),
      }]),
      status: 400,
    },
    { name: "missing sigma", body: encodeNpz({ mu }), status: 422 },
    {
      name: "sigma not D x D",
      body: withSigma(new Float64Array(DIM * (DIM + 1)), [DIM, DIM + 1]),
      status: 422,
    },
    { name: "sigma with NaN", body: withSigma(eye.map((v, i) => (i === 5 ? NaN : v))), status: 422 },
    { name: "sigma asymmetric", body: withSigma(eye.map((v, i) => (i === 1 ? 5 : v))), status: 422 },
    {
      name: "mu of 0 entries",
      body: encodeNpz({ mu: { dtype: "float64", shape: [0], data: new Float64Array(0) }, sigma }),
      status: 422,
    },
  ];
}
