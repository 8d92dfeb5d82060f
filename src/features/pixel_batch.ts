/**
 * Images as they arrived, without conversion: uint8 0..255 or float32 0..1, NHWC or NCHW. An extractor that
 * can read these itself (the WGSL engine converts, resizes and normalizes on the GPU) is spared the float32
 * copy an ImageBatch needs: 4x the bytes of a uint8 upload, and a pass over every pixel on the request thread.
 */
import type { NdArray } from "../tensors/ndarray.ts";
import type { ImageBatch } from "./extractor.ts";
import { checkedImageGeometry, imageBatchFromNdArray, type ImageLayout } from "./image_batch.ts";

/** A batch of images in their uploaded form. */
export interface PixelBatch {
  n: number;
  height: number;
  width: number;
  channels: 1 | 3;
  layout: ImageLayout;
  /** uint8 values 0..255, or float32 values in [0, 1]. */
  data: Uint8Array | Float32Array;
}

/** An ImageBatch (float32 NHWC in [0, 1]) as a PixelBatch, sharing its data. */
export function pixelsOfImages(images: ImageBatch): PixelBatch {
  return { ...images, layout: "NHWC" };
}

/**
 * The images of an .npy array as a PixelBatch: uint8 and float32 arrays keep their data (floats checked to lie
 * in [0, 1]); other dtypes are converted as imageBatchFromNdArray does.
 */
export function pixelBatchFromNdArray(a: NdArray, layout?: ImageLayout): PixelBatch {
  if (a.dtype !== "uint8" && a.dtype !== "float32") return pixelsOfImages(imageBatchFromNdArray(a, layout));
  const g = checkedImageGeometry(a, layout);
  return {
    n: g.n,
    height: g.height,
    width: g.width,
    channels: g.channels,
    layout: g.nchw ? "NCHW" : "NHWC",
    data: a.data as Uint8Array | Float32Array,
  };
}

/** Element strides (image, row, column, channel) of a PixelBatch's layout. */
export function pixelStrides(p: Pick<PixelBatch, "height" | "width" | "channels" | "layout">): [
  number,
  number,
  number,
  number,
] {
  const { height: h, width: w, channels: c } = p;
  return p.layout === "NCHW" ? [c * h * w, w, 1, h * w] : [h * w * c, w * c, c, 1];
}

/** The images of a PixelBatch as an ImageBatch (float32 NHWC in [0, 1]); shares the data when it already is. */
export function imagesOfPixels(p: PixelBatch): ImageBatch {
  const { n, height, width, channels } = p;
  if (p.data instanceof Float32Array && (p.layout === "NHWC" || channels === 1)) {
    return { n, height, width, channels, data: p.data };
  }
  const [si, sy, sx, sc] = pixelStrides(p);
  const scale = p.data instanceof Uint8Array ? 1 / 255 : 1;
  const out = new Float32Array(n * height * width * channels);
  let at = 0;
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < channels; c++) out[at++] = p.data[i * si + y * sy + x * sx + c * sc] * scale;
      }
    }
  }
  return { n, height, width, channels, data: out };
}
