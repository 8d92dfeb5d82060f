/** Hono typing shared by every handler: dependencies arrive as the `deps` variable. */
import type { Principal } from "./auth/api_key.ts";
import type { Deps } from "./deps.ts";

/** The Env of every fidstream Hono app: dependencies, and who the request acts for (set by authenticate()). */
export type AppEnv = { Variables: { deps: Deps; principal: Principal } };
