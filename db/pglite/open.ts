/** Embedded PostgreSQL (PGlite): the default database, no setup. */
import { PGlite, types } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import type { Database, Db } from "../database.ts";
import { migrationsFolder } from "../migrations_folder.ts";
import * as schema from "../schema.ts";
import { byteaFromText, byteaToText } from "./bytea_codec.ts";

/** Opens (creating if needed) a PGlite database in dataDir, or in memory when dataDir is undefined, and migrates it. */
export async function openPglite(dataDir?: string): Promise<Database> {
  if (dataDir) await Deno.mkdir(dataDir, { recursive: true });
  // PGlite's own bytea conversion is byte-at-a-time JS (seconds per 16 MiB): use whole-buffer hex instead.
  const client = await PGlite.create({
    dataDir,
    parsers: { [types.BYTEA]: byteaFromText },
    serializers: { [types.BYTEA]: byteaToText },
  });
  const db = drizzle(client, { schema }) as unknown as Db;
  await migrate(db as never, { migrationsFolder });
  return {
    kind: "pglite",
    db,
    async listen(channel, fn) {
      const unsubscribe = await client.listen(channel, fn);
      return async () => await unsubscribe();
    },
    async close() {
      await client.close();
    },
  };
}
