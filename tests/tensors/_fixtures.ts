/** Test helpers for tests/tensors: hand-built .npy bytes and typed-error assertions. */

import assert from "node:assert/strict";
import type { FidstreamError } from "../../src/errors.ts";

/** Bytes of `text` as latin1/ASCII. */
export function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** Bytes from a hex string such as "0000803f". */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  return Uint8Array.from({ length: clean.length / 2 }, (_, i) => parseInt(clean.slice(2 * i, 2 * i + 2), 16));
}

/** Concatenate byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A .npy file built by hand from a header dict text and raw data: magic, version, length field, then the
 * text padded with spaces to `total` header bytes ending in "\n" (default: next multiple of 64 bytes).
 */
export function npyBytes(
  dict: string,
  data: Uint8Array,
  opts: { major?: number; minor?: number; total?: number } = {},
): Uint8Array {
  const major = opts.major ?? 1;
  const lengthBytes = major === 1 ? 2 : 4;
  const preamble = 8 + lengthBytes;
  const minimum = preamble + dict.length + 1;
  const total = opts.total ?? Math.ceil(minimum / 64) * 64;
  const headerLength = total - preamble;
  const lengthField = new Uint8Array(lengthBytes);
  if (major === 1) new DataView(lengthField.buffer).setUint16(0, headerLength, true);
  else new DataView(lengthField.buffer).setUint32(0, headerLength, true);
  return concat(
    Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, opts.minor ?? 0),
    lengthField,
    ascii(dict + " ".repeat(headerLength - dict.length - 1) + "\n"),
    data,
  );
}

/** Little-endian bytes of float32 values. */
export function f32le(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => v.setFloat32(i * 4, x, true));
  return out;
}

/** Little-endian bytes of float64 values. */
export function f64le(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => v.setFloat64(i * 8, x, true));
  return out;
}

/** Assert that `fn` throws an instance of `cls` (exactly that class) with `code` and a message matching `message`. */
export function assertTypedError(
  fn: () => unknown,
  cls: new (code: string, message: string) => FidstreamError,
  code: string,
  message?: RegExp,
): FidstreamError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught !== undefined, `expected ${cls.name} ${code}, but nothing was thrown`);
  assert.ok(caught instanceof cls, `expected ${cls.name}, got ${String(caught)}`);
  assert.equal((caught as Error).constructor, cls, `expected exactly ${cls.name}`);
  const err = caught as FidstreamError;
  assert.equal(err.code, code, `code of: ${err.message}`);
  if (message) assert.match(err.message, message);
  return err;
}
