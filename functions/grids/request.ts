/**
 * Reading a grid request: a JSON body; or, for interpolation, the two input images with the parameters in the
 * query string (an .npz body holding x of shape [2, H, W(, C)]) or in multipart/form-data (a `request` JSON
 * part, and either an `x` part (.npz or .npy) or two image parts `a` and `b` (PNG or JPEG)).
 */
import type { Context } from "hono";
import { InvalidInputError, UnprocessableError, UnsupportedMediaTypeError } from "../../src/errors.ts";
import type { ImageBatch } from "../../src/features/extractor.ts";
import { imageBatchFromNdArray } from "../../src/features/image_batch.ts";
import { decodeImage, imageBatchFromImages } from "../../src/images/png_jpeg.ts";
import type { NdArray } from "../../src/tensors/ndarray.ts";
import { parseNpy } from "../../src/tensors/npy.ts";
import { parseNpz } from "../../src/tensors/npz.ts";
import { gridQuery, parseGridSpec } from "../../src/vae/grid_request.ts";
import { readBinaryBody, readJsonObject, readMultipartBody, requestContentType } from "../body.ts";
import type { MultipartPart } from "../multipart.ts";
import type { AppEnv } from "../env.ts";
import { jsonField } from "../models/model_upload.ts";
import type { GridRequest } from "../../engine/grids/draw.ts";

const NPZ_TYPES = [
  "application/zip",
  "application/x-npz",
  "application/x-zip-compressed",
  "application/octet-stream",
];
const MAX_INPUT_BYTES = 64 * 1024 * 1024;

const contentType = requestContentType;

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
    const parts = await readMultipartBody(c, { maxParts: 4 });
    const byName = new Map<string, MultipartPart>();
    for (const part of parts) {
      if (!["request", "x", "a", "b"].includes(part.name)) {
        throw new InvalidInputError(
          "multipart_unknown_field",
          `multipart field '${part.name}' is not request, x, a or b`,
        );
      }
      if (byName.has(part.name)) {
        throw new InvalidInputError("multipart_duplicate_field", `'${part.name}' appears twice`);
      }
      byName.set(part.name, part);
    }
    const raw = byName.get("request");
    const spec = parseGridSpec({
      ...gridQuery(c.req.query()),
      ...(raw === undefined ? {} : jsonField(new TextDecoder().decode(raw.bytes), "request")),
    });
    const file = (name: string) => {
      const part = byName.get(name);
      if (part === undefined) return undefined;
      if (part.filename === undefined) {
        throw new InvalidInputError("multipart_not_file", `'${name}' must be a file part`);
      }
      return part.bytes;
    };
    const [x, a, b] = [file("x"), file("a"), file("b")];
    if (x && (a || b)) {
      throw new InvalidInputError("interpolation_inputs", "send either x or the images a and b");
    }
    if (x) return { spec, inputs: inputsFromArrayFile(x) };
    if (a && b) return { spec, inputs: imageBatchFromImages([decodeImage(a), decodeImage(b)]) };
    if (a || b) throw new InvalidInputError("interpolation_inputs", "send both images a and b");
    return { spec };
  }
  if (NPZ_TYPES.includes(type)) {
    const spec = parseGridSpec(gridQuery(c.req.query()));
    return { spec, inputs: inputsFromArrayFile(await readBinaryBody(c, NPZ_TYPES)) };
  }
  throw new UnsupportedMediaTypeError(
    "unsupported_content_type",
    `Content-Type ${type} is not accepted here; send JSON, an .npz (application/zip) or multipart/form-data`,
  );
}
