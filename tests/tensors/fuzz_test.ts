/**
 * Seeded fuzzing of the .npy and .npz readers: mutate valid files at random and require that each either
 * parses into a consistent array or throws one of fidstream's typed errors, never anything else.
 */

import assert from "node:assert/strict";
import { InvalidInputError, PayloadTooLargeError } from "../../src/errors.ts";
import { encodeNpy, type NdArray, parseNpy } from "../../src/tensors/npy.ts";
import { encodeNpz, parseNpz } from "../../src/tensors/npz.ts";
import { f64le, npyBytes } from "./_fixtures.ts";
import { buildZip } from "../../tools/zip_builder.ts";
import { seededRandom } from "../../tools/arrays.ts";

const ITERATIONS = 5000;
const TIME_BUDGET_MS = 4000;
const HEADER_CHARS = "{}()[],:'\" 0123456789-TrueFalseNoneLO<>|fiu48\n\\";

type Rand = () => number;

function mutate(src: Uint8Array, rand: Rand): Uint8Array {
  const int = (n: number) => Math.floor(rand() * n);
  let b = src.slice();
  const rounds = rand() < 0.5 ? 1 : 1 + int(4);
  for (let r = 0; r < rounds; r++) {
    const at = b.length ? int(rand() < 0.7 ? Math.min(b.length, 140) : b.length) : 0;
    switch (int(7)) {
      case 0: // flip a bit
        if (b.length) b[at] ^= 1 << int(8);
        break;
      case 1: // random byte
        if (b.length) b[at] = int(256);
        break;
      case 2: // a character that means something in a header
        if (b.length) b[at] = HEADER_CHARS.charCodeAt(int(HEADER_CHARS.length));
        break;
      case 3: // truncate
        b = b.slice(0, int(b.length + 1));
        break;
      case 4: { // insert random bytes
        const ins = Uint8Array.from({ length: 1 + int(8) }, () => int(256));
        const out = new Uint8Array(b.length + ins.length);
        out.set(b.subarray(0, at));
        out.set(ins, at);
        out.set(b.subarray(at), at + ins.length);
        b = out;
        break;
      }
      case 5: { // delete a range
        const n = Math.min(1 + int(8), b.length - at);
        const out = new Uint8Array(b.length - n);
        out.set(b.subarray(0, at));
        out.set(b.subarray(at + n), at);
        b = out;
        break;
      }
      case 6: // saturate a 16/32-bit field (sizes, counts, offsets)
        for (let k = 0; k < 4 && at + k < b.length; k++) b[at + k] = 0xff;
        break;
    }
  }
  return b;
}

function checkArray(a: NdArray, where: string): void {
  const count = a.shape.reduce((p, d) => p * d, 1);
  assert.equal(a.data.length, count, where);
  const cls = a.dtype === "float32" ? Float32Array : a.dtype === "float64" ? Float64Array : Uint8Array;
  assert.ok(a.data instanceof cls, where);
}

interface FuzzResult {
  ok: number;
  typed: number;
  codes: Set<string>;
}

/** Run mutated copies of `seeds` through `parse`; count successes, typed errors and the codes seen. */
function fuzz(seeds: Uint8Array[], parse: (b: Uint8Array) => NdArray[], seed: number): FuzzResult {
  const rand = seededRandom(seed);
  const start = performance.now();
  let ok = 0, typed = 0;
  const codes = new Set<string>();
  for (let i = 0; i < ITERATIONS && performance.now() - start < TIME_BUDGET_MS; i++) {
    const input = mutate(seeds[Math.floor(rand() * seeds.length)], rand);
    try {
      for (const a of parse(input)) checkArray(a, `seed ${seed} iteration ${i}`);
      ok++;
    } catch (e) {
      if (e instanceof assert.AssertionError) throw e;
      assert.ok(
        e instanceof InvalidInputError || e instanceof PayloadTooLargeError,
        `seed ${seed} iteration ${i}: untyped ${e instanceof Error ? e.stack : String(e)}`,
      );
      typed++;
      codes.add((e as InvalidInputError).code);
    }
  }
  return { ok, typed, codes };
}

Deno.test("fuzzed .npy files parse or throw only InvalidInputError / PayloadTooLargeError", () => {
  const seeds = [
    encodeNpy({ dtype: "float32", shape: [2, 3], data: Float32Array.of(0, 1, 2, 3, 4, 5) }),
    encodeNpy({ dtype: "uint8", shape: [], data: Uint8Array.of(7) }),
    encodeNpy({ dtype: "float64", shape: [0, 4], data: new Float64Array(0) }),
    npyBytes("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2, 1), }", f64le([1, 2, 3, 4])),
    npyBytes("{'shape': (3,), 'fortran_order': False, 'descr': '<f8'}", f64le([1, 2, 3]), { major: 2 }),
    npyBytes("{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4), {
      major: 3,
    }),
  ];
  const { ok, typed, codes } = fuzz(seeds, (b) => [parseNpy(b, { maxElements: 1 << 20 })], 20261124);
  // Both outcomes, and most error kinds, must occur, or the mutations are too weak to test anything.
  assert.ok(ok > 50 && typed > 1000, `ok ${ok}, typed ${typed}`);
  assert.ok(codes.size >= 6, [...codes].join(", "));
});

Deno.test("fuzzed .npz archives parse or throw only InvalidInputError / PayloadTooLargeError", () => {
  const mu: NdArray = { dtype: "float64", shape: [3], data: Float64Array.of(0.5, -1.25, 2) };
  const sigma: NdArray = { dtype: "float32", shape: [2, 2], data: Float32Array.of(1, 0.5, 0.5, 2) };
  const seeds = [
    encodeNpz({ mu, sigma }, { compress: true }),
    encodeNpz({ mu, sigma }),
    buildZip([{ name: "mu.npy", data: encodeNpy(mu), deflate: true }, {
      name: "s.npy",
      data: encodeNpy(sigma),
    }], {
      zip64: true,
    }),
  ];
  const parse = (b: Uint8Array) => [...parseNpz(b, { maxUncompressedBytes: 1 << 22 }).values()];
  // Mutations near the end hit the central directory, near the start the local headers and data.
  const tail = seeds.map((s) => s.slice().reverse());
  const r1 = fuzz(seeds, parse, 7);
  const r2 = fuzz(tail, (b) => parse(b.slice().reverse()), 8);
  assert.ok(
    r1.ok + r2.ok > 100 && r1.typed + r2.typed > 1000,
    `ok ${r1.ok + r2.ok}, typed ${r1.typed + r2.typed}`,
  );
  const codes = new Set([...r1.codes, ...r2.codes]);
  assert.ok(codes.size >= 5, [...codes].join(", "));
});
