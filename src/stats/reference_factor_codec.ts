/**
 * Byte format of a prepared FID reference (src/stats/frechet.ts ReferenceFactor), cached in the database.
 *
 * Little-endian, 8-byte aligned sections:
 *   "FIDREF01" magic (8 bytes) | dim u32 | rank u32 | traceSigma f64 | mu f64[dim] | perm i32[dim] (+pad to 8)
 *   | the upper trapezoid of L^T, row by row: row i holds columns i..dim-1 (f64).
 * Only the nonzero trapezoid is stored: half the bytes of the dense rank x dim array (16.8 MB at dim 2048).
 */
import { InvalidInputError } from "../errors.ts";
import type { ReferenceFactor } from "./frechet.ts";

const MAGIC = "FIDREF01";
const HEADER_BYTES = 8 + 4 + 4 + 8;

function padTo8(x: number): number {
  return Math.ceil(x / 8) * 8;
}

function trapezoidLength(dim: number, rank: number): number {
  // sum over i < rank of (dim - i)
  return rank * dim - (rank * (rank - 1)) / 2;
}

function encodedLength(dim: number, rank: number): number {
  return HEADER_BYTES + 8 * dim + padTo8(4 * dim) + 8 * trapezoidLength(dim, rank);
}

/** Serializes the factor (see the format above). */
export function encodeReferenceFactor(ref: ReferenceFactor): Uint8Array {
  const { dim, rank } = ref;
  const out = new Uint8Array(encodedLength(dim, rank));
  const view = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = MAGIC.charCodeAt(i);
  view.setUint32(8, dim, true);
  view.setUint32(12, rank, true);
  view.setFloat64(16, ref.traceSigma, true);
  let off = HEADER_BYTES;
  for (let i = 0; i < dim; i++, off += 8) view.setFloat64(off, ref.mu[i], true);
  for (let i = 0; i < dim; i++, off += 4) view.setInt32(off, ref.perm[i], true);
  off = padTo8(off);
  for (let i = 0; i < rank; i++) {
    const row = i * dim;
    for (let k = i; k < dim; k++, off += 8) view.setFloat64(off, ref.lt[row + k], true);
  }
  return out;
}

/** Parses bytes written by encodeReferenceFactor; throws InvalidInputError when they are not such bytes. */
export function decodeReferenceFactor(bytes: Uint8Array): ReferenceFactor {
  const bad = (why: string) =>
    new InvalidInputError("reference_factor_malformed", `cached FID reference factor is unreadable: ${why}`);
  if (bytes.length < HEADER_BYTES) {
    throw bad(`${bytes.length} bytes is shorter than the ${HEADER_BYTES}-byte header`);
  }
  for (let i = 0; i < 8; i++) {
    if (bytes[i] !== MAGIC.charCodeAt(i)) throw bad(`it does not start with "${MAGIC}"`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dim = view.getUint32(8, true);
  const rank = view.getUint32(12, true);
  if (dim === 0 || rank > dim) throw bad(`dimension ${dim} with rank ${rank}`);
  const expected = encodedLength(dim, rank);
  if (bytes.length !== expected) {
    throw bad(`expected ${expected} bytes for dimension ${dim}, got ${bytes.length}`);
  }
  const traceSigma = view.getFloat64(16, true);
  const mu = new Float64Array(dim);
  let off = HEADER_BYTES;
  for (let i = 0; i < dim; i++, off += 8) mu[i] = view.getFloat64(off, true);
  const perm = new Int32Array(dim);
  const seen = new Uint8Array(dim);
  for (let i = 0; i < dim; i++, off += 4) {
    const p = view.getInt32(off, true);
    if (p < 0 || p >= dim || seen[p]) throw bad("the pivot order is not a permutation");
    seen[p] = 1;
    perm[i] = p;
  }
  off = padTo8(off);
  const lt = new Float64Array(rank * dim);
  for (let i = 0; i < rank; i++) {
    const row = i * dim;
    for (let k = i; k < dim; k++, off += 8) lt[row + k] = view.getFloat64(off, true);
  }
  return { dim, mu, traceSigma, rank, perm, lt };
}
