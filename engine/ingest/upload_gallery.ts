/**
 * The gallery's "latest uploads": a PNG grid of (up to) the first images of a run's newest image batch, so the
 * team can look at what the model generates while FID streams. Only the newest grid is kept per run.
 */
import { deleteOtherRunImages, insertRunImage } from "../../db/store/run_images.ts";
import type { Db } from "../../db/database.ts";
import type { ImageBatch } from "../../src/features/extractor.ts";
import { sliceImageBatch } from "../../src/features/batch_slices.ts";
import { tileImages } from "../../src/images/image_grid.ts";
import { encodePng } from "../../src/images/png_encode.ts";

/** Kind of the stored grid in /v1/runs/:id/images. */
export const UPLOADS_KIND = "uploads";

/** At most this many images (fewer for big images: the grid stays around a megapixel). */
function gridSize(images: ImageBatch): number {
  const byPixels = Math.floor(1_048_576 / (images.height * images.width));
  return Math.max(1, Math.min(64, images.n, byPixels));
}

/** Stores the grid of a run's just-accepted image batch and drops the previous one. */
export async function storeUploadGrid(
  db: Db,
  runId: string,
  batch: number,
  images: ImageBatch,
): Promise<void> {
  const shown = gridSize(images);
  const grid = tileImages(sliceImageBatch(images, 0, shown), Math.ceil(Math.sqrt(shown)));
  const id = crypto.randomUUID();
  await insertRunImage(db, {
    id,
    runId,
    kind: UPLOADS_KIND,
    caption: `latest upload: batch ${batch}, ${shown} of ${images.n} images`,
    params: { batch, shown, n: images.n },
    requestKey: `uploads:${batch}`,
    width: grid.width,
    height: grid.height,
    png: encodePng(grid),
  });
  await deleteOtherRunImages(db, runId, UPLOADS_KIND, id);
}
