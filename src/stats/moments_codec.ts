/**
 * Binary form of Moments for storage: a 24-byte little-endian header, then float64 data.
 *
 *   bytes 0..3   magic "FSMO"
 *   bytes 4..7   uint32 format version (1)
 *   bytes 8..11  uint32 dim
 *   bytes 12..15 uint32 reserved, 0
 *   bytes 16..23 float64 n (a non-negative integer; float64 holds counts exactly up to 2^53)
 *   then dim float64 sums, then dim(dim+1)/2 float64 packed co-moments, all little-endian.
 */

import { InvalidInputError } from "../errors.ts";
import { type Moments, packedLength } from "./moments.ts";

const MAGIC = [0x46, 0x53, 0x4d, 0x4f]; // "FSMO"
const VERSION = 1;
const HEADER_BYTES = 24;
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Byte length of an encoded Moments of dimension `dim`. */
export function encodedMomentsLength(dim: number): number {
  return HEADER_BYTES + 8 * (dim + packedLength(dim));
}

/** Serializes `m` (header + float64 data, little-endian). */
export function encodeMoments(m: Moments): Uint8Array {
  const dim = m.dim;
  if (m.sum.length !== dim || m.comoment.length !== packedLength(dim)) {
    throw new InvalidInputError(
      "moments_inconsistent",
      `moments of dim ${dim} must hold ${dim} sums and ${packedLength(dim)} co-moments, ` +
        `got ${m.sum.length} and ${m.comoment.length}`,
    );
  }
  const bytes = new Uint8Array(encodedMomentsLength(dim));
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint32(4, VERSION, true);
  view.setUint32(8, dim, true);
  view.setUint32(12, 0, true);
  view.setFloat64(16, m.n, true);
  writeFloat64s(bytes, view, HEADER_BYTES, m.sum);
  writeFloat64s(bytes, view, HEADER_BYTES + 8 * dim, m.comoment);
  return bytes;
}

/** Parses bytes written by encodeMoments; throws InvalidInputError on anything malformed. */
export function decodeMoments(bytes: Uint8Array): Moments {
  if (bytes.length < HEADER_BYTES) {
    throw new InvalidInputError(
      "moments_truncated",
      `encoded moments need at least a ${HEADER_BYTES}-byte header, got ${bytes.length} bytes`,
    );
  }
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) {
      throw new InvalidInputError(
        "moments_bad_magic",
        "encoded moments must start with the magic bytes 'FSMO'",
      );
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== VERSION) {
    throw new InvalidInputError(
      "moments_bad_version",
      `encoded moments have format version ${version}; this build reads version ${VERSION}`,
    );
  }
  const dim = view.getUint32(8, true);
  const reserved = view.getUint32(12, true);
  const n = view.getFloat64(16, true);
  if (dim < 1 || reserved !== 0 || !Number.isSafeInteger(n) || n < 0) {
    throw new InvalidInputError(
      "moments_bad_header",
      `encoded moments header is invalid (dim ${dim}, reserved ${reserved}, n ${n}); ` +
        "expected dim >= 1, reserved 0 and a non-negative integer n",
    );
  }
  const expected = encodedMomentsLength(dim);
  if (bytes.length !== expected) {
    throw new InvalidInputError(
      "moments_bad_length",
      `encoded moments of dim ${dim} must be ${expected} bytes, got ${bytes.length}`,
    );
  }
  const sum = readFloat64s(bytes, view, HEADER_BYTES, dim);
  const comoment = readFloat64s(bytes, view, HEADER_BYTES + 8 * dim, packedLength(dim));
  if (!allFinite(sum) || !allFinite(comoment)) {
    throw new InvalidInputError("moments_not_finite", "encoded moments contain NaN or infinite values");
  }
  return { dim, n, sum, comoment };
}

function writeFloat64s(bytes: Uint8Array, view: DataView, offset: number, src: Float64Array): void {
  if (LITTLE_ENDIAN_HOST) {
    bytes.set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength), offset);
    return;
  }
  for (let i = 0; i < src.length; i++) view.setFloat64(offset + 8 * i, src[i], true);
}

function readFloat64s(bytes: Uint8Array, view: DataView, offset: number, count: number): Float64Array {
  const out = new Float64Array(count);
  if (LITTLE_ENDIAN_HOST) {
    // Copy through bytes: the source offset need not be 8-byte aligned.
    new Uint8Array(out.buffer).set(bytes.subarray(offset, offset + 8 * count));
    return out;
  }
  for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, true);
  return out;
}

function allFinite(a: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}
