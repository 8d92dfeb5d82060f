/**
 * Leases on evaluating an owner's partial metrics (schema.ts metricLeases). Times come from the database's
 * clock, so processes with skewed clocks agree on expiry.
 */
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../database.ts";
import { metricLeases } from "../schema.ts";

const expiry = (ttlMs: number) => sql`now() + ${ttlMs} * interval '1 millisecond'`;

/** Takes the owner's lease when nobody holds it or the holder's expired; true when `holder` has it now. */
export async function acquireMetricLease(
  db: Db,
  ownerId: string,
  holder: string,
  ttlMs: number,
): Promise<boolean> {
  const rows = await db.insert(metricLeases).values({
    ownerId,
    holder,
    pending: false,
    expiresAt: expiry(ttlMs),
  })
    .onConflictDoUpdate({
      target: metricLeases.ownerId,
      set: { holder, pending: false, expiresAt: expiry(ttlMs) },
      setWhere: sql`${metricLeases.expiresAt} < now() or ${metricLeases.holder} = ${holder}`,
    })
    .returning({ holder: metricLeases.holder });
  return rows.length === 1;
}

/** Asks the live holder for one more evaluation; false when no live lease exists (take it instead). */
export async function requestMetricEvaluation(db: Db, ownerId: string): Promise<boolean> {
  const rows = await db.update(metricLeases).set({ pending: true })
    .where(and(eq(metricLeases.ownerId, ownerId), sql`${metricLeases.expiresAt} >= now()`))
    .returning({ ownerId: metricLeases.ownerId });
  return rows.length === 1;
}

/**
 * Lets go of the lease unless an evaluation was requested meanwhile: then clears the request, renews the
 * lease and returns false (evaluate again). True when released, or when the lease is no longer this holder's.
 */
export async function releaseMetricLease(
  db: Db,
  ownerId: string,
  holder: string,
  ttlMs: number,
): Promise<boolean> {
  const released = await db.delete(metricLeases)
    .where(
      and(
        eq(metricLeases.ownerId, ownerId),
        eq(metricLeases.holder, holder),
        eq(metricLeases.pending, false),
      ),
    )
    .returning({ ownerId: metricLeases.ownerId });
  if (released.length === 1) return true;
  const renewed = await db.update(metricLeases).set({ pending: false, expiresAt: expiry(ttlMs) })
    .where(and(eq(metricLeases.ownerId, ownerId), eq(metricLeases.holder, holder)))
    .returning({ ownerId: metricLeases.ownerId });
  return renewed.length === 0;
}

/** Extends the holder's lease (a heartbeat during a long evaluation); false when it is no longer its. */
export async function renewMetricLease(
  db: Db,
  ownerId: string,
  holder: string,
  ttlMs: number,
): Promise<boolean> {
  const rows = await db.update(metricLeases).set({ expiresAt: expiry(ttlMs) })
    .where(and(eq(metricLeases.ownerId, ownerId), eq(metricLeases.holder, holder)))
    .returning({ ownerId: metricLeases.ownerId });
  return rows.length === 1;
}

/** Drops the lease whatever is pending (after a failed evaluation: the next request takes it afresh). */
export async function dropMetricLease(db: Db, ownerId: string, holder: string): Promise<void> {
  await db.delete(metricLeases).where(
    and(eq(metricLeases.ownerId, ownerId), eq(metricLeases.holder, holder)),
  );
}
