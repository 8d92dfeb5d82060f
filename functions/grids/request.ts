/**
 * Reading a grid request: a JSON body; or, for interpolation, the two input images with the parameters in the
 * query string (an .npz body holding x of shape [2, H, W(, C)]) or in multipart/form-data (a `request` JSON
 * part, and either an `x` part (.npz or .npy) or two image parts `a` and `b` (PNG or JPEG)).
 */
import type { Context } from "hono";
import { InvalidInputError, UnprocessableError, UnsupportedMediaTypeError } from "../../src/errors.ts";
import type { ImageBatch } from "../../src/features/extractor.ts";
import { imageBatchFromNdArray } from "../../src/features/image_batch.ts";
import { decodeImage, imageBatchFromImages } from "../../src/features/png_jpeg.ts";
import type { NdArray } from "../../src/tensors/ndarray.ts";
import { parseNpy } from "../../src/tensors/npy.ts";
import { parseNpz } from "../../src/tensors/npz.ts";
import { type GridSpec, parseGridSpec } from "../../src/vae/grid_request.ts";
import { readBinaryBody, readJsonObject } from "../body.ts";
import type { AppEnv } from "../env.ts";
import { jsonField } from "../vae/model_upload.ts";

/** A parsed grid request: what to draw, and the two input images of an interpolation. */
export interface GridRequest {
  spec: GridSpec;
  inputs?: ImageBatch;
}

const NPZ_TYPES = [
  "application/zip",
  "application/x-npz",
  "application/x-zip-compressed",
  "application/octet-stream",
];
const MAX_INPUT_BYTES = 64 * 1024 * 1024;

function contentType(c: Context<AppEnv>): string {
  return (c.req.header("content-type") ?? "application/octet-stream").split(";")[0].trim().toLowerCase();
}

/** The two images of an .npz (array x) or .npy. */
export function inputsFromArrayFile(bytes: Uint8Array): ImageBatch {
  const isZip = bytes[0] === 0x50 && bytes[1] === 0x4b;
  let x: NdArray | undefined;
  if (isZip) {
    const arrays = parseNpz(bytes, { maxUncompressedBytes: MAX_INPUT_BYTES });
    x = arrays.get("x");
    if (!x) {
      throw new UnprocessableError(
        "missing_array",
        `the .npz needs an array "x" of shape [2, H, W(, C)]; found ${
          [...arrays.keys()].join(", ") || "none"
        }`,
      );
    }
  } else {
    x = parseNpy(bytes);
  }
  if (x.shape[0] !== 2 || x.shape.length < 3) {
    throw new UnprocessableError(
      "interpolation_inputs",
      `x must hold exactly two images, shape [2, H, W(, C)]; got (${x.shape.join(", ")})`,
    );
  }
  return imageBatchFromNdArray(x);
}

/** Reads the grid request from the body (and query string). */
export async function readGridRequest(c: Context<AppEnv>): Promise<GridRequest> {
  const type = contentType(c);
  if (type === "application/json") return { spec: parseGridSpec(await readJsonObject(c)) };
  if (type === "multipart/form-data") {
    let form: Record<string, unknown>;
    try {
      form = await c.req.parseBody({ all: true });
    } catch {
      throw new InvalidInputError("multipart_invalid", "the multipart/form-data body could not be parsed");
    }
    const one = (name: string) => {
      const v = form[name];
      if (Array.isArray(v)) {
        throw new InvalidInputError("multipart_duplicate_field", `'${name}' appears twice`);
      }
      return v;
    };
    for (const field of Object.keys(form)) {
      if (!["request", "x", "a", "b"].includes(field)) {
        throw new InvalidInputError(
          "multipart_unknown_field",
          `multipart field '${field}' is not request, x, a or b`,
        );
      }
    }
    const raw = one("request");
    const spec = parseGridSpec({ ...c.req.query(), ...(raw === undefined ? {} : jsonField(raw, "request")) });
    const file = async (name: string) => {
      const v = one(name);
      if (v === undefined) return undefined;
      if (!(v instanceof File)) {
        throw new InvalidInputError("multipart_not_file", `'${name}' must be a file part`);
      }
      return new Uint8Array(await v.arrayBuffer());
    };
    const [x, a, b] = [await file("x"), await file("a"), await file("b")];
    if (x && (a || b)) {
      throw new InvalidInputError("interpolation_inputs", "send either x or the images a and b");
    }
    if (x) return { spec, inputs: inputsFromArrayFile(x) };
    if (a && b) return { spec, inputs: imageBatchFromImages([decodeImage(a), decodeImage(b)]) };
    if (a || b) throw new InvalidInputError("interpolation_inputs", "send both images a and b");
    return { spec };
  }
  if (NPZ_TYPES.includes(type)) {
    const spec = parseGridSpec(c.req.query());
    return { spec, inputs: inputsFromArrayFile(await readBinaryBody(c, NPZ_TYPES)) };
  }
  throw new UnsupportedMediaTypeError(
    "unsupported_content_type",
    `Content-Type ${type} is not accepted here; send JSON, an .npz (application/zip) or multipart/form-data`,
  );
}
