/**
 * What an uploaded decoder or encoder is, worked out from its declared input shape, the shapes it produces on
 * a probe input, and the user's manifest (query parameters or a JSON part) where the shapes do not say.
 *
 * Decoder: one input of width latent_dim; its first output is the image, shaped [H, W], [H, W, C] (C = 1 or 3)
 * or flat ([P]: then `output_shape` says [H, W(, C)], or a square P is read as a square gray image).
 * Encoder: one image input; the latent mean is its first output (or output `mean_output`); a single output of
 * width 2 * latent_dim is read as [mean, log_var] concatenated.
 */

import { InvalidInputError, UnprocessableError } from "../errors.ts";

/** How decoder outputs map to pixel values in [0, 1]. */
export type OutputRange = "unit" | "tanh" | "logits";
/** Which value range an encoder expects its images in. */
export type InputRange = "unit" | "tanh";

/** Options a user may declare when shapes alone do not say enough. */
export interface ModelOptions {
  latentDim?: number;
  /** Decoder: image shape [H, W] or [H, W, C] of a flat output. */
  outputShape?: number[];
  /** Encoder: per-sample input shape when the model leaves dimensions open. */
  inputShape?: number[];
  /** Decoder: "unit" (already in [0, 1], default), "tanh" ([-1, 1]) or "logits" (before a sigmoid). */
  outputRange?: OutputRange;
  /** Encoder: "unit" (images in [0, 1], default) or "tanh" (images in [-1, 1]). */
  inputRange?: InputRange;
  /** Encoder: index of the output holding the latent mean (default 0). */
  meanOutput?: number;
}

/** A decoder as fidstream uses it. */
export interface DecoderInfo {
  role: "decoder";
  latentDim: number;
  /** Per-image shape [H, W, C] (NHWC) of the decoded images. */
  imageShape: [number, number, 1 | 3];
  outputRange: OutputRange;
}

/** An encoder as fidstream uses it. */
export interface EncoderInfo {
  role: "encoder";
  latentDim: number;
  /** Per-sample input shape the model takes (images are reshaped to it). */
  inputShape: number[];
  /** Output holding the mean, and whether the mean is all of it or its first half. */
  meanOutput: number;
  meanPart: "all" | "first_half";
  inputRange: InputRange;
}

/** Largest decoded image fidstream handles (values per image): 1024 x 1024 gray or 591 x 591 RGB. */
export const MAX_IMAGE_VALUES = 1 << 20;
/** Largest latent dimension accepted. */
export const MAX_LATENT_DIM = 4096;

const KEYS = ["latent_dim", "output_shape", "input_shape", "output_range", "input_range", "mean_output"];

function positiveInt(v: unknown, field: string, max: number): number {
  const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > max) {
    throw new InvalidInputError("model_option_invalid", `${field} must be an integer from 1 to ${max}`);
  }
  return n;
}

function shapeList(v: unknown, field: string): number[] {
  let list = v;
  if (typeof v === "string") list = v.split(/[,x ]+/).filter((s) => s !== "").map(Number);
  if (!Array.isArray(list) || list.length < 1 || list.length > 4) {
    throw new InvalidInputError(
      "model_option_invalid",
      `${field} must be a list of 1 to 4 positive integers`,
    );
  }
  return list.map((d) => positiveInt(d, field, MAX_IMAGE_VALUES));
}

/** Reads user options from snake_case keys (query parameters as strings, or JSON values); unknown keys are 400. */
export function parseModelOptions(raw: Record<string, unknown>): ModelOptions {
  const opts: ModelOptions = {};
  for (const key of Object.keys(raw)) {
    if (!KEYS.includes(key)) {
      throw new InvalidInputError(
        "model_option_unknown",
        `unknown model option '${key}'; known: ${KEYS.join(", ")}`,
      );
    }
  }
  if (raw.latent_dim !== undefined) {
    opts.latentDim = positiveInt(raw.latent_dim, "latent_dim", MAX_LATENT_DIM);
  }
  if (raw.output_shape !== undefined) opts.outputShape = shapeList(raw.output_shape, "output_shape");
  if (raw.input_shape !== undefined) opts.inputShape = shapeList(raw.input_shape, "input_shape");
  if (raw.output_range !== undefined) {
    if (!["unit", "tanh", "logits"].includes(raw.output_range as string)) {
      throw new InvalidInputError("model_option_invalid", "output_range must be unit, tanh or logits");
    }
    opts.outputRange = raw.output_range as OutputRange;
  }
  if (raw.input_range !== undefined) {
    if (!["unit", "tanh"].includes(raw.input_range as string)) {
      throw new InvalidInputError("model_option_invalid", "input_range must be unit or tanh");
    }
    opts.inputRange = raw.input_range as InputRange;
  }
  if (raw.mean_output !== undefined) {
    opts.meanOutput = positiveInt(Number(raw.mean_output) + 1, "mean_output + 1", 64) - 1;
  }
  return opts;
}

const product = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** The decoder's latent dimension from its input shape ([batch, d]) and the options; 422 when neither says. */
export function decoderLatentDim(
  inputShape: readonly (number | null)[] | undefined,
  opts: ModelOptions,
): number {
  const declared = inputShape && inputShape.length === 2 && typeof inputShape[1] === "number"
    ? inputShape[1]
    : undefined;
  // An empty shape is a graph that does not say; anything but [batch, d] is not a decoder input.
  if (inputShape && inputShape.length !== 0 && inputShape.length !== 2) {
    throw new UnprocessableError(
      "decoder_input_shape",
      `the decoder's input has shape [${
        inputShape.map((d) => d ?? "?").join(", ")
      }]; expected [batch, latent_dim]`,
    );
  }
  if (declared !== undefined && opts.latentDim !== undefined && declared !== opts.latentDim) {
    throw new UnprocessableError(
      "latent_dim_mismatch",
      `latent_dim=${opts.latentDim} was given but the decoder's input takes ${declared} values`,
    );
  }
  const d = declared ?? opts.latentDim;
  if (d === undefined) {
    throw new UnprocessableError(
      "latent_dim_unknown",
      "the decoder's input shape does not say its latent dimension; pass latent_dim (query or manifest)",
    );
  }
  if (d < 1 || d > MAX_LATENT_DIM) {
    throw new UnprocessableError(
      "latent_dim_invalid",
      `latent dimension ${d} is outside 1..${MAX_LATENT_DIM}`,
    );
  }
  return d;
}

function asImageShape(shape: readonly number[], what: string): [number, number, 1 | 3] {
  const [h, w, c = 1] = shape;
  if (shape.length < 2 || shape.length > 3 || (c !== 1 && c !== 3) || !(h >= 1) || !(w >= 1)) {
    throw new UnprocessableError(
      "decoder_output_shape",
      `${what} [${shape.join(", ")}] is not an image; expected [H, W] or [H, W, C] with C = 1 or 3 ` +
        "(pass output_shape for a flat output)",
    );
  }
  if (h * w * c > MAX_IMAGE_VALUES) {
    throw new UnprocessableError(
      "decoder_output_too_large",
      `decoded images of shape [${shape.join(", ")}] exceed ${MAX_IMAGE_VALUES} values each`,
    );
  }
  return [h, w, c as 1 | 3];
}

/** The decoder's description given its latent dimension and the per-sample shape of its first output. */
export function decoderInfo(
  latentDim: number,
  outputShape: readonly number[],
  opts: ModelOptions,
): DecoderInfo {
  const values = product(outputShape);
  let imageShape: [number, number, 1 | 3];
  if (opts.outputShape) {
    if (product(opts.outputShape) !== values) {
      throw new UnprocessableError(
        "decoder_output_shape",
        `output_shape [${opts.outputShape.join(", ")}] holds ${product(opts.outputShape)} values but the ` +
          `decoder outputs ${values} per sample (shape [${outputShape.join(", ")}])`,
      );
    }
    imageShape = asImageShape(opts.outputShape, "output_shape");
  } else if (outputShape.length === 1) {
    const side = Math.round(Math.sqrt(values));
    if (side * side !== values) {
      throw new UnprocessableError(
        "decoder_output_shape",
        `the decoder outputs ${values} values per sample, flat; pass output_shape (e.g. 32,32,3) to say how ` +
          "they form an image",
      );
    }
    imageShape = asImageShape([side, side, 1], "the flat output read as a square");
  } else {
    imageShape = asImageShape(outputShape, "the decoder's output shape");
  }
  return { role: "decoder", latentDim, imageShape, outputRange: opts.outputRange ?? "unit" };
}

/** The per-sample input an encoder takes: its declared shape, or input_shape where it leaves dimensions open. */
export function encoderInputShape(
  inputShape: readonly (number | null)[] | undefined,
  opts: ModelOptions,
): number[] {
  const perSample = inputShape?.slice(1);
  const open = !perSample || perSample.length === 0 || perSample.some((d) => typeof d !== "number" || d < 1);
  if (opts.inputShape) {
    if (!open && product(perSample as number[]) !== product(opts.inputShape)) {
      throw new UnprocessableError(
        "encoder_input_shape",
        `input_shape [${opts.inputShape.join(", ")}] does not fit the encoder's input [${
          perSample!.join(", ")
        }]`,
      );
    }
    return open ? opts.inputShape : perSample as number[];
  }
  if (open) {
    throw new UnprocessableError(
      "encoder_input_shape",
      "the encoder's input shape has open dimensions; pass input_shape (e.g. 28,28,1)",
    );
  }
  if (product(perSample as number[]) > MAX_IMAGE_VALUES) {
    throw new UnprocessableError("encoder_input_too_large", `encoder inputs over ${MAX_IMAGE_VALUES} values`);
  }
  return perSample as number[];
}

/** The encoder's description given the per-sample shapes of its outputs on a probe input. */
export function encoderInfo(
  inputShape: number[],
  outputShapes: readonly (readonly number[])[],
  opts: ModelOptions,
): EncoderInfo {
  const meanOutput = opts.meanOutput ?? 0;
  if (meanOutput >= outputShapes.length) {
    throw new UnprocessableError(
      "encoder_mean_output",
      `mean_output=${meanOutput} but the encoder has ${outputShapes.length} output(s)`,
    );
  }
  const shape = outputShapes[meanOutput];
  if (shape.length !== 1) {
    throw new UnprocessableError(
      "encoder_output_shape",
      `encoder output ${meanOutput} has per-sample shape [${shape.join(", ")}]; expected [latent_dim]`,
    );
  }
  const width = shape[0];
  const inputRange = opts.inputRange ?? "unit";
  const d = opts.latentDim;
  if (d === undefined || d === width) {
    return { role: "encoder", latentDim: width, inputShape, meanOutput, meanPart: "all", inputRange };
  }
  if (outputShapes.length === 1 && width === 2 * d) {
    return { role: "encoder", latentDim: d, inputShape, meanOutput, meanPart: "first_half", inputRange };
  }
  throw new UnprocessableError(
    "latent_dim_mismatch",
    `latent_dim=${d} was given but encoder output ${meanOutput} has ${width} values per sample`,
  );
}

/** Decoder outputs mapped into [0, 1] for display and feature extraction (in place; returns `values`). */
export function toUnitRange(values: Float32Array, range: OutputRange): Float32Array {
  for (let i = 0; i < values.length; i++) {
    let v = values[i];
    if (range === "tanh") v = (v + 1) / 2;
    else if (range === "logits") v = 1 / (1 + Math.exp(-v));
    values[i] = v > 0 ? (v < 1 ? v : 1) : 0;
  }
  return values;
}

/** Images in [0, 1] mapped to the range an encoder expects (a copy). */
export function fromUnitRange(values: Float32Array, range: InputRange): Float32Array {
  return range === "tanh" ? values.map((v) => v * 2 - 1) : values.slice();
}
