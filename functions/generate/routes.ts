/**
 * POST /v1/runs/:id/generate {"n","seed","features"?,"chunk"?}: the run's decoder generates n seeded samples
 * whose features join the run's batches (engine/vae/generate.ts); the request thread only awaits.
 */
import { Hono } from "hono";
import { parseGenerateSpec } from "../../src/vae/generate_request.ts";
import { generateSamples } from "../../engine/vae/generate.ts";
import { readJsonObject } from "../body.ts";
import type { AppEnv } from "../env.ts";
import { requireRun } from "../owned.ts";

/** The generate route. */
export const generate = new Hono<AppEnv>();

generate.post("/v1/runs/:id/generate", async (c) => {
  const run = await requireRun(c);
  const spec = parseGenerateSpec(await readJsonObject(c));
  return c.json(await generateSamples(c.get("deps"), run, spec));
});
