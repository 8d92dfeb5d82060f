/**
 * JPEG decoding, guarded against decompression bombs: the frame header (SOF) is found by walking the marker
 * segments and its dimensions are capped before anything is allocated. Gray and colour JPEGs are decoded by
 * libjpeg-turbo (jpeg_turbo.ts: PIL's pixels exactly); 4-component (CMYK/YCCK) ones by jpeg-js with
 * tolerantDecoding off. Damaged entropy-coded data is an error instead of a silently garbled image.
 * One-component (grayscale) JPEGs come back with 1 channel, everything else as RGB.
 */

import { decode as decodeJpeg } from "jpeg-js";
import { InvalidInputError } from "../errors.ts";
import { checkPixelCount, type DecodedImage } from "./decoded_image.ts";
import { decodeJpegTurbo } from "./jpeg_turbo.ts";

/** The SOF fields that matter here. */
export interface JpegHeader {
  width: number;
  height: number;
  components: number;
}

/** SOF markers jpeg-js decodes: baseline, extended sequential and progressive Huffman-coded DCT. */
const SUPPORTED_SOF = new Set([0xc0, 0xc1, 0xc2]);
/** Other SOF markers (lossless, hierarchical, arithmetic-coded): valid JPEG that jpeg-js cannot decode. */
const OTHER_SOF = new Set([0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

/** True when the bytes start like a JPEG (SOI followed by a marker). */
export function hasJpegSignature(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

function corrupt(detail: string): never {
  throw new InvalidInputError("image_corrupt", `the JPEG is corrupt: ${detail}`);
}

/** Finds the frame header by walking marker segments from SOI; decodes nothing. */
export function readJpegHeader(bytes: Uint8Array): JpegHeader {
  if (!hasJpegSignature(bytes)) corrupt("it does not start with the SOI marker FF D8");
  let offset = 2;
  while (offset < bytes.length) {
    if (bytes[offset] !== 0xff) {
      corrupt(`expected a marker at byte ${offset}, found 0x${bytes[offset].toString(16)}`);
    }
    while (offset < bytes.length && bytes[offset] === 0xff) offset++; // fill bytes may precede a marker
    if (offset >= bytes.length) break;
    const marker = bytes[offset++];
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // markers without a length
    if (marker === 0xd9 || marker === 0xda) corrupt("it has no frame header (SOF) before its image data");
    if (offset + 2 > bytes.length) break;
    const length = (bytes[offset] << 8) | bytes[offset + 1];
    if (length < 2 || offset + length > bytes.length) {
      corrupt(`segment 0x${marker.toString(16)} runs past the end`);
    }
    if (SUPPORTED_SOF.has(marker) || OTHER_SOF.has(marker)) {
      if (length < 8) corrupt("the frame header is too short");
      const height = (bytes[offset + 3] << 8) | bytes[offset + 4];
      const width = (bytes[offset + 5] << 8) | bytes[offset + 6];
      const components = bytes[offset + 7];
      if (OTHER_SOF.has(marker)) {
        throw new InvalidInputError(
          "image_unsupported",
          `JPEG process SOF${marker - 0xc0} (lossless, hierarchical or arithmetic-coded) is not supported; ` +
            "save it as baseline or progressive JPEG, or as PNG",
        );
      }
      if (width === 0 || height === 0) corrupt(`the frame header declares ${width} x ${height} pixels`);
      if (components !== 1 && components !== 3 && components !== 4) {
        corrupt(`the frame header declares ${components} colour components (expected 1, 3 or 4)`);
      }
      return { width, height, components };
    }
    offset += length;
  }
  corrupt("it is truncated before its frame header (SOF)");
}

/**
 * Decodes a JPEG after checking its declared size against maxPixels (PayloadTooLargeError above it): gray and
 * colour JPEGs with libjpeg-turbo (PIL's decoder, jpeg_turbo.ts), 4-component (CMYK/YCCK) ones with jpeg-js.
 */
export function decodeJpegImage(bytes: Uint8Array, maxPixels: number): DecodedImage {
  const header = readJpegHeader(bytes);
  checkPixelCount("JPEG", header.width, header.height, maxPixels);
  if (header.components !== 4) {
    const channels = header.components === 1 ? 1 : 3;
    const data = decodeJpegTurbo(bytes, header.width, header.height, channels);
    return { width: header.width, height: header.height, channels, maxValue: 255, data };
  }
  let rgb: Uint8Array, width: number, height: number;
  try {
    const img = decodeJpeg(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      maxResolutionInMP: Math.ceil(maxPixels / 1e6) + 1,
      // jpeg-js also counts coefficient blocks (256 bytes per 64 pixels per component) against this budget.
      maxMemoryUsageInMB: Math.max(512, Math.ceil((maxPixels * 32) / 1048576)),
    });
    ({ data: rgb, width, height } = img);
  } catch (e) {
    corrupt((e as Error).message);
  }
  if (width !== header.width || height !== header.height || rgb.length !== width * height * 3) {
    corrupt(
      `decoded ${width} x ${height} pixels but the frame header declares ${header.width} x ${header.height}`,
    );
  }
  return { width, height, channels: 3, maxValue: 255, data: rgb };
}
