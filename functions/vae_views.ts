/** JSON views of stored models and images. */
import type { RunImageSummary } from "../db/store/run_images.ts";
import type { RunModelSummary } from "../db/store/run_models.ts";
import type { DecoderInfo, EncoderInfo } from "../src/vae/model_roles.ts";

/** A stored model as the API shows it (snake_case, no bytes). */
export function modelView(m: RunModelSummary) {
  const info = m.info as unknown as DecoderInfo | EncoderInfo;
  const shapes = info.role === "decoder"
    ? { image_shape: info.imageShape, output_range: info.outputRange }
    : {
      input_shape: info.inputShape,
      mean_output: info.meanOutput,
      mean_part: info.meanPart,
      input_range: info.inputRange,
    };
  return {
    run: m.runId,
    role: m.role,
    format: m.format,
    sha256: m.sha256,
    bytes: m.bytes,
    latent_dim: info.latentDim,
    ...shapes,
    created_at: m.createdAt,
    updated_at: m.updatedAt,
  };
}

/** URL of an image's PNG. */
export function imageUrl(runId: string, imageId: string): string {
  return `/v1/runs/${runId}/images/${imageId}`;
}

/** An image as the gallery lists it. */
export function imageView(i: RunImageSummary) {
  return {
    id: i.id,
    url: imageUrl(i.runId, i.id),
    caption: i.caption,
    kind: i.kind,
    width: i.width,
    height: i.height,
    params: i.params,
    created_at: i.createdAt,
  };
}
