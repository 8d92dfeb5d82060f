/**
 * Runs a test against every database fidstream supports: embedded PGlite (always) and a real PostgreSQL when
 * tests/run.ts started one (FIDSTREAM_TEST_PG_URL). Without it the PostgreSQL variant is registered as ignored,
 * with the reason in its name, so the runner lists it as skipped.
 */
import postgres from "postgres";
import type { Database } from "../../db/database.ts";
import { openPglite } from "../../db/pglite/open.ts";
import { openPostgres } from "../../db/postgres/open.ts";

/** URL of the test PostgreSQL server, if any. */
export const testPostgresUrl: string | undefined = Deno.env.get("FIDSTREAM_TEST_PG_URL");

/** Creates a fresh, empty database on the test server and returns its URL. */
export async function freshPostgresDatabase(): Promise<string> {
  if (!testPostgresUrl) throw new Error("no test PostgreSQL (FIDSTREAM_TEST_PG_URL is unset)");
  const name = `t_${crypto.randomUUID().replaceAll("-", "")}`;
  const admin = postgres(testPostgresUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(testPostgresUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A database kind under test. */
export interface DatabaseKind {
  name: "pglite" | "postgres";
  available: boolean;
  /** Opens a fresh, migrated, empty database of this kind. */
  open(): Promise<Database>;
}

/** The database kinds every storage test runs against. */
export const databaseKinds: DatabaseKind[] = [
  { name: "pglite", available: true, open: () => openPglite() },
  {
    name: "postgres",
    available: testPostgresUrl !== undefined,
    open: async () => openPostgres(await freshPostgresDatabase()),
  },
];

/** Registers `fn` as one Deno test per database kind, each on its own fresh database. */
export function testEachDatabase(
  name: string,
  fn: (database: Database, kind: DatabaseKind) => Promise<void>,
) {
  for (const kind of databaseKinds) {
    Deno.test({
      name: kind.available
        ? `[${kind.name}] ${name}`
        : `[${kind.name}] ${name} (SKIPPED: no PostgreSQL server)`,
      ignore: !kind.available,
      sanitizeOps: false,
      sanitizeResources: false,
      fn: async () => {
        const database = await kind.open();
        try {
          await fn(database, kind);
        } finally {
          await database.close();
        }
      },
    });
  }
}

/**
 * Registers a test that needs a PostgreSQL server of its own kind of use (server processes sharing it, restarts):
 * `fn` gets the URL of a fresh database; without a test server the test is listed as skipped.
 */
export function testOnPostgres(name: string, fn: (url: string) => Promise<void>) {
  Deno.test({
    name: testPostgresUrl ? name : `${name} (SKIPPED: no PostgreSQL server)`,
    ignore: !testPostgresUrl,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => await fn(await freshPostgresDatabase()),
  });
}
