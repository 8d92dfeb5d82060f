/**
 * PNG decoding with fast-png, guarded against decompression bombs: the IHDR dimensions are read and capped
 * first, then the IDAT stream is inflated once while counting (nothing kept) and must produce exactly the
 * number of bytes IHDR implies, so neither a huge declared size nor an over-long deflate stream under a
 * small header can make the decoder allocate more than the cap allows.
 *
 * Output: 1/2/4/8-bit data as 0..255 bytes (low depths scaled up exactly), 16-bit as 0..65535; palette
 * images become RGB; gray+alpha and RGBA lose their alpha channel.
 */

import { convertIndexedToRgb, decode as decodePng } from "fast-png";
import { Unzlib } from "fflate";
import { InvalidInputError } from "../errors.ts";
import { checkPixelCount, type DecodedImage } from "./decoded_image.ts";

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Samples per pixel of each PNG colour type (0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA). */
const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Bit depths the PNG spec allows per colour type. */
const DEPTHS: Record<number, number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};
/** Adam7 passes: x start, y start, x step, y step. */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [
  0,
  1,
  1,
  2,
]];

/** The IHDR fields that matter here. */
export interface PngHeader {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlaced: boolean;
}

/** True when the bytes start with the 8-byte PNG signature. */
export function hasPngSignature(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

function corrupt(detail: string): never {
  throw new InvalidInputError("image_corrupt", `the PNG is corrupt: ${detail}`);
}

/** Reads and validates the IHDR chunk (which the spec requires to come first) without decoding anything. */
export function readPngHeader(bytes: Uint8Array): PngHeader {
  if (!hasPngSignature(bytes)) corrupt("it does not start with the PNG signature");
  if (bytes.length < 33) corrupt(`it is ${bytes.length} bytes long, too short to hold the IHDR chunk`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = String.fromCharCode(...bytes.subarray(12, 16));
  if (view.getUint32(8) !== 13 || type !== "IHDR") corrupt("the first chunk is not a 13-byte IHDR");
  const width = view.getUint32(16), height = view.getUint32(20);
  const depth = bytes[24], colorType = bytes[25], interlace = bytes[28];
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) {
    corrupt(`IHDR declares an invalid size ${width} x ${height}`);
  }
  if (!(colorType in DEPTHS) || !DEPTHS[colorType].includes(depth)) {
    corrupt(`IHDR declares colour type ${colorType} with bit depth ${depth}, which PNG does not allow`);
  }
  if (bytes[26] !== 0 || bytes[27] !== 0 || interlace > 1) {
    corrupt("IHDR declares an unknown compression, filter or interlace method");
  }
  return { width, height, depth, colorType, interlaced: interlace === 1 };
}

/** Bytes the inflated IDAT stream must hold: per scanline one filter byte plus the packed samples. */
function expectedRawBytes(h: PngHeader): number {
  const bitsPerPixel = SAMPLES[h.colorType] * h.depth;
  const rowBytes = (w: number) => 1 + Math.ceil((w * bitsPerPixel) / 8);
  if (!h.interlaced) return h.height * rowBytes(h.width);
  let total = 0;
  for (const [xs, ys, dx, dy] of ADAM7) {
    const w = Math.ceil(Math.max(0, h.width - xs) / dx), rows = Math.ceil(Math.max(0, h.height - ys) / dy);
    if (w > 0 && rows > 0) total += rows * rowBytes(w);
  }
  return total;
}

/** Walks the chunks after IHDR, inflating IDAT data only to count it; throws unless the count is exact. */
function checkImageData(bytes: Uint8Array, expected: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let produced = 0;
  const inflater = new Unzlib((chunk) => {
    produced += chunk.length;
    if (produced > expected) {
      corrupt(`the image data inflates to more than the ${expected} bytes IHDR implies`);
    }
  });
  let offset = 33, sawData = false, sawEnd = false;
  while (offset + 12 <= bytes.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const end = offset + 12 + length;
    if (length > 0x7fffffff || end > bytes.length) corrupt(`chunk ${JSON.stringify(type)} runs past the end`);
    if (type === "IDAT") {
      sawData = true;
      try {
        inflater.push(bytes.subarray(offset + 8, offset + 8 + length), false);
      } catch (e) {
        if (e instanceof InvalidInputError) throw e;
        corrupt(`the image data does not inflate (${(e as Error).message})`);
      }
    }
    offset = end;
    if (type === "IEND") {
      sawEnd = true;
      break;
    }
  }
  if (!sawData) corrupt("it has no IDAT (image data) chunk");
  if (!sawEnd) corrupt("it is truncated (no IEND chunk)");
  try {
    inflater.push(new Uint8Array(0), true);
  } catch (e) {
    if (e instanceof InvalidInputError) throw e;
    corrupt(`the image data is truncated (${(e as Error).message})`);
  }
  if (produced !== expected) {
    corrupt(`the image data inflates to ${produced} bytes but IHDR implies ${expected}`);
  }
}

/** Decodes a PNG after checking its declared size against maxPixels (PayloadTooLargeError above it). */
export function decodePngImage(bytes: Uint8Array, maxPixels: number): DecodedImage {
  const header = readPngHeader(bytes);
  checkPixelCount("PNG", header.width, header.height, maxPixels);
  if (header.interlaced && header.depth < 8) {
    // fast-png 8.0.0 de-interlaces sub-byte pixels as if each were a whole byte: refuse rather than misread.
    throw new InvalidInputError(
      "image_unsupported",
      `interlaced (Adam7) PNGs with ${header.depth}-bit samples are not supported; save it non-interlaced or at 8 bits`,
    );
  }
  checkImageData(bytes, expectedRawBytes(header));
  let png;
  try {
    png = decodePng(bytes, { checkCrc: true });
  } catch (e) {
    corrupt((e as Error).message);
  }
  const { width, height } = png;
  const pixels = width * height;
  if (header.colorType === 3) {
    if (!png.palette || png.palette.length === 0) corrupt("a palette image has no PLTE chunk");
    let rgb: Uint8Array;
    try {
      rgb = convertIndexedToRgb(png);
    } catch (e) {
      corrupt((e as Error).message);
    }
    return {
      width,
      height,
      channels: 3,
      maxValue: 255,
      data: dropAlpha(rgb, pixels, rgb.length / pixels, 3),
    };
  }
  const samples = SAMPLES[header.colorType];
  const channels: 1 | 3 = samples <= 2 ? 1 : 3;
  if (header.depth < 8) {
    return {
      width,
      height,
      channels: 1,
      maxValue: 255,
      data: unpackLowDepthGray(png.data, width, height, header.depth),
    };
  }
  const data = dropAlpha(png.data as Uint8Array | Uint16Array, pixels, samples, channels);
  return { width, height, channels, maxValue: header.depth === 16 ? 65535 : 255, data };
}

/** Keeps the first `keep` of `samples` interleaved channels (a copy either way). */
function dropAlpha<T extends Uint8Array | Uint16Array>(
  src: T,
  pixels: number,
  samples: number,
  keep: number,
): T {
  const out = new (src.constructor as { new (n: number): T })(pixels * keep);
  if (samples === keep) {
    out.set(src.subarray(0, pixels * keep));
    return out;
  }
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < keep; c++) out[p * keep + c] = src[p * samples + c];
  }
  return out;
}

/** Unpacks 1/2/4-bit gray rows (each starting on a byte boundary) to 0..255 bytes; 255/(2^d - 1) is exact. */
function unpackLowDepthGray(
  packed: ArrayLike<number>,
  width: number,
  height: number,
  depth: number,
): Uint8Array {
  const out = new Uint8Array(width * height);
  const rowBytes = Math.ceil((width * depth) / 8);
  const mask = (1 << depth) - 1, scale = 255 / mask;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const byte = packed[y * rowBytes + (bit >> 3)];
      out[y * width + x] = ((byte >> (8 - depth - (bit & 7))) & mask) * scale;
    }
  }
  return out;
}
