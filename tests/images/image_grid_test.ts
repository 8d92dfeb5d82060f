/** Tiling images into a padded grid and encoding it as PNG. */
import assert from "node:assert/strict";
import { decodePngImage } from "../../src/images/png_decode.ts";
import { tileImages, unitToByte } from "../../src/images/image_grid.ts";
import { encodePng } from "../../src/images/png_encode.ts";

Deno.test("unitToByte rounds [0, 1] to 0..255 and clamps the rest", () => {
  assert.deepEqual([0, 1, 0.5, 1 / 255, -0.2, 1.7, NaN].map(unitToByte), [0, 255, 128, 1, 0, 255, 0]);
});

Deno.test("tiles go row-major with pad pixels of background around and between them", () => {
  // Three 2 x 3 gray images with constant values 0.2, 0.6, 1, in 2 columns, pad 1, background 7.
  const vals = [0.2, 0.6, 1];
  const data = Float32Array.from(vals.flatMap((v) => Array(6).fill(v)));
  const g = tileImages({ n: 3, height: 2, width: 3, channels: 1, data }, 2, { pad: 1, background: 7 });
  assert.deepEqual([g.width, g.height, g.channels], [2 * 3 + 3, 2 * 2 + 3, 1]);
  const at = (x: number, y: number) => g.data[y * g.width + x];
  // Naive layout: tile i at column i % 2, row floor(i / 2).
  for (let y = 0; y < g.height; y++) {
    for (let x = 0; x < g.width; x++) {
      const col = Math.floor((x - 1) / 4), row = Math.floor((y - 1) / 3);
      const inTile = x >= 1 && (x - 1) % 4 < 3 && y >= 1 && (y - 1) % 3 < 2 && col < 2 && row < 2;
      const i = row * 2 + col;
      const expected = inTile && i < 3 ? Math.round(vals[i] * 255) : 7;
      assert.equal(at(x, y), expected, `(${x}, ${y})`);
    }
  }
});

Deno.test("an RGB grid encodes to a PNG that decodes to the same pixels; encoding is deterministic", () => {
  const data = Float32Array.from({ length: 2 * 4 * 5 * 3 }, (_, i) => (i % 17) / 16);
  const g = tileImages({ n: 2, height: 4, width: 5, channels: 3, data }, 2);
  const png = encodePng(g);
  assert.deepEqual(encodePng(g), png);
  const back = decodePngImage(png, 1 << 20);
  assert.deepEqual([back.width, back.height, back.channels], [g.width, g.height, 3]);
  assert.equal(back.maxValue, 255);
  assert.deepEqual(Array.from(back.data), Array.from(g.data));
});
