/** Reference rows: real-data statistics that runs compare against. */
import { and, desc, eq, sql } from "drizzle-orm";
import { UnprocessableError } from "../../src/errors.ts";
import type { Db } from "../database.ts";
import { references } from "../schema.ts";
import { afterCursor, micros, type PageCursor } from "./paging.ts";

/** A reference row as stored. */
export type ReferenceRow = typeof references.$inferSelect;

/**
 * Widest feature space accepted (VGG-16's 4096 included). Statistics hold a D x D co-moment: 67 MB at 4096, and
 * each FID is an O(D^3) eigenproblem; a body of a few rows could otherwise claim D = 200000 (160 GB).
 */
export const MAX_REFERENCE_DIM = 4096;

/** Inserts a reference and returns it; a dimension over MAX_REFERENCE_DIM is a 422. */
export async function insertReference(db: Db, row: typeof references.$inferInsert): Promise<ReferenceRow> {
  if (row.dim > MAX_REFERENCE_DIM) {
    throw new UnprocessableError(
      "dim_too_large",
      `features have D = ${row.dim}; at most ${MAX_REFERENCE_DIM} are accepted (statistics hold a D x D ` +
        "covariance): reduce the dimension first",
    );
  }
  const [created] = await db.insert(references).values(row).returning();
  return created;
}

/** The reference with this id, or undefined. */
export async function findReference(db: Db, id: string): Promise<ReferenceRow | undefined> {
  const [row] = await db.select().from(references).where(eq(references.id, id));
  return row;
}

/** Ids of a project's references with this exact name, newest first (names need not be unique). */
export async function referenceIdsNamed(db: Db, projectId: string, name: string): Promise<string[]> {
  const rows = await db.select({ id: references.id }).from(references)
    .where(and(eq(references.projectId, projectId), eq(references.name, name)))
    .orderBy(desc(references.createdAt));
  return rows.map((r) => r.id);
}

/**
 * A project's references, newest first, without their statistics blobs: one page (limit + 1 rows, so the caller
 * knows whether more follow) after `page.after`, or all of them without `page`.
 */
export function listReferences(db: Db, projectId: string, page?: { limit: number; after?: PageCursor }) {
  const query = db.select({
    id: references.id,
    name: references.name,
    dim: references.dim,
    source: references.source,
    featureSpace: references.featureSpace,
    n: references.n,
    createdAt: references.createdAt,
    updatedAt: references.updatedAt,
    createdUs: sql<string>`${micros(references.createdAt)}::text`,
  }).from(references)
    .where(
      and(eq(references.projectId, projectId), afterCursor(references.createdAt, references.id, page?.after)),
    )
    .orderBy(desc(micros(references.createdAt)), desc(references.id));
  return page ? query.limit(page.limit + 1) : query;
}
