/**
 * Seeded fuzzing of the image decoder that image uploads go through (src/images/png_jpeg.ts decodeImage):
 * mutated PNGs (gray, RGB, palette, 16-bit, interlaced) and JPEGs either decode into a consistent image within
 * the pixel cap or throw one of fidstream's typed errors (a clear 4xx), never anything else, within a time bound.
 * (Hand-made corrupt images are covered in tests/features/png_jpeg_test.ts; HTTP image uploads are not merged.)
 */
import assert from "node:assert/strict";
import { encode as encodePng } from "fast-png";
import { encode as encodeJpeg } from "jpeg-js";
import {
  FidstreamError,
  InvalidInputError,
  PayloadTooLargeError,
  UnprocessableError,
} from "../../../src/errors.ts";
import { decodeImage } from "../../../src/images/png_jpeg.ts";
import { seededRandom } from "../../../tools/arrays.ts";

const BUDGET_MS = 3000;
const MAX_PIXELS = 256 * 256;

function mutate(src: Uint8Array, rand: () => number): Uint8Array {
  const int = (n: number) => Math.floor(rand() * n);
  let b = src.slice();
  for (let r = 0, rounds = 1 + int(4); r < rounds; r++) {
    // Headers (IHDR, SOF, Huffman tables) sit early: bias edits there.
    const at = b.length ? int(rand() < 0.7 ? Math.min(b.length, 200) : b.length) : 0;
    const op = int(6);
    if (op === 0 && b.length) b[at] ^= 1 << int(8);
    else if (op === 1 && b.length) b[at] = int(256);
    else if (op === 2) b = b.slice(0, int(b.length + 1));
    else if (op === 3) {
      b = Uint8Array.from([
        ...b.subarray(0, at),
        ...Array.from({ length: 1 + int(8) }, () => int(256)),
        ...b.subarray(at),
      ]);
    } else if (op === 4) b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1 + int(8))]);
    else for (let k = 0; k < 4 && at + k < b.length; k++) b[at + k] = 0xff; // sizes, lengths
  }
  return b;
}

function seeds(): Uint8Array[] {
  const rand = seededRandom(5);
  const px = (n: number, max = 256) => Uint8Array.from({ length: n }, () => Math.floor(rand() * max));
  const w = 12, h = 9;
  const rgba = px(w * h * 4);
  return [
    encodePng({ width: w, height: h, data: px(w * h), channels: 1, depth: 8 }),
    encodePng({ width: w, height: h, data: px(w * h * 3), channels: 3, depth: 8 }),
    encodePng({ width: w, height: h, data: rgba, channels: 4, depth: 8 }),
    encodePng({
      width: w,
      height: h,
      data: Uint16Array.from(px(w * h * 3), (v) => v * 257),
      channels: 3,
      depth: 16,
    }),
    encodePng({ width: w, height: h, data: px((w * h) / 4), channels: 1, depth: 2 }), // packed 2-bit
    encodeJpeg({ width: 16, height: 16, data: px(16 * 16 * 4) }, 80).data,
    encodeJpeg({ width: 24, height: 8, data: px(24 * 8 * 4) }, 30).data,
  ].map((b) => new Uint8Array(b));
}

Deno.test("fuzzed PNG and JPEG files decode consistently or throw only typed errors", () => {
  const all = seeds();
  const rand = seededRandom(20261124);
  const codes = new Map<string, number>();
  let decoded = 0, refused = 0;
  const start = performance.now();
  for (let i = 0; performance.now() - start < BUDGET_MS; i++) {
    const input = mutate(all[Math.floor(rand() * all.length)], rand);
    try {
      const img = decodeImage(input, { maxPixels: MAX_PIXELS });
      assert.ok(img.width * img.height <= MAX_PIXELS, `iteration ${i}: ${img.width} x ${img.height}`);
      assert.equal(img.data.length, img.width * img.height * img.channels, `iteration ${i}`);
      decoded++;
    } catch (e) {
      if (e instanceof assert.AssertionError) throw e;
      const typed = e instanceof InvalidInputError || e instanceof PayloadTooLargeError ||
        e instanceof UnprocessableError;
      assert.ok(typed, `iteration ${i}: untyped ${e instanceof Error ? e.stack : String(e)}`);
      const code = (e as FidstreamError).code;
      codes.set(code, (codes.get(code) ?? 0) + 1);
      refused++;
    }
  }
  assert.ok(decoded > 50 && refused > 300, `decoded ${decoded}, refused ${refused}: ${[...codes]}`);
});
