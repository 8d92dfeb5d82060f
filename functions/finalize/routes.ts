/** POST /v1/runs/:id/finalize: close the run and compute its exact final metrics (idempotent). */
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { requireRun } from "../owned.ts";
import { finalizeRun } from "../../engine/pipeline/finalize.ts";

/** The finalize route. */
export const finalize = new Hono<AppEnv>();

finalize.post("/v1/runs/:id/finalize", async (c) => {
  const run = await requireRun(c);
  return c.json(await finalizeRun(c.get("deps"), run.id));
});
