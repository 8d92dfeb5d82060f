/** Reference rows: real-data statistics that runs compare against. */
import { desc, eq } from "drizzle-orm";
import type { Db } from "../database.ts";
import { references } from "../schema.ts";

/** A reference row as stored. */
export type ReferenceRow = typeof references.$inferSelect;

/** Inserts a reference and returns it. */
export async function insertReference(db: Db, row: typeof references.$inferInsert): Promise<ReferenceRow> {
  const [created] = await db.insert(references).values(row).returning();
  return created;
}

/** The reference with this id, or undefined. */
export async function findReference(db: Db, id: string): Promise<ReferenceRow | undefined> {
  const [row] = await db.select().from(references).where(eq(references.id, id));
  return row;
}

/** All references of a project, newest first, without their statistics blobs. */
export function listReferences(db: Db, projectId: string) {
  return db.select({
    id: references.id,
    name: references.name,
    dim: references.dim,
    source: references.source,
    n: references.n,
    createdAt: references.createdAt,
    updatedAt: references.updatedAt,
  }).from(references).where(eq(references.projectId, projectId)).orderBy(desc(references.createdAt));
}
