/** Any PostgreSQL through postgres.js: several server processes may share one. */
import postgres from "postgres";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import type { Database, Db } from "../database.ts";
import { migrationsFolder } from "../migrations_folder.ts";
import * as schema from "../schema.ts";

/** Arbitrary constant: the advisory lock that serializes migrations of processes starting together. */
const MIGRATION_LOCK = 7_262_022;

/** Connects to the PostgreSQL at url and applies pending migrations (one process at a time). */
export async function openPostgres(url: string, opts: { maxConnections?: number } = {}): Promise<Database> {
  const client = postgres(url, { max: opts.maxConnections ?? 10, onnotice: () => {} });
  const db = drizzle(client, { schema }) as unknown as Db;
  // Drizzle's migrator takes no lock: hold a session advisory lock on a reserved connection meanwhile.
  const lockHolder = await client.reserve();
  try {
    await lockHolder`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migrate(db as never, { migrationsFolder });
  } finally {
    await lockHolder`select pg_advisory_unlock(${MIGRATION_LOCK})`.catch(() => {});
    lockHolder.release();
  }
  return {
    kind: "postgres",
    db,
    async listen(channel, fn) {
      const sub = await client.listen(channel, fn);
      return async () => await sub.unlisten();
    },
    async close() {
      await client.end({ timeout: 5 });
    },
  };
}
