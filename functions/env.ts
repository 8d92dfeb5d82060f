/** Hono typing shared by every handler: dependencies arrive as the `deps` variable. */
import type { Principal } from "./auth/api_key.ts";
import type { RequestBody } from "./body.ts";
import type { Deps } from "./deps.ts";

/**
 * The Env of every fidstream Hono app: dependencies, who the request acts for (set by authenticate()), and the
 * request's share of the body budget (set by guardBodies()).
 */
export type AppEnv = { Variables: { deps: Deps; principal: Principal; body: RequestBody } };
