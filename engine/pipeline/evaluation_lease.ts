/**
 * One evaluation of an owner's partial metrics at a time across every process sharing the database.
 *
 * Why: behind a load balancer every process that accepts a run's batch schedules an evaluation, and each
 * would compute the moments of every unfolded batch itself (measured: three servers ingested a 2048-d run
 * slower than one). With the lease, a process that finds another one evaluating asks it for one more pass
 * and returns; the holder passes again before letting go, so a batch accepted anywhere is always evaluated.
 */
import type { Db } from "../../db/database.ts";
import {
  acquireMetricLease,
  dropMetricLease,
  releaseMetricLease,
  renewMetricLease,
  requestMetricEvaluation,
} from "../../db/store/metric_leases.ts";

/**
 * A crashed holder's lease lapses after this; a live holder renews it every third of it while evaluating (an
 * evaluation takes seconds at 2048 dimensions), so a slow pass is never taken over.
 */
export const EVALUATION_LEASE_MS = 10_000;

/**
 * Runs `evaluate` under the owner's lease, again each time another process asked for a pass meanwhile; when
 * another process holds the lease, asks it for one more pass instead. True when this process evaluated.
 */
export async function evaluateExclusively(
  db: Db,
  ownerId: string,
  holder: string,
  evaluate: () => Promise<void>,
  ttlMs = EVALUATION_LEASE_MS,
): Promise<boolean> {
  if (!(await takeOrRequest(db, ownerId, holder, ttlMs))) return false;
  const heartbeat = setInterval(() => {
    renewMetricLease(db, ownerId, holder, ttlMs).catch(() => {}); // a missed beat only risks a duplicate pass
  }, ttlMs / 3);
  try {
    do await evaluate(); while (!(await releaseMetricLease(db, ownerId, holder, ttlMs)));
  } catch (e) {
    await dropMetricLease(db, ownerId, holder).catch(() => {});
    throw e;
  } finally {
    clearInterval(heartbeat);
  }
  return true;
}

/** True when this process took the lease; false when the live holder was asked for another pass. */
async function takeOrRequest(db: Db, ownerId: string, holder: string, ttlMs: number): Promise<boolean> {
  // Each miss means the lease changed hands between the two statements; it cannot do so for long.
  for (let attempt = 0; attempt < 20; attempt++) {
    if (await acquireMetricLease(db, ownerId, holder, ttlMs)) return true;
    if (await requestMetricEvaluation(db, ownerId)) return false;
  }
  return acquireMetricLease(db, ownerId, holder, ttlMs);
}
