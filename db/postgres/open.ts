/** Any PostgreSQL through postgres.js: several server processes may share one. */
import postgres from "postgres";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import type { Database, Db } from "../database.ts";
import { byteaFromText, byteaToText } from "../bytea_codec.ts";
import { migrationsFolder } from "../migrations_folder.ts";
import * as schema from "../schema.ts";

/** bytea (OID 17) by the native whole-buffer hex codecs instead of postgres.js's Buffer ones (see bytea_codec.ts). */
const BYTEA = { to: 17, from: [17], serialize: byteaToText, parse: byteaFromText };

/** Arbitrary constant: the advisory lock that serializes migrations of processes starting together. */
const MIGRATION_LOCK = 7_262_022;

/** Replaces the connection pool of every open PostgreSQL database of this process (see installWriteRaceGuard). */
const renewals = new Set<() => void>();
let guardInstalled = false;

/** Whether an uncaught error is postgres.js 3.4.9's write after close (porsager/postgres#1154, #1208). */
export function isPostgresWriteRace(error: unknown): boolean {
  return error instanceof TypeError && /\(reading 'write'\)/.test(error.message) &&
    /\bnextWrite\b/.test(error.stack ?? "");
}

/**
 * When the database drops connections (a restart), postgres.js 3.4.9 can run a queued write after the socket was
 * closed: an uncaught TypeError from a timer, which would end the process, and a connection whose write queue is
 * stuck for good (its queries then hang until CONNECT_TIMEOUT). No release fixes it yet. So: swallow exactly that
 * error and replace the connection pools, whose connections are all suspect; requests in flight get a 503.
 */
function installWriteRaceGuard(): void {
  if (guardInstalled) return;
  guardInstalled = true;
  globalThis.addEventListener("error", (event) => {
    if (!isPostgresWriteRace(event.error)) return;
    event.preventDefault();
    console.error(
      "postgres.js wrote to a closed connection (database restart?): replacing the connection pool",
    );
    for (const renew of renewals) renew();
  });
}

/** Connects to the PostgreSQL at url and applies pending migrations (one process at a time). */
export async function openPostgres(url: string, opts: { maxConnections?: number } = {}): Promise<Database> {
  installWriteRaceGuard();
  const options = { max: opts.maxConnections ?? 10, onnotice: () => {}, types: { bytea: BYTEA } };
  let client = postgres(url, options);
  let current = drizzle(client, { schema }) as unknown as Db;
  // Handlers keep `db` for the process's lifetime: it forwards to whichever pool is current.
  const db = new Proxy(current, { get: (_, prop) => Reflect.get(current, prop) }) as Db;
  // LISTEN has its own connection, which postgres.js re-subscribes after a reconnect; a renewal leaves it be.
  const listener = postgres(url, { max: 1, onnotice: () => {} });
  const renew = () => {
    const old = client;
    client = postgres(url, options);
    current = drizzle(client, { schema }) as unknown as Db;
    old.end({ timeout: 5 }).catch(() => {});
  };
  renewals.add(renew);
  // Drizzle's migrator takes no lock: hold a session advisory lock on a reserved connection meanwhile.
  try {
    const lockHolder = await client.reserve();
    try {
      await lockHolder`select pg_advisory_lock(${MIGRATION_LOCK})`;
      await migrate(db as never, { migrationsFolder });
    } finally {
      await lockHolder`select pg_advisory_unlock(${MIGRATION_LOCK})`.catch(() => {});
      lockHolder.release();
    }
  } catch (e) {
    renewals.delete(renew);
    await Promise.all([client.end({ timeout: 0 }), listener.end({ timeout: 0 })]);
    throw e;
  }
  return {
    kind: "postgres",
    db,
    async listen(channel, fn) {
      const sub = await listener.listen(channel, fn);
      return async () => await sub.unlisten();
    },
    async close() {
      renewals.delete(renew);
      await Promise.all([client.end({ timeout: 5 }), listener.end({ timeout: 5 })]);
    },
  };
}
