/** PNG encoding of a raster (fast-png, 8-bit gray or RGB): deterministic, the same raster gives the same bytes. */

import { encode } from "fast-png";
import type { RasterImage } from "./image_grid.ts";

/** The PNG file of an 8-bit raster. */
export function encodePng(image: RasterImage): Uint8Array {
  return encode({
    width: image.width,
    height: image.height,
    data: image.data,
    depth: 8,
    channels: image.channels,
  });
}
