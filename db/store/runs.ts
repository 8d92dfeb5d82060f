/** Run rows and their status transitions. */
import { and, desc, eq, getTableColumns, sql } from "drizzle-orm";
import type { Db } from "../database.ts";
import { runs } from "../schema.ts";
import { afterCursor, micros, type PageCursor } from "./paging.ts";
import { requireStorableText } from "./storable_text.ts";

/** A run row as stored. */
export type RunRow = typeof runs.$inferSelect;

/** Inserts a run and returns it; text PostgreSQL cannot store (NUL, unpaired surrogates) is a 400. */
export async function insertRun(db: Db, row: typeof runs.$inferInsert): Promise<RunRow> {
  requireStorableText(row.name, "name");
  requireStorableText(row.tags, "tags");
  requireStorableText(row.config, "config");
  const [created] = await db.insert(runs).values(row).returning();
  return created;
}

/** The run with this id, or undefined. */
export async function findRun(db: Db, id: string): Promise<RunRow | undefined> {
  const [row] = await db.select().from(runs).where(eq(runs.id, id));
  return row;
}

/** A run in a listing: without its config unless asked, plus its position for the next page's cursor. */
export type ListedRun = Omit<RunRow, "config"> & { config?: Record<string, unknown>; createdUs: string };

/** One page of a project's runs, newest first (limit + 1 rows fetched, so the caller knows if more follow). */
export async function listRunsPage(
  db: Db,
  projectId: string,
  opts: { limit: number; after?: PageCursor; withConfig: boolean },
): Promise<ListedRun[]> {
  const { config, ...columns } = getTableColumns(runs);
  const rows = await db.select({
    ...columns,
    ...(opts.withConfig ? { config } : {}),
    createdUs: sql<string>`${micros(runs.createdAt)}::text`,
  }).from(runs)
    .where(and(eq(runs.projectId, projectId), afterCursor(runs.createdAt, runs.id, opts.after)))
    .orderBy(desc(micros(runs.createdAt)), desc(runs.id))
    .limit(opts.limit + 1);
  return rows as ListedRun[];
}

/**
 * Records partial metrics as the run's latest unless metrics over at least as many samples are already there.
 * `progress` counts every sample behind them (features + reconstructions + latents); each only grows, so a larger
 * total is a later snapshot and a slow evaluation can never overwrite a newer one.
 */
export async function setLatestMetrics(
  db: Db,
  id: string,
  latest: Record<string, unknown>,
  progress: number,
) {
  const updated = await db.update(runs).set({ latest, latestProgress: progress, updatedAt: new Date() })
    .where(and(eq(runs.id, id), eq(runs.status, "streaming"), sql`${runs.latestProgress} < ${progress}`))
    .returning({ id: runs.id });
  return updated.length > 0;
}

/**
 * Replaces the latest metrics of a streaming run with a later snapshot of the same progress (a value they listed
 * as pending arrived); false when a newer evaluation or a finalize came first.
 */
export async function completeLatestMetrics(
  db: Db,
  id: string,
  latest: Record<string, unknown>,
  progress: number,
) {
  const updated = await db.update(runs).set({ latest, updatedAt: new Date() })
    .where(and(eq(runs.id, id), eq(runs.status, "streaming"), eq(runs.latestProgress, progress)))
    .returning({ id: runs.id });
  return updated.length > 0;
}

/**
 * Moves a streaming run to "finalizing" so no further batch commits; returns the run as it now is.
 * A run already finalizing (e.g. a crashed finalize) or finalized is returned unchanged.
 */
export async function beginFinalize(db: Db, id: string): Promise<RunRow | undefined> {
  await db.update(runs).set({ status: "finalizing", updatedAt: new Date() })
    .where(and(eq(runs.id, id), eq(runs.status, "streaming")));
  return await findRun(db, id);
}

/** Stores the final metrics and marks the run finalized. */
export async function completeFinalize(db: Db, id: string, final: Record<string, unknown>): Promise<RunRow> {
  const [row] = await db.update(runs).set({
    status: "finalized",
    final,
    latest: final,
    updatedAt: new Date(),
  })
    .where(eq(runs.id, id)).returning();
  return row;
}

/**
 * Adds `values` (work finished after the finalize answered, e.g. FID-infinity) to a finalized run's final
 * metrics, strikes `done` from its `pending` list and stamps `at`, under the run's row lock; returns the new
 * final metrics (null when the run has none).
 */
export async function completePendingFinal(
  db: Db,
  id: string,
  done: string,
  values: Record<string, unknown>,
  at: string,
): Promise<Record<string, unknown> | null> {
  return await db.transaction(async (tx) => {
    const [row] = await tx.select({ final: runs.final }).from(runs).where(eq(runs.id, id)).for("update");
    if (!row?.final) return null;
    const { pending, ...rest } = row.final;
    const left = (Array.isArray(pending) ? pending : []).filter((p) => p !== done);
    const final = { ...rest, ...values, at, ...(left.length > 0 ? { pending: left } : {}) };
    await tx.update(runs).set({ final, latest: final, updatedAt: new Date() }).where(eq(runs.id, id));
    return final;
  });
}
