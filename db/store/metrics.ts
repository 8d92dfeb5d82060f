/** Metric history rows and the notification that tells every process about them. */
import { asc, eq, sql } from "drizzle-orm";
import type { Db } from "../database.ts";
import { metrics } from "../schema.ts";

/** The channel on which every process hears about new metrics: payload = JSON {run, kind}. */
export const METRICS_CHANNEL = "fidstream_metrics";

/** Appends a metrics row and notifies every listening process. */
export async function insertMetrics(
  db: Db,
  runId: string,
  kind: "partial" | "final",
  values: Record<string, unknown> & { n: number },
) {
  await db.transaction(async (tx) => {
    await tx.insert(metrics).values({ runId, n: values.n, kind, values });
    await tx.execute(sql`select pg_notify(${METRICS_CHANNEL}, ${JSON.stringify({ run: runId, kind })})`);
  });
}

/**
 * Tells every listening process that a run's latest metrics changed without a history row: the FID of a partial
 * evaluation goes out before its Vendi score, and only the complete snapshot is stored (insertMetrics).
 */
export async function notifyRunMetrics(db: Db, runId: string) {
  await db.execute(
    sql`select pg_notify(${METRICS_CHANNEL}, ${JSON.stringify({ run: runId, kind: "partial" })})`,
  );
}

/** A run's metrics history, oldest first. */
export function metricsHistory(db: Db, runId: string) {
  return db.select({ n: metrics.n, kind: metrics.kind, values: metrics.values, at: metrics.at })
    .from(metrics).where(eq(metrics.runId, runId)).orderBy(asc(metrics.seq));
}

/**
 * Tells every listening process how a run's finalize is progressing (nothing is stored: progress only matters
 * while someone watches). The payload {run, kind: "progress", progress} stays far below NOTIFY's 8,000 bytes.
 */
export async function notifyRunProgress(db: Db, runId: string, progress: Record<string, unknown>) {
  const payload = JSON.stringify({ run: runId, kind: "progress", progress });
  await db.execute(sql`select pg_notify(${METRICS_CHANNEL}, ${payload})`);
}
