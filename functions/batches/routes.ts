/** POST /v1/runs/:id/batches: accept a feature batch durably, exactly once per idempotency key. */
import { Hono } from "hono";
import { ingestRunBatch } from "../../engine/ingest/feature_batch.ts";
import type { AppEnv } from "../env.ts";
import { readBatch } from "../batch_body.ts";
import { requireRun } from "../owned.ts";

/** The batch upload route. */
export const batches = new Hono<AppEnv>();

batches.post("/v1/runs/:id/batches", async (c) => {
  const run = await requireRun(c);
  const { id, parse } = await readBatch(c);
  const receipt = await ingestRunBatch(c.get("deps"), run, id, parse);
  return c.json({ batch: receipt.batch, n: receipt.n, replayed: receipt.replay });
});
