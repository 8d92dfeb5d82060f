import assert from "node:assert/strict";
import { batchMoments, emptyMoments } from "../../src/stats/moments.ts";
import { decodeMoments, encodedMomentsLength, encodeMoments } from "../../src/stats/moments_codec.ts";
import { InvalidInputError } from "../../src/errors.ts";

function sample() {
  const n = 9, dim = 5;
  const x = new Float64Array(n * dim);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 1.7) * 1e3 + i / 7;
  return batchMoments(x, n, dim);
}

Deno.test("encode then decode round-trips moments bit for bit", () => {
  const m = sample();
  const bytes = encodeMoments(m);
  assert.equal(bytes.length, 24 + 8 * (5 + 15));
  assert.equal(bytes.length, encodedMomentsLength(5));
  const back = decodeMoments(bytes);
  assert.equal(back.n, m.n);
  assert.equal(back.dim, m.dim);
  // Compare raw bytes so -0 vs 0 and every last bit count.
  assert.deepEqual(new Uint8Array(back.sum.buffer), new Uint8Array(m.sum.buffer));
  assert.deepEqual(new Uint8Array(back.comoment.buffer), new Uint8Array(m.comoment.buffer));
  assert.deepEqual(decodeMoments(encodeMoments(emptyMoments(3))), emptyMoments(3));
});

Deno.test("the header is little-endian with magic FSMO, version 1, dim and n", () => {
  const bytes = encodeMoments(sample());
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 4)), "FSMO");
  const view = new DataView(bytes.buffer);
  assert.equal(view.getUint32(4, true), 1);
  assert.equal(view.getUint32(8, true), 5);
  assert.equal(view.getFloat64(16, true), 9);
  assert.equal(view.getFloat64(24, true), sample().sum[0]);
});

Deno.test("decoding works from an unaligned view into a larger buffer", () => {
  const bytes = encodeMoments(sample());
  const padded = new Uint8Array(bytes.length + 3);
  padded.set(bytes, 3);
  assert.deepEqual(decodeMoments(padded.subarray(3)), decodeMoments(bytes));
});

Deno.test("corrupt bytes are rejected with InvalidInputError and a specific code", () => {
  const good = encodeMoments(sample());
  const expectCode = (bytes: Uint8Array, code: string) =>
    assert.throws(
      () => decodeMoments(bytes),
      (e: unknown) => e instanceof InvalidInputError && e.code === code,
    );
  expectCode(good.subarray(0, 10), "moments_truncated");
  expectCode(good.subarray(0, good.length - 8), "moments_bad_length");
  expectCode(new Uint8Array([...good, 0]), "moments_bad_length");
  const badMagic = good.slice();
  badMagic[0] = 0x58;
  expectCode(badMagic, "moments_bad_magic");
  const badVersion = good.slice();
  new DataView(badVersion.buffer).setUint32(4, 2, true);
  expectCode(badVersion, "moments_bad_version");
  const badN = good.slice();
  new DataView(badN.buffer).setFloat64(16, 2.5, true);
  expectCode(badN, "moments_bad_header");
  const badDim = good.slice();
  new DataView(badDim.buffer).setUint32(8, 6, true);
  expectCode(badDim, "moments_bad_length");
  const nan = good.slice();
  new DataView(nan.buffer).setFloat64(40, NaN, true);
  expectCode(nan, "moments_not_finite");
});
