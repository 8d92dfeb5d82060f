/** `deno task start`: every function in one process, with the embedded database unless DATABASE_URL is set. */
import { openDatabase } from "../db/open.ts";
import { createApp } from "./app.ts";
import { configFromEnv } from "./config.ts";
import { createDeps, disposeDeps } from "./deps.ts";
import { localFeatureService, remoteFeatureService } from "./pipeline/feature_service.ts";

const config = configFromEnv();
const where = config.database.url
  ? "PostgreSQL (DATABASE_URL)"
  : `embedded PGlite in ${config.database.dataDir}`;
if (config.service.auth === "off") {
  console.warn(
    'WARNING: FIDSTREAM_AUTH=off: every request acts as admin of the project "default". ' +
      `Listening on loopback (${config.hostname}) only. Never expose this server.`,
  );
}
const database = await openDatabase(config.database);
const local = localFeatureService();
const features = config.gpuHost ? remoteFeatureService(config.gpuHost.urls, local, config.gpuHost) : local;
const deps = await createDeps(database, config.service, { features });
const app = createApp(deps);
const server = Deno.serve({
  port: config.port,
  hostname: config.hostname,
  onListen: ({ hostname, port }) =>
    console.log(`fidstream listening on http://${hostname}:${port} with ${where}`),
}, app.fetch);

const shutdown = async () => {
  await server.shutdown();
  await disposeDeps(deps);
  await database.close();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", shutdown);
Deno.addSignalListener("SIGTERM", shutdown);
