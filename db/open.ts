/** Chooses the driver: PostgreSQL when a URL is given, embedded PGlite otherwise. */
import type { Database } from "./database.ts";
import { openPglite } from "./pglite/open.ts";
import { openPostgres } from "./postgres/open.ts";

/** Where the data lives: a PostgreSQL URL, or a PGlite data dir (undefined = in memory). */
export interface DatabaseConfig {
  url?: string;
  dataDir?: string;
}

/** Opens and migrates the configured database. */
export function openDatabase(config: DatabaseConfig): Promise<Database> {
  return config.url ? openPostgres(config.url) : openPglite(config.dataDir);
}
