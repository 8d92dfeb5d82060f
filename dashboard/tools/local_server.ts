/**
 * A complete fidstream server in this process (embedded in-memory PGlite, every function including the
 * dashboard) on a free loopback port: for browser tests and screenshots. Auth is off unless `config` turns it on. `extra` may add routes in front of
 * the app (tests use it for routes other issues will provide).
 */
import { Hono } from "hono";
import type { Database } from "../../db/database.ts";
import { openPglite } from "../../db/pglite/open.ts";
import { createApp } from "../../functions/app.ts";
import { createDeps, type Deps, disposeDeps, type ServiceConfig } from "../../functions/deps.ts";
import type { AppEnv } from "../../functions/env.ts";

/** A running local server. */
export interface LocalServer {
  url: string;
  deps: Deps;
  database: Database;
  close(): Promise<void>;
}

/** Starts the server; metrics follow batches within ~10 ms so pages update promptly. */
export async function startLocalServer(
  opts: { extra?: (app: Hono<AppEnv>) => void; database?: Database; config?: Partial<ServiceConfig> } = {},
): Promise<LocalServer> {
  const database = opts.database ?? await openPglite();
  const deps = await createDeps(database, { metricsDelayMs: 10, foldIntervalMs: 0, ...opts.config }, {
    log: () => {},
    compute: "inline",
  });
  const outer = new Hono<AppEnv>();
  opts.extra?.(outer);
  outer.route("/", createApp(deps));
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, outer.fetch);
  const { port } = server.addr as Deno.NetAddr;
  return {
    url: `http://127.0.0.1:${port}`,
    deps,
    database,
    async close() {
      await server.shutdown();
      await disposeDeps(deps);
      if (!opts.database) await database.close();
    },
  };
}
