import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { byteaFromText, byteaToText } from "../../db/bytea_codec.ts";

const DIGITS = "0123456789abcdef";

/** Naive reference: bytea hex-format text, one byte at a time. */
function naiveHex(bytes: Uint8Array): string {
  let s = "\\x";
  for (const b of bytes) s += DIGITS[b >> 4] + DIGITS[b & 15];
  return s;
}

/** Naive reference: PostgreSQL's escape-format output (byteaout with bytea_output = 'escape'). */
function naiveEscape(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) {
    if (b === 0x5c) s += "\\\\";
    else if (b < 0x20 || b > 0x7e) s += "\\" + b.toString(8).padStart(3, "0");
    else s += String.fromCharCode(b);
  }
  return s;
}

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

function assertPlainOwnBuffer(u8: Uint8Array) {
  assert.equal(Object.getPrototypeOf(u8), Uint8Array.prototype, "a plain Uint8Array, not a Buffer");
  assert.equal(u8.byteOffset, 0);
  assert.equal(u8.buffer.byteLength, u8.length, "owns its whole buffer");
}

const LENGTHS = [0, 1, 2, 3, 7, 15, 16, 17, 255, 256, 1023, 4095, 4096, 4097, 65537];

Deno.test("byteaToText matches a naive hex encoder and byteaFromText inverts it, for many lengths", () => {
  for (const n of LENGTHS) {
    const bytes = randomBytes(n);
    const text = byteaToText(bytes);
    assert.equal(text, naiveHex(bytes), `length ${n}`);
    const back = byteaFromText(naiveHex(bytes));
    assert.deepEqual(back, bytes, `length ${n}`);
    assertPlainOwnBuffer(back);
  }
});

Deno.test("every byte value encodes as the naive hex and round-trips", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.equal(byteaToText(all), naiveHex(all));
  assert.deepEqual(byteaFromText(byteaToText(all)), all);
});

Deno.test("empty bytea is \\x and decodes to an empty plain Uint8Array", () => {
  assert.equal(byteaToText(new Uint8Array(0)), "\\x");
  const empty = byteaFromText("\\x");
  assert.equal(empty.length, 0);
  assertPlainOwnBuffer(empty);
});

Deno.test("a ~20 MB random value round-trips exactly and its text equals the naive hex digit by digit", () => {
  const n = 20 * 1000 * 1000 + 1;
  const bytes = randomBytes(n);
  const text = byteaToText(bytes);
  assert.equal(text.length, 2 + 2 * n);
  assert.ok(text.startsWith("\\x"));
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    if (
      text.charCodeAt(2 + 2 * i) !== DIGITS.charCodeAt(b >> 4) ||
      text.charCodeAt(3 + 2 * i) !== DIGITS.charCodeAt(b & 15)
    ) assert.fail(`hex differs at byte ${i}`);
  }
  const back = byteaFromText(text);
  assertPlainOwnBuffer(back);
  assert.equal(back.length, n);
  assert.ok(Buffer.compare(back, bytes) === 0, "decoded bytes equal the original");
});

Deno.test("views and Buffers encode only their own bytes", () => {
  const whole = randomBytes(64);
  const view = whole.subarray(5, 37);
  assert.equal(byteaToText(view), naiveHex(view));
  const buf = Buffer.from(view);
  assert.equal(byteaToText(buf), naiveHex(view));
});

Deno.test("upper-case hex decodes like lower-case", () => {
  const bytes = randomBytes(33);
  assert.deepEqual(byteaFromText(naiveHex(bytes).toUpperCase().replace("\\X", "\\x")), bytes);
});

Deno.test("escape-format text decodes to the same bytes (bytea_output = 'escape')", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  for (const bytes of [all, randomBytes(1000), new Uint8Array(0), Uint8Array.of(0x5c, 0x5c, 0x78)]) {
    const back = byteaFromText(naiveEscape(bytes));
    assert.deepEqual(back, bytes);
    assertPlainOwnBuffer(back);
  }
});

Deno.test("malformed text is refused, not silently truncated", () => {
  assert.throws(() => byteaFromText("\\x0"), SyntaxError, "odd hex length");
  assert.throws(() => byteaFromText("\\x0g"), SyntaxError, "non-hex digit");
  assert.throws(() => byteaFromText("a\\9zz"), SyntaxError, "bad escape");
  assert.throws(() => byteaFromText("\u0100"), SyntaxError, "char above 0xff");
});

Deno.test("non-Uint8Array values are refused as bytea", () => {
  assert.throws(() => byteaToText("abc" as unknown as Uint8Array), TypeError);
  assert.throws(() => byteaToText([1, 2] as unknown as Uint8Array), TypeError);
  assert.throws(() => byteaToText(new ArrayBuffer(2) as unknown as Uint8Array), TypeError);
});

Deno.test("without native Uint8Array.fromHex/toHex the node:buffer path gives the same results", () => {
  const ctor = Uint8Array as unknown as Record<string, unknown>;
  const proto = Uint8Array.prototype as unknown as Record<string, unknown>;
  const fromHex = Object.getOwnPropertyDescriptor(ctor, "fromHex");
  const toHex = Object.getOwnPropertyDescriptor(proto, "toHex");
  delete ctor.fromHex;
  delete proto.toHex;
  try {
    assert.equal(typeof ctor.fromHex, "undefined");
    for (const n of [0, 1, 3, 4095, 4096, 100_001]) {
      const bytes = randomBytes(n);
      assert.equal(byteaToText(bytes), naiveHex(bytes));
      const back = byteaFromText(naiveHex(bytes));
      assert.deepEqual(back, bytes);
      assertPlainOwnBuffer(back); // Buffer.from of < 4 KiB would be a slice of node's shared pool
    }
    assert.throws(() => byteaFromText("\\x0"), SyntaxError);
    assert.throws(() => byteaFromText("\\x00zz11"), SyntaxError);
  } finally {
    if (fromHex) Object.defineProperty(ctor, "fromHex", fromHex);
    if (toHex) Object.defineProperty(proto, "toHex", toHex);
  }
});
