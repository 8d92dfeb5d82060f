/** /v1/runs: create runs against a reference and read them with their latest and final metrics. */
import { Hono } from "hono";
import { listRunsPage } from "../../db/store/runs.ts";
import { metricsHistory } from "../../db/store/metrics.ts";
import { InvalidInputError } from "../../src/errors.ts";
import { readJsonObject } from "../body.ts";
import type { AppEnv } from "../env.ts";
import { requireName } from "../names.ts";
import { pageOf, pageRequest } from "../paging.ts";
import { requireRun } from "../owned.ts";
import { checkRunConfig } from "../../engine/run_config.ts";
import { createRun } from "../../engine/create_run.ts";
import { runView } from "../views.ts";
import { referenceByIdOrName } from "./reference_lookup.ts";

/** Routes under /v1/runs (batches, events and finalize live in their own functions). */
export const runs = new Hono<AppEnv>();

runs.post("/v1/runs", async (c) => {
  const body = await readJsonObject(c);
  const name = requireName(body.name, "name");
  if (typeof body.reference !== "string") {
    throw new InvalidInputError(
      "missing_reference",
      "reference (the id of a registered reference, or its name when unique) is required",
    );
  }
  const tags = body.tags ?? [];
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== "string") || tags.length > 100) {
    throw new InvalidInputError("bad_tags", "tags must be an array of at most 100 strings");
  }
  const settings = checkRunConfig(body.config);
  const reference = await referenceByIdOrName(c, body.reference);
  const run = await createRun(c.get("deps"), {
    projectId: c.get("principal").projectId,
    name,
    tags: tags.map((t: string) => requireName(t, "a tag")),
    settings,
    reference,
    features: body.features,
  });
  return c.json(runView(run), 201);
});

runs.get("/v1/runs", async (c) => {
  const page = pageRequest(c);
  const include = c.req.query("include");
  if (include !== undefined && include !== "config") {
    throw new InvalidInputError("bad_include", 'include may only be "config"');
  }
  const withConfig = include === "config";
  const rows = await listRunsPage(c.get("deps").db, c.get("principal").projectId, { ...page, withConfig });
  const { rows: listed, nextCursor } = pageOf(rows, page.limit);
  return c.json({
    runs: listed.map((r) => {
      const { config, ...view } = runView({ ...r, config: r.config ?? {} });
      return withConfig ? { ...view, config } : view;
    }),
    next_cursor: nextCursor,
  });
});

runs.get("/v1/runs/:id", async (c) => {
  return c.json(runView(await requireRun(c)));
});

runs.get("/v1/runs/:id/metrics", async (c) => {
  const run = await requireRun(c);
  const history = await metricsHistory(c.get("deps").db, run.id);
  return c.json({ run: run.id, metrics: history.map((h) => ({ ...h.values, kind: h.kind })) });
});
