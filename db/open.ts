/** Chooses the driver: PostgreSQL when a URL is given, embedded PGlite otherwise. */
import type { Database } from "./database.ts";
import { lockDataDir } from "./data_dir_lock.ts";
import { openPglite } from "./pglite/open.ts";
import { openPostgres } from "./postgres/open.ts";

/** Where the data lives: a PostgreSQL URL, or a PGlite data dir (undefined = in memory). */
export interface DatabaseConfig {
  url?: string;
  dataDir?: string;
}

/** Opens and migrates the configured database; a PGlite data dir is locked to this process until close(). */
export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  if (config.url) return await openPostgres(config.url);
  if (!config.dataDir) return await openPglite();
  const release = await lockDataDir(config.dataDir);
  try {
    const database = await openPglite(config.dataDir);
    return {
      ...database,
      close: async () => {
        await database.close();
        await release();
      },
    };
  } catch (e) {
    await release();
    throw e;
  }
}
