/**
 * The "fid-inception" feature extractor on the WGSL engine. Takes images as float32 in [0, 1] (ImageBatch) or
 * as uploaded (PixelBatch: uint8 or float32, NHWC or NCHW), cuts a batch into forwards no bigger than the
 * device's binding limits allow, keeps two forwards in flight (the next one's pixels upload and encode while
 * the previous one computes), and returns the rows in input order. Preprocessing runs on the GPU.
 */
import type { FeatureExtractor, FeatureRows, ImageBatch } from "../../../src/features/extractor.ts";
import { type PixelBatch, pixelsOfImages } from "../../../src/features/pixel_batch.ts";
import {
  checkFidInceptionOutput,
  checkImageBatch,
  FID_INCEPTION_OUTPUT_DIMS,
  type FidInceptionOutputName,
  NETWORK_OUTPUT,
} from "../extractor.ts";
import { FID_INCEPTION_DIMS, type FidInceptionOutput, type FoldedWeights, lastStageFor } from "../network.ts";
import {
  FEATURE_OFFSETS,
  FEATURE_ROW,
  type ForwardResult,
  LOGITS_ROW,
  WgslInceptionNetwork,
  type WgslNetworkOptions,
} from "./network.ts";

/** Forwards kept in flight by one extract call. */
const PIPELINE_DEPTH = 2;

/** Rows of one output from a forward's result, for its images [first, first + n). */
export function rowsOf(
  result: ForwardResult,
  output: FidInceptionOutput,
  first: number,
  n: number,
): Float32Array {
  const dim = FID_INCEPTION_DIMS[output];
  const out = new Float32Array(n * dim);
  const [src, row, off] = output === "logits"
    ? [result.logits!, LOGITS_ROW, 0]
    : [result.features, FEATURE_ROW, FEATURE_OFFSETS[output]];
  for (let i = 0; i < n; i++) {
    const at = (first + i) * row + off;
    out.set(src.subarray(at, at + dim), i * dim);
  }
  return out;
}

/** What one forward must compute for a set of outputs. */
export function forwardNeeds(
  outputs: readonly FidInceptionOutputName[],
): { lastStage: number; logits: boolean } {
  const want = new Set(outputs.map((o) => NETWORK_OUTPUT[o]));
  return { lastStage: lastStageFor(want), logits: want.has("logits") };
}

/** pytorch-fid's InceptionV3 features computed by the WGSL engine. */
export class WgslFidInceptionExtractor implements FeatureExtractor {
  readonly space = "fid-inception";
  readonly dims: Readonly<Record<FidInceptionOutputName, number>> = FID_INCEPTION_OUTPUT_DIMS;
  readonly defaultOutput: FidInceptionOutputName = "2048";
  /** The engine (the GPU host's queue runs forwards on it directly). */
  readonly network: WgslInceptionNetwork;

  constructor(network: WgslInceptionNetwork) {
    this.network = network;
  }

  /** Builds the engine from folded weights on a new (or the given) device. */
  static async create(
    weights: FoldedWeights,
    opts: WgslNetworkOptions = {},
  ): Promise<WgslFidInceptionExtractor> {
    return new WgslFidInceptionExtractor(await WgslInceptionNetwork.create(weights, opts));
  }

  /** Features of one output (default "2048") for every image. */
  async extract(images: ImageBatch, output: string = this.defaultOutput): Promise<FeatureRows> {
    const rows = await this.extractPixels(pixelsOfImages(images), [output]);
    return rows[output as FidInceptionOutputName]!;
  }

  /** Several outputs from one pass over the images. */
  extractMany(
    images: ImageBatch,
    outputs: readonly string[],
  ): Promise<Partial<Record<FidInceptionOutputName, FeatureRows>>> {
    return this.extractPixels(pixelsOfImages(images), outputs);
  }

  /** Several outputs for images as uploaded (uint8 or float32, NHWC or NCHW), preprocessed on the GPU. */
  async extractPixels(
    pixels: PixelBatch,
    outputs: readonly string[],
  ): Promise<Partial<Record<FidInceptionOutputName, FeatureRows>>> {
    const names = outputs.map(checkFidInceptionOutput);
    checkImageBatch(pixels);
    const { n } = pixels;
    const result: Partial<Record<FidInceptionOutputName, FeatureRows>> = {};
    for (const name of names) {
      result[name] = { n, dim: this.dims[name], data: new Float32Array(n * this.dims[name]) };
    }
    const { lastStage, logits } = forwardNeeds(names);
    const perImage = pixels.data.byteLength / Math.max(1, n);
    const step = Math.max(1, this.network.maxImagesPerForward(perImage));
    const inFlight: Promise<void>[] = [];
    for (let start = 0; start < n; start += step) {
      const count = Math.min(step, n - start);
      const part = slicePixels(pixels, start, count);
      const done = this.network.forward([part], lastStage, logits).then((r) => {
        for (const name of names) {
          result[name]!.data.set(rowsOf(r, NETWORK_OUTPUT[name], 0, count), start * this.dims[name]);
        }
      });
      done.catch(() => {}); // awaited below; this only keeps a failure meanwhile from going unhandled
      inFlight.push(done);
      if (inFlight.length >= PIPELINE_DEPTH) await inFlight.shift();
    }
    await Promise.all(inFlight);
    return result;
  }

  /** Frees the GPU buffers (and the device the engine opened). */
  dispose(): void {
    this.network.dispose();
  }
}

/** Images [start, start + count) of a batch, sharing its data. */
export function slicePixels(p: PixelBatch, start: number, count: number): PixelBatch {
  const per = p.height * p.width * p.channels;
  return { ...p, n: count, data: p.data.subarray(start * per, (start + count) * per) };
}
