/**
 * POST /v1/runs/:id/grids: draw a seeded PNG grid from the run's decoder (prior samples, a latent traversal,
 * an interpolation between two inputs through the encoder, or per-dimension sweeps) and store it with the run.
 * The same request returns the same stored image (200); a new one answers 201.
 */
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { requireRun } from "../owned.ts";
import { imageView } from "../vae_views.ts";
import { drawGrid } from "../../engine/grids/draw.ts";
import { readGridRequest } from "./request.ts";

/** The grid route. */
export const grids = new Hono<AppEnv>();

grids.post("/v1/runs/:id/grids", async (c) => {
  const run = await requireRun(c);
  const req = await readGridRequest(c);
  const { image, replay } = await drawGrid(c.get("deps"), run, req);
  return c.json({ ...imageView(image), replayed: replay }, replay ? 200 : 201);
});
