/**
 * POST /v1/runs/:id/models/decoder and /encoder: upload a run's VAE half as a TensorFlow.js model (a zip of
 * model.json and its weight shards, or multipart); GET /v1/runs/:id/models lists them.
 * The upload is read and its paths and sizes checked here; the engine probes it on the VAE worker and stores it.
 */
import { Hono } from "hono";
import { listRunModels, type ModelRole } from "../../db/store/run_models.ts";
import { NotFoundError } from "../../src/errors.ts";
import type { AppEnv } from "../env.ts";
import { requireRun } from "../owned.ts";
import { readModelUpload } from "./model_upload.ts";
import { storeRunModel } from "../../engine/vae/model_store.ts";
import { modelView } from "../vae_views.ts";

/** The model upload routes. */
export const models = new Hono<AppEnv>();

const ROLES: ModelRole[] = ["decoder", "encoder"];

models.post("/v1/runs/:id/models/:role", async (c) => {
  const role = c.req.param("role") as ModelRole;
  if (!ROLES.includes(role)) {
    throw new NotFoundError("route_not_found", `models are 'decoder' or 'encoder', not '${role}'`);
  }
  const run = await requireRun(c);
  const upload = await readModelUpload(c);
  const { model, replaced } = await storeRunModel(c.get("deps"), run.id, role, upload);
  return c.json({ ...modelView(model), replaced }, 201);
});

models.get("/v1/runs/:id/models", async (c) => {
  const run = await requireRun(c);
  return c.json({ models: (await listRunModels(c.get("deps").db, run.id)).map(modelView) });
});
