/** Composes every function into the one app that `deno task start` serves. */
import { Hono } from "hono";
import { batches } from "./batches/routes.ts";
import { dashboard } from "./dashboard/routes.ts";
import type { Deps } from "./deps.ts";
import type { AppEnv } from "./env.ts";
import { handleError, handleNotFound } from "./errors.ts";
import { admin } from "./admin/routes.ts";
import { authenticate } from "./auth/middleware.ts";
import { guardBodies } from "./body.ts";
import { events } from "./events/routes.ts";
import { finalize } from "./finalize/routes.ts";
import { openapi } from "./openapi/routes.ts";
import { references } from "./references/routes.ts";
import { latents } from "./latents/routes.ts";
import { reconstructions } from "./reconstructions/routes.ts";
import { runs } from "./runs/routes.ts";
import { models } from "./models/routes.ts";
import { grids } from "./grids/routes.ts";
import { images } from "./images/routes.ts";
import { generate } from "./generate/routes.ts";

/** Every route group; each is also servable alone (see serve.ts in its folder). */
export const functions = [
  references,
  runs,
  batches,
  reconstructions,
  latents,
  events,
  finalize,
  openapi,
  dashboard,
  admin,
  models,
  grids,
  images,
  generate,
];

/** An app serving the given route groups with deps injected (all of them by default). */
export function createApp(deps: Deps, groups: Hono<AppEnv>[] = functions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("*", async (c, next) => {
    c.set("deps", deps);
    await next();
    // JSON, .npy and PNG answers are what their Content-Type says: no browser may sniff them into HTML.
    c.header("X-Content-Type-Options", "nosniff");
  });
  app.use("/v1/*", authenticate());
  app.use(
    "/v1/*",
    guardBodies({
      maxBodyBytes: deps.config.maxBodyBytes,
      budget: deps.bodyBudget,
      slots: { slots: deps.uploadSlots, keyOf: (c) => c.get("principal")?.keyId ?? "local" },
    }),
  );
  for (const group of groups) app.route("/", group);
  app.onError(handleError);
  app.notFound(handleNotFound);
  return app;
}
