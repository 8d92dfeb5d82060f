/**
 * Serving one function alone (`deno serve functions/<name>/serve.ts`), as an edge platform would run many copies
 * of it against one PostgreSQL: dependencies are built from the environment on the first request.
 */
import type { Hono } from "hono";
import { openDatabase } from "../db/open.ts";
import { createApp } from "./app.ts";
import { configFromEnv } from "./config.ts";
import { createDeps } from "./deps.ts";
import type { AppEnv } from "./env.ts";

/** A `{ fetch }` module serving just `group`. */
export function standalone(group: Hono<AppEnv>): { fetch: (req: Request) => Promise<Response> } {
  let app: Promise<Hono<AppEnv>> | undefined;
  const build = async () => {
    const config = configFromEnv();
    const deps = await createDeps(await openDatabase(config.database), config.service);
    return createApp(deps, [group]);
  };
  return { fetch: async (req) => (await (app ??= build())).fetch(req) };
}
