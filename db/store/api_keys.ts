/** Projects and their API keys (only a hash of each secret is stored). */
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../database.ts";
import { apiKeys, projects } from "../schema.ts";

/** A stored key, without its secret. */
export type ApiKeyRow = typeof apiKeys.$inferSelect;

/** Creates the project if it does not exist yet. */
export async function ensureProject(db: Db, id: string): Promise<void> {
  await db.insert(projects).values({ id }).onConflictDoNothing();
}

/** Stores a new key of a project. */
export async function insertApiKey(
  db: Db,
  key: { id: string; projectId: string; scope: string; secretSha256: string },
): Promise<ApiKeyRow> {
  const [row] = await db.insert(apiKeys).values(key).returning();
  return row;
}

/** Arbitrary constant: the advisory lock that lets one of several processes starting together create the first key. */
const FIRST_KEY_LOCK = 7_262_023;

/**
 * Stores `key` (and its project) only when the database holds no API key at all, revoked ones included: the
 * first start of a service. Serialized across processes, so servers starting together create one key between
 * them. Returns the stored row, or undefined when a key already existed.
 */
export async function insertFirstApiKey(
  db: Db,
  key: { id: string; projectId: string; scope: string; secretSha256: string },
): Promise<ApiKeyRow | undefined> {
  return await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${FIRST_KEY_LOCK})`);
    const [any] = await tx.select({ id: apiKeys.id }).from(apiKeys).limit(1);
    if (any) return undefined;
    await tx.insert(projects).values({ id: key.projectId }).onConflictDoNothing();
    const [row] = await tx.insert(apiKeys).values(key).returning();
    return row;
  });
}

/** The key with this id, unless revoked. */
export async function findActiveKey(db: Db, id: string): Promise<ApiKeyRow | undefined> {
  const [row] = await db.select().from(apiKeys).where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)));
  return row;
}

/** A project's keys (revoked ones included, marked). */
export function listApiKeys(db: Db, projectId: string): Promise<ApiKeyRow[]> {
  return db.select().from(apiKeys).where(eq(apiKeys.projectId, projectId)).orderBy(apiKeys.createdAt);
}

/** Revokes a key of the project; false when it does not exist there. */
export async function revokeApiKey(db: Db, projectId: string, id: string): Promise<boolean> {
  const rows = await db.update(apiKeys).set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.id, id), eq(apiKeys.projectId, projectId))).returning({ id: apiKeys.id });
  return rows.length > 0;
}
