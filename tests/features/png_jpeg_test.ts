import assert from "node:assert/strict";
import { encode as encodePng } from "fast-png";
import { zlibSync } from "fflate";
import { encode as encodeJpeg } from "jpeg-js";
import { InvalidInputError, PayloadTooLargeError, UnprocessableError } from "../../src/errors.ts";
import {
  checkImageFiles,
  type DecodedImage,
  decodeImage,
  decodeImageFiles,
  DEFAULT_MAX_PIXELS,
  imageBatchFromImages,
} from "../../src/images/png_jpeg.ts";
import { PIL_GRAY, PIL_RGB420, PIL_RGB444_PROGRESSIVE } from "./_pil_jpegs.ts";

const decodeB64 = (b64: string) => Uint8Array.from(atob(b64.replace(/\s/g, "")), (c) => c.charCodeAt(0));

/** Deterministic 32-bit integers (xorshift32). */
function seededRandomInts(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
}

/** Deterministic pseudo-random integers in [0, max). */
function randomInts(count: number, max: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: count }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return Math.floor((s / 2 ** 32) * max);
  });
}

/** CRC-32 (PNG polynomial), bit by bit: slow and obviously correct, for hand-built chunks. */
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A PNG built by hand: IHDR with the given fields, one IDAT holding `raw` zlib-compressed, IEND. */
function handPng(
  width: number,
  height: number,
  depth: number,
  colorType: number,
  raw: Uint8Array,
): Uint8Array {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr[8] = depth;
  ihdr[9] = colorType;
  return concat(
    Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlibSync(raw)),
    chunk("IEND", new Uint8Array(0)),
  );
}

function assertThrowsCode(fn: () => unknown, cls: new (...a: never[]) => Error, code: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${e}`);
    assert.equal((e as unknown as { code: string }).code, code);
    return true;
  });
}

Deno.test("decodeImage returns 8-bit gray, RGB and palette PNG pixels exactly", () => {
  const gray = Uint8Array.from(randomInts(5 * 7, 256, 1));
  const g = decodeImage(encodePng({ width: 5, height: 7, data: gray, channels: 1, depth: 8 }));
  assert.deepEqual([g.width, g.height, g.channels, g.maxValue], [5, 7, 1, 255]);
  assert.deepEqual([...g.data], [...gray]);

  const rgb = Uint8Array.from(randomInts(6 * 4 * 3, 256, 2));
  const c = decodeImage(encodePng({ width: 6, height: 4, data: rgb, channels: 3, depth: 8 }));
  assert.deepEqual([c.width, c.height, c.channels], [6, 4, 3]);
  assert.deepEqual([...c.data], [...rgb]);

  const palette = [[255, 0, 0], [0, 128, 0], [10, 20, 30]];
  const idx = Uint8Array.from(randomInts(3 * 3, 3, 3));
  const p = decodeImage(encodePng({ width: 3, height: 3, data: idx, channels: 1, depth: 8, palette }));
  assert.equal(p.channels, 3);
  assert.deepEqual([...p.data], [...idx].flatMap((i) => palette[i]));
});

Deno.test("decodeImage drops the alpha channel of gray+alpha and RGBA PNGs", () => {
  const ga = Uint8Array.from(randomInts(4 * 4 * 2, 256, 4));
  const a = decodeImage(encodePng({ width: 4, height: 4, data: ga, channels: 2, depth: 8 }));
  assert.equal(a.channels, 1);
  assert.deepEqual([...a.data], [...ga].filter((_, i) => i % 2 === 0));

  const rgba = Uint8Array.from(randomInts(3 * 2 * 4, 256, 5));
  const b = decodeImage(encodePng({ width: 3, height: 2, data: rgba, channels: 4, depth: 8 }));
  assert.equal(b.channels, 3);
  assert.deepEqual([...b.data], [...rgba].filter((_, i) => i % 4 !== 3));
});

Deno.test("decodeImage keeps 16-bit PNG samples and the batch scales them by 1/65535", () => {
  const rgb16 = Uint16Array.from(randomInts(3 * 3 * 3, 65536, 6));
  const img = decodeImage(encodePng({ width: 3, height: 3, data: rgb16, channels: 3, depth: 16 }));
  assert.equal(img.maxValue, 65535);
  assert.deepEqual([...img.data], [...rgb16]);
  const gray16 = Uint16Array.from([0, 1, 32768, 65535]);
  const g = decodeImage(encodePng({ width: 2, height: 2, data: gray16, channels: 1, depth: 16 }));
  const batch = imageBatchFromImages([g]);
  assert.deepEqual([...batch.data], [0, 1 / 65535, 32768 / 65535, 1].map(Math.fround));
});

Deno.test("decodeImage unpacks 1-, 2- and 4-bit gray PNGs to 0..255", () => {
  for (const depth of [1, 2, 4]) {
    const width = 5, height = 3, levels = 2 ** depth;
    const values = randomInts(width * height, levels, depth);
    // Pack each row MSB first, rows starting on a byte boundary (the PNG layout).
    const rowBytes = Math.ceil((width * depth) / 8);
    const packed = new Uint8Array(rowBytes * height);
    values.forEach((val, i) => {
      const y = Math.floor(i / width), bit = (i % width) * depth;
      packed[y * rowBytes + (bit >> 3)] |= val << (8 - depth - (bit & 7));
    });
    const img = decodeImage(
      encodePng({ width, height, data: packed, channels: 1, depth: depth as 1 | 2 | 4 }),
    );
    assert.deepEqual(
      [...img.data],
      values.map((val) => Math.round((val * 255) / (levels - 1))),
      `depth ${depth}`,
    );
  }
});

Deno.test("decodeImage reads Adam7-interlaced 8-bit PNGs like non-interlaced ones", () => {
  const rgb = Uint8Array.from(randomInts(11 * 9 * 3, 256, 7));
  const img = decodeImage(
    encodePng({ width: 11, height: 9, data: rgb, channels: 3, depth: 8 }, { interlace: "Adam7" }),
  );
  assert.deepEqual([...img.data], [...rgb]);
});

Deno.test("decodeImage rejects truncated, bit-flipped and signature-only PNGs as image_corrupt", () => {
  const png = encodePng({
    width: 8,
    height: 8,
    data: Uint8Array.from(randomInts(64 * 3, 256, 8)),
    channels: 3,
  });
  assertThrowsCode(() => decodeImage(png.subarray(0, png.length - 20)), InvalidInputError, "image_corrupt");
  assertThrowsCode(() => decodeImage(png.subarray(0, 20)), InvalidInputError, "image_corrupt");
  const flipped = png.slice();
  flipped[50] ^= 0x40; // inside the IDAT payload: the chunk CRC (or the inflater) no longer agrees
  assertThrowsCode(() => decodeImage(flipped), InvalidInputError, "image_corrupt");
  const badDepth = handPng(2, 2, 3, 0, new Uint8Array(6));
  assertThrowsCode(() => decodeImage(badDepth), InvalidInputError, "image_corrupt");
});

Deno.test("decodeImage refuses a PNG whose IHDR declares too many pixels before inflating anything", () => {
  // 100000 x 100000 declared; the IDAT is not even valid zlib, so only a header check can answer 413.
  const bomb = concat(
    handPng(100_000, 100_000, 8, 2, new Uint8Array(0)).subarray(0, 33),
    chunk("IDAT", Uint8Array.of(1, 2, 3)),
    chunk("IEND", new Uint8Array(0)),
  );
  assertThrowsCode(() => decodeImage(bomb), PayloadTooLargeError, "image_too_many_pixels");
  const small = handPng(64, 64, 8, 0, new Uint8Array(64 * 65));
  assertThrowsCode(
    () => decodeImage(small, { maxPixels: 4095 }),
    PayloadTooLargeError,
    "image_too_many_pixels",
  );
  assert.equal(decodeImage(small, { maxPixels: 4096 }).data.length, 4096);
});

Deno.test("decodeImage rejects image data that inflates past what IHDR implies (an over-long bomb stream)", () => {
  // 4 x 4 gray needs 4 * (1 + 4) = 20 bytes; this stream holds 4 MB of zeros in ~4 KB.
  const bomb = handPng(4, 4, 8, 0, new Uint8Array(4 << 20));
  assert.ok(bomb.length < 10_000);
  assertThrowsCode(() => decodeImage(bomb), InvalidInputError, "image_corrupt");
  assert.throws(() => decodeImage(bomb), /inflates to more than the 20 bytes IHDR implies/);
  const short = handPng(4, 4, 8, 0, new Uint8Array(19));
  assertThrowsCode(() => decodeImage(short), InvalidInputError, "image_corrupt");
  assert.deepEqual([...decodeImage(handPng(4, 4, 8, 0, new Uint8Array(20))).data], new Array(16).fill(0));
});

/** A smooth RGB test image (JPEG is lossy: smooth content keeps the error small). */
function smoothRgb(width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      out[o] = Math.round((255 * x) / (width - 1));
      out[o + 1] = Math.round((255 * y) / (height - 1));
      out[o + 2] = 128;
    }
  }
  return out;
}

function rgbToRgba(rgb: Uint8Array): Uint8Array {
  const out = new Uint8Array((rgb.length / 3) * 4);
  for (let p = 0; p < rgb.length / 3; p++) {
    out.set(rgb.subarray(3 * p, 3 * p + 3), 4 * p);
    out[4 * p + 3] = 255;
  }
  return out;
}

Deno.test("decodeImage decodes an RGB JPEG close to the encoded pixels", () => {
  const width = 40, height = 24, rgb = smoothRgb(width, height);
  const jpeg = new Uint8Array(encodeJpeg({ width, height, data: rgbToRgba(rgb) }, 95).data);
  const img = decodeImage(jpeg);
  assert.deepEqual([img.width, img.height, img.channels, img.maxValue], [width, height, 3, 255]);
  let err = 0;
  for (let i = 0; i < rgb.length; i++) err += Math.abs(img.data[i] - rgb[i]);
  assert.ok(err / rgb.length < 3, `mean abs error ${err / rgb.length} of 255`);
});

Deno.test("decodeImage rejects truncated and garbled JPEGs as image_corrupt and huge SOFs as 413", () => {
  const width = 32, height = 32;
  const jpeg = new Uint8Array(
    encodeJpeg({ width, height, data: rgbToRgba(smoothRgb(width, height)) }, 90).data,
  );
  assertThrowsCode(() => decodeImage(jpeg.subarray(0, 100)), InvalidInputError, "image_corrupt");
  assertThrowsCode(
    () => decodeImage(jpeg.subarray(0, Math.floor(jpeg.length * 0.7))),
    InvalidInputError,
    "image_corrupt",
  );
  assertThrowsCode(
    () => decodeImage(Uint8Array.of(0xff, 0xd8, 0xff, 0xd9)),
    InvalidInputError,
    "image_corrupt",
  );
  // SOI, then a baseline SOF0 declaring 60000 x 60000 x 3 and nothing else.
  const sof = Uint8Array.of(
    0xff,
    0xd8,
    0xff,
    0xc0,
    0,
    17,
    8,
    0xea,
    0x60,
    0xea,
    0x60,
    3,
    1,
    0x22,
    0,
    2,
    0x11,
    1,
    3,
    0x11,
    1,
  );
  assertThrowsCode(() => decodeImage(sof), PayloadTooLargeError, "image_too_many_pixels");
  assertThrowsCode(
    () => decodeImage(jpeg, { maxPixels: 1000 }),
    PayloadTooLargeError,
    "image_too_many_pixels",
  );
});

Deno.test("decodeImage names the expected formats for bytes that are neither PNG nor JPEG", () => {
  assertThrowsCode(
    () => decodeImage(new TextEncoder().encode("GIF89a....")),
    InvalidInputError,
    "image_unknown_format",
  );
  assertThrowsCode(() => decodeImage(new Uint8Array(0)), InvalidInputError, "image_unknown_format");
});

Deno.test("imageBatchFromImages stacks images NHWC in [0, 1] and repeats gray over RGB when mixed", () => {
  const gray: DecodedImage = { width: 2, height: 1, channels: 1, maxValue: 255, data: Uint8Array.of(0, 255) };
  const rgb: DecodedImage = {
    width: 2,
    height: 1,
    channels: 3,
    maxValue: 255,
    data: Uint8Array.of(51, 102, 153, 204, 255, 0),
  };
  const b = imageBatchFromImages([gray, rgb]);
  assert.deepEqual([b.n, b.height, b.width, b.channels], [2, 1, 2, 3]);
  assert.deepEqual([...b.data], [0, 0, 0, 1, 1, 1, 0.2, 0.4, 0.6, 0.8, 1, 0].map(Math.fround));
  const grays = imageBatchFromImages([gray, gray]);
  assert.equal(grays.channels, 1);
  assert.deepEqual([...grays.data], [0, 1, 0, 1]);
});

Deno.test("imageBatchFromImages refuses images of different sizes and an empty list with 422", () => {
  const a: DecodedImage = { width: 2, height: 2, channels: 1, maxValue: 255, data: new Uint8Array(4) };
  const b: DecodedImage = { width: 2, height: 3, channels: 1, maxValue: 255, data: new Uint8Array(6) };
  assertThrowsCode(() => imageBatchFromImages([a, a, b]), UnprocessableError, "images_size_mismatch");
  assert.throws(() => imageBatchFromImages([a, b]), /image 1 is 2 x 3 pixels but image 0 is 2 x 2/);
  assertThrowsCode(() => imageBatchFromImages([]), UnprocessableError, "images_empty");
});

/** An 8-bit gray PNG whose pixels are v(x, y) (filter byte 0 per row). */
function grayPng(width: number, height: number, v: (x: number, y: number) => number): Uint8Array {
  const raw = new Uint8Array(height * (width + 1));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) raw[y * (width + 1) + 1 + x] = v(x, y);
  }
  return handPng(width, height, 8, 0, raw);
}

Deno.test("checkImageFiles judges an upload from its headers: format, size, per-image and total pixels", () => {
  const small = grayPng(3, 2, (x, y) => x + y);
  checkImageFiles([small, small], 100);
  const other = grayPng(2, 3, () => 0);
  assertThrowsCode(() => checkImageFiles([small, other], 100), UnprocessableError, "images_size_mismatch");
  assert.throws(
    () => checkImageFiles([small, small, other], 100),
    /image 2 is 2 x 3 pixels but image 0 is 3 x 2/,
  );
  assert.throws(
    () => checkImageFiles([small, Uint8Array.of(1, 2, 3, 4)], 100),
    (e: unknown) =>
      e instanceof InvalidInputError && e.code === "image_unknown_format" && /^image 1: /.test(e.message),
  );
  // 6 pixels each: the third passes 16 in all, and says the earlier images took the budget.
  assert.throws(
    () => checkImageFiles([small, small, small], 16),
    (e: unknown) =>
      e instanceof PayloadTooLargeError && e.code === "images_too_many_pixels" &&
      /images 0\.\.1/.test(e.message),
  );
  // A header declaring 4096 x 4097 is refused alone, before anything is inflated (the IDAT is empty).
  const bomb = handPng(4096, 4097, 8, 0, new Uint8Array(0));
  assertThrowsCode(
    () => checkImageFiles([bomb], DEFAULT_MAX_PIXELS),
    PayloadTooLargeError,
    "image_too_many_pixels",
  );
});

Deno.test("decodeImageFiles stacks like decodeImage + imageBatchFromImages and names failures by upload index", () => {
  const files = [grayPng(3, 2, (x, y) => 10 * x + y), grayPng(3, 2, (x, y) => 200 - x - y)];
  assert.deepEqual(decodeImageFiles(files), imageBatchFromImages(files.map((f) => decodeImage(f))));
  const broken = files[1].slice(0, files[1].length - 20);
  assert.throws(
    () => decodeImageFiles([files[0], broken], 7),
    (e: unknown) =>
      e instanceof InvalidInputError && e.code === "image_corrupt" && /^image 8: /.test(e.message),
  );
});

Deno.test("JPEGs decode to PIL's pixels exactly (4:2:0, progressive 4:4:4, gray), as pytorch-fid's loader sees them", () => {
  for (const c of [PIL_RGB420, PIL_RGB444_PROGRESSIVE, PIL_GRAY]) {
    const img = decodeImage(decodeB64(c.jpeg));
    assert.deepEqual([img.width, img.height, img.channels], [c.width, c.height, c.channels]);
    assert.deepEqual(img.data, decodeB64(c.pixels));
  }
});

Deno.test("corrupted JPEGs are typed errors, and the decoder still decodes correctly after hundreds of them", () => {
  const good = decodeB64(PIL_RGB420.jpeg);
  const r = seededRandomInts(99);
  let refused = 0;
  for (let trial = 0; trial < 400; trial++) {
    const bytes = good.slice();
    const at = 200 + (r() % (bytes.length - 200)); // past the headers: damage the image data
    for (let k = 0; k < 1 + (trial % 4); k++) bytes[(at + 37 * k) % bytes.length] = r() % 256;
    try {
      decodeImage(bytes);
    } catch (e) {
      assert.ok(e instanceof InvalidInputError || e instanceof UnprocessableError, String(e));
      refused++;
    }
  }
  assert.ok(refused > 100, `most damaged files are refused (${refused} of 400)`);
  assert.deepEqual(decodeImage(good).data, decodeB64(PIL_RGB420.pixels));
});
