/** POST /v1/runs/:id/batches: accept a feature batch durably, exactly once per idempotency key. */
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { findReference } from "../../db/store/references.ts";
import { storeFeatureBatch } from "../features_upload.ts";
import { requireRun } from "../owned.ts";

/** The batch upload route. */
export const batches = new Hono<AppEnv>();

batches.post("/v1/runs/:id/batches", async (c) => {
  const deps = c.get("deps");
  const run = await requireRun(c);
  // Status is checked inside the batch's transaction, so a retry of an accepted batch still replays after finalize.
  const ref = await findReference(deps.db, run.referenceId);
  const receipt = await storeFeatureBatch(c, { kind: "run", id: run.id }, run.dim, ref?.featureSpace ?? null);
  deps.scheduler.poke(run.id);
  return c.json({ batch: receipt.batch, n: receipt.n, replayed: receipt.replay });
});
