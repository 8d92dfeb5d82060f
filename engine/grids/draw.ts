/**
 * Drawing a grid for a run: the request's canonical form (spec + the models' SHA-256 + the inputs' digest)
 * names the image, so asking again returns the stored PNG; otherwise latents are built here, decoded (and
 * encoded, for interpolation) on the VAE worker, tiled and PNG-encoded.
 */
import { findRunImageByKey, insertRunImage, type RunImageSummary } from "../../db/store/run_images.ts";
import type { RunRow } from "../../db/store/runs.ts";
import { InvalidInputError, UnprocessableError } from "../../src/errors.ts";
import type { ImageBatch } from "../../src/features/extractor.ts";
import { tileImages } from "../../src/images/image_grid.ts";
import { encodePng } from "../../src/images/png_encode.ts";
import { gridCaption, gridLatents, interpolationLatents } from "../../src/vae/grid_latents.ts";
import { type GridSpec, gridTiles, MAX_GRID_TILES } from "../../src/vae/grid_request.ts";
import { sha256Hex } from "../../src/sha256_hex.ts";
import type { Engine } from "../engine.ts";
import { vaeRunnerFor } from "../vae/runner.ts";
import { requireRunModel } from "../vae/stored_model.ts";

/** A parsed grid request: what to draw, and the two input images of an interpolation. */
export interface GridRequest {
  spec: GridSpec;
  inputs?: ImageBatch;
}

/** Most values (pixels x channels) one grid may decode. */
export const MAX_GRID_VALUES = 32 * 1024 * 1024;

async function inputsDigest(images: ImageBatch): Promise<string> {
  const head = new TextEncoder().encode(`${images.n}x${images.height}x${images.width}x${images.channels}:`);
  const bytes = new Uint8Array(head.byteLength + images.data.byteLength);
  bytes.set(head);
  bytes.set(
    new Uint8Array(images.data.buffer, images.data.byteOffset, images.data.byteLength),
    head.byteLength,
  );
  return await sha256Hex(bytes);
}

function concatBatches(parts: ImageBatch[]): ImageBatch {
  const n = parts.reduce((s, p) => s + p.n, 0);
  const data = new Float32Array(parts.reduce((s, p) => s + p.data.length, 0));
  let at = 0;
  for (const p of parts) {
    data.set(p.data, at);
    at += p.data.length;
  }
  return { ...parts[0], n, data };
}

function pick(images: ImageBatch, i: number): ImageBatch {
  const per = images.height * images.width * images.channels;
  return { ...images, n: 1, data: images.data.slice(i * per, (i + 1) * per) };
}

/** The run's image for this request: stored already (replay) or drawn now. */
export async function drawGrid(
  deps: Engine,
  run: RunRow,
  req: GridRequest,
): Promise<{ image: RunImageSummary; replay: boolean }> {
  const { spec } = req;
  const decoder = await requireRunModel(deps, run.id, "decoder");
  const d = decoder.info.latentDim;
  const [h, w, ch] = decoder.info.imageShape;
  const tiles = gridTiles(spec, d);
  if (tiles > MAX_GRID_TILES || tiles * h * w * ch > MAX_GRID_VALUES) {
    throw new UnprocessableError(
      "grid_too_large",
      `this grid would hold ${tiles} images of ${h} x ${w} x ${ch}; at most ${MAX_GRID_TILES} images and ` +
        `${MAX_GRID_VALUES} values are drawn at once (choose fewer dims, steps or samples)`,
    );
  }
  const params: Record<string, unknown> = { ...spec, decoder: decoder.row.sha256 };
  const runner = vaeRunnerFor(deps);
  let withInputs = false;
  let encoder: Awaited<ReturnType<typeof requireRunModel<"encoder">>> | undefined;
  if (spec.kind === "interpolation") {
    if (!req.inputs) {
      throw new InvalidInputError(
        "interpolation_inputs",
        "an interpolation needs two images: an .npz with x of shape [2, H, W(, C)] or multipart parts a and b",
      );
    }
    encoder = await requireRunModel(deps, run.id, "encoder");
    if (encoder.info.latentDim !== d) {
      throw new UnprocessableError(
        "latent_dim_mismatch",
        `the run's encoder has latent dimension ${encoder.info.latentDim} but its decoder ${d}; upload a matching pair`,
      );
    }
    const fits = req.inputs.height === h && req.inputs.width === w && req.inputs.channels === ch;
    if (spec.include_inputs === true && !fits) {
      throw new UnprocessableError(
        "interpolation_inputs",
        `include_inputs needs inputs shaped like the decoder's images (${h} x ${w} x ${ch})`,
      );
    }
    withInputs = spec.include_inputs ?? fits;
    params.include_inputs = withInputs;
    params.encoder = encoder.row.sha256;
    params.inputs = await inputsDigest(req.inputs);
  } else if (req.inputs) {
    throw new InvalidInputError("grid_unexpected_inputs", `${spec.kind} grids take no input images`);
  }
  const requestKey = await sha256Hex(new TextEncoder().encode(JSON.stringify(params)));
  const existing = await findRunImageByKey(deps.db, run.id, requestKey);
  if (existing) return { image: existing, replay: true };

  let images: ImageBatch;
  let cols: number;
  if (spec.kind === "interpolation") {
    const means = await runner.run({
      op: "encode",
      encoder: encoder!.source,
      info: encoder!.info,
      images: req.inputs!,
    });
    const z = interpolationLatents(means, d, spec.steps);
    const frames = await runner.run({
      op: "decode",
      decoder: decoder.source,
      info: decoder.info,
      z,
      n: spec.steps,
    });
    images = withInputs ? concatBatches([pick(req.inputs!, 0), frames, pick(req.inputs!, 1)]) : frames;
    cols = images.n;
  } else {
    const latents = gridLatents(spec, d);
    images = await runner.run({
      op: "decode",
      decoder: decoder.source,
      info: decoder.info,
      z: latents.z,
      n: latents.n,
    });
    cols = latents.cols;
  }
  const raster = tileImages(images, cols);
  return await insertRunImage(deps.db, {
    id: crypto.randomUUID(),
    runId: run.id,
    kind: spec.kind,
    caption: gridCaption(spec, d, withInputs),
    params: { ...params, rows: Math.ceil(images.n / cols), cols },
    requestKey,
    width: raster.width,
    height: raster.height,
    png: encodePng(raster),
  });
}
