/**
 * `deno task start`: every function in one process, with the embedded database unless DATABASE_URL is set.
 * It prints what a first user needs and nothing else: where it listens, the database, whether keys are needed,
 * and on the very first start the admin key it created (saved to the data dir, so no restart is ever needed).
 */
import { openDatabase } from "../db/open.ts";
import { createApp } from "./app.ts";
import { createFirstAdminKey, verifyApiKey } from "./auth/api_key.ts";
import { initialKeyPath, readInitialKey, saveInitialKey } from "./auth/initial_key.ts";
import { loopbackUrl, newOperatorToken, writeOperatorFile } from "./auth/operator.ts";
import { configFromEnv } from "./config.ts";
import { createDeps, disposeDeps } from "./deps.ts";
import { listen } from "./listener.ts";
import { ExtractorPool } from "../models/runtime/worker_pool.ts";
import { localFeatureService, remoteFeatureService } from "../engine/pipeline/feature_service.ts";

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
const authLines = config.service.auth === "on" ? await keyStatus() : [];
// With PGlite the CLI cannot open the database while we hold it: it manages keys through us instead.
const operatorToken = config.database.url ? undefined : newOperatorToken();
const local = localFeatureService(() =>
  new ExtractorPool({ workers: config.extraction.workers, settings: config.extraction })
);
const features = config.gpuHost ? remoteFeatureService(config.gpuHost.urls, local, config.gpuHost) : local;
const deps = await createDeps(database, { ...config.service, operatorToken }, { features });
const app = createApp(deps);
const listener = await listen(app.fetch, {
  port: config.port,
  hostname: config.hostname,
  limits: config.listener,
});
const addr = { transport: "tcp" as const, hostname: listener.hostname, port: listener.port };
const removeOperatorFile = operatorToken
  ? await writeOperatorFile(config.database.dataDir!, {
    url: loopbackUrl(addr),
    pid: Deno.pid,
    token: operatorToken,
  })
  : undefined;
// One write, so whoever waits for the listening line finds the key lines with it.
console.log(
  [`fidstream listening on http://${addr.hostname}:${addr.port} with ${where}`, ...authLines].join("\n"),
);

/** Creates the first admin key when the database has none; returns what to print about keys. */
async function keyStatus(): Promise<string[]> {
  const shell = (path: string) => `export FIDSTREAM_API_KEY=$(cat ${path})`;
  const first = await createFirstAdminKey(database.db);
  if (first) {
    const lines = [
      'auth: API keys required. First start: created an admin key of project "default" (shown only now):',
      "",
      `    ${first.key}`,
      "",
    ];
    try {
      const path = await saveInitialKey(config.dataDir, first.key);
      lines.push(`  saved to ${path} (mode 0600). Clients read FIDSTREAM_API_KEY: ${shell(path)}`);
    } catch (e) {
      lines.push(`  (could not save it to ${initialKeyPath(config.dataDir)}: ${e}; copy it now)`);
    }
    return lines;
  }
  const saved = await readInitialKey(config.dataDir);
  if (saved && await verifyApiKey(database.db, saved)) {
    const path = initialKeyPath(config.dataDir);
    return [`auth: API keys required; the first admin key (project "default") is in ${path}: ${shell(path)}`];
  }
  return [
    "auth: API keys required; manage them with `deno task cli keys create|list|revoke` (also while this runs)",
  ];
}

const shutdown = async () => {
  await removeOperatorFile?.();
  await listener.shutdown();
  await disposeDeps(deps);
  await database.close();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", shutdown);
Deno.addSignalListener("SIGTERM", shutdown);
