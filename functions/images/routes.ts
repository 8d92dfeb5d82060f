/** GET /v1/runs/:id/images (the run's gallery: url, caption, kind, created_at) and GET .../images/:imageId (PNG). */
import { Hono } from "hono";
import { findRunImagePng, listRunImages } from "../../db/store/run_images.ts";
import { NotFoundError } from "../../src/errors.ts";
import type { AppEnv } from "../env.ts";
import { requireRun } from "../owned.ts";
import { imageView } from "../vae_views.ts";

/** The image routes. */
export const images = new Hono<AppEnv>();

images.get("/v1/runs/:id/images", async (c) => {
  const run = await requireRun(c);
  return c.json({ images: (await listRunImages(c.get("deps").db, run.id)).map(imageView) });
});

images.get("/v1/runs/:id/images/:imageId", async (c) => {
  const run = await requireRun(c);
  const id = c.req.param("imageId");
  const found = await findRunImagePng(c.get("deps").db, run.id, id);
  if (!found) throw new NotFoundError("image_not_found", `run ${run.id} has no image ${id}`);
  // An image never changes once stored: let clients keep it.
  return c.body(found.png as Uint8Array<ArrayBuffer>, 200, {
    "content-type": "image/png",
    "cache-control": "private, max-age=31536000, immutable",
    "content-length": String(found.png.byteLength),
  });
});
