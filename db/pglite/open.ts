/**
 * Embedded PostgreSQL (PGlite): the default database, no setup. It runs on a worker thread
 * (db/pglite/worker.ts), so its WebAssembly never holds the request thread; Drizzle's PGlite driver talks to it
 * through PgliteWorkerClient as it would to PGlite itself.
 */
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import type { Database, Db } from "../database.ts";
import { migrationsFolder } from "../migrations_folder.ts";
import * as schema from "../schema.ts";
import { PgliteWorkerClient } from "./worker_client.ts";

/** Opens (creating if needed) a PGlite database in dataDir, or in memory when dataDir is undefined, and migrates it. */
export async function openPglite(dataDir?: string): Promise<Database> {
  if (dataDir) await Deno.mkdir(dataDir, { recursive: true });
  const client = await PgliteWorkerClient.create(dataDir);
  const db = drizzle(client as never, { schema }) as unknown as Db;
  try {
    await migrate(db as never, { migrationsFolder });
  } catch (e) {
    await client.close();
    throw e;
  }
  return {
    kind: "pglite",
    db,
    listen: (channel, fn) => client.listen(channel, fn),
    close: () => client.close(),
  };
}
