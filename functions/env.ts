/** Hono typing shared by every handler: dependencies arrive as the `deps` variable. */
import type { Deps } from "./deps.ts";

/** The Env of every fidstream Hono app. */
export type AppEnv = { Variables: { deps: Deps } };
