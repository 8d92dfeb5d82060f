/** /v1/runs: create runs against a reference and read them with their latest and final metrics. */
import { Hono } from "hono";
import { insertRun, listRunsPage } from "../../db/store/runs.ts";
import { metricsHistory } from "../../db/store/metrics.ts";
import { InvalidInputError, UnprocessableError } from "../../src/errors.ts";
import { readJsonObject } from "../body.ts";
import type { AppEnv } from "../env.ts";
import { requireName } from "../names.ts";
import { pageOf, pageRequest } from "../paging.ts";
import { requireRun } from "../owned.ts";
import { diversityOptions } from "../pipeline/diversity_options.ts";
import { kidOptions } from "../pipeline/kid_options.ts";
import { cmmdOptions } from "../pipeline/cmmd_options.ts";
import { fidInfinityEnabled } from "../pipeline/fid_infinity_job.ts";
import { runView } from "../views.ts";
import { referenceByIdOrName } from "./reference_lookup.ts";

/** Largest run config, as JSON bytes: settings and a few notes, listed with every run. */
export const MAX_CONFIG_BYTES = 64 * 1024;

/** Routes under /v1/runs (batches, events and finalize live in their own functions). */
export const runs = new Hono<AppEnv>();

runs.post("/v1/runs", async (c) => {
  const deps = c.get("deps");
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
  const config = body.config ?? {};
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new InvalidInputError("bad_config", "config must be a JSON object");
  }
  const cfg = config as Record<string, unknown>;
  const configBytes = new TextEncoder().encode(JSON.stringify(cfg)).length;
  if (configBytes > MAX_CONFIG_BYTES) {
    throw new UnprocessableError(
      "config_too_large",
      `config is ${configBytes} bytes as JSON; at most ${MAX_CONFIG_BYTES} are stored with a run (keep large ` +
        "artefacts elsewhere and put their paths in config)",
    );
  }
  kidOptions(cfg);
  diversityOptions(cfg);
  cmmdOptions(cfg);
  fidInfinityEnabled(cfg);
  const retain = cfg.retain_features ?? true;
  if (typeof retain !== "boolean") {
    throw new UnprocessableError(
      "bad_retain_features",
      "config.retain_features must be true (keep features) or false",
    );
  }
  const ref = await referenceByIdOrName(c, body.reference);
  if (body.features !== undefined && body.features !== ref.featureSpace) {
    throw new UnprocessableError(
      "feature_space_mismatch",
      `the run names feature space ${JSON.stringify(body.features)} but its reference's is ` +
        `${JSON.stringify(ref.featureSpace)}: FID across feature spaces is meaningless`,
    );
  }
  const run = await insertRun(deps.db, {
    id: crypto.randomUUID(),
    projectId: c.get("principal").projectId,
    name,
    referenceId: ref.id,
    dim: ref.dim,
    tags: tags.map((t: string) => requireName(t, "a tag")),
    config: cfg,
    retainFeatures: retain,
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
