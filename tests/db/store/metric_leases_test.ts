import assert from "node:assert/strict";
import { eq } from "drizzle-orm";
import { metricLeases } from "../../../db/schema.ts";
import {
  acquireMetricLease,
  dropMetricLease,
  releaseMetricLease,
  renewMetricLease,
  requestMetricEvaluation,
} from "../../../db/store/metric_leases.ts";
import { testEachDatabase } from "../../_support/databases.ts";

const MINUTE = 60_000;

testEachDatabase(
  "one holder at a time; a request makes the holder pass again before the lease is free",
  async ({ db }) => {
    assert.equal(await requestMetricEvaluation(db, "run"), false, "no lease yet: nothing to ask");
    assert.equal(await acquireMetricLease(db, "run", "a", MINUTE), true);
    assert.equal(await acquireMetricLease(db, "run", "b", MINUTE), false, "a live lease is not taken");
    assert.equal(await acquireMetricLease(db, "other", "b", MINUTE), true, "leases are per owner");
    assert.equal(await requestMetricEvaluation(db, "run"), true);
    assert.equal(await releaseMetricLease(db, "run", "a", MINUTE), false, "asked for more: evaluate again");
    const [row] = await db.select().from(metricLeases).where(eq(metricLeases.ownerId, "run"));
    assert.deepEqual([row.holder, row.pending], ["a", false], "still a's, request consumed");
    assert.equal(await releaseMetricLease(db, "run", "a", MINUTE), true);
    assert.equal(await acquireMetricLease(db, "run", "b", MINUTE), true, "free again after the release");
    // Releasing a lease that is someone else's changes nothing and reports it as gone.
    assert.equal(await releaseMetricLease(db, "run", "a", MINUTE), true);
    const [still] = await db.select().from(metricLeases).where(eq(metricLeases.ownerId, "run"));
    assert.equal(still.holder, "b");
  },
);

testEachDatabase("an expired lease is taken over and cannot be asked for more", async ({ db }) => {
  assert.equal(await acquireMetricLease(db, "run", "crashed", 1), true);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(await requestMetricEvaluation(db, "run"), false, "an expired holder is not asked");
  assert.equal(await acquireMetricLease(db, "run", "b", MINUTE), true, "taken over");
  const [row] = await db.select().from(metricLeases).where(eq(metricLeases.ownerId, "run"));
  assert.deepEqual([row.holder, row.pending], ["b", false]);
  // The old holder's late release must not free the new holder's lease.
  assert.equal(await releaseMetricLease(db, "run", "crashed", MINUTE), true);
  assert.equal(await acquireMetricLease(db, "run", "c", MINUTE), false);
  await dropMetricLease(db, "run", "b");
  assert.equal(await acquireMetricLease(db, "run", "c", MINUTE), true, "dropped even with nothing pending");
});

testEachDatabase(
  "a holder retakes its own leftover lease and renews it; others cannot renew it",
  async ({ db }) => {
    assert.equal(await acquireMetricLease(db, "run", "a", MINUTE), true);
    // Its release failed (say the database was down): the same process takes it again at once.
    assert.equal(await acquireMetricLease(db, "run", "a", MINUTE), true);
    assert.equal(await renewMetricLease(db, "run", "a", 1), true);
    assert.equal(await renewMetricLease(db, "run", "b", MINUTE), false);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(await acquireMetricLease(db, "run", "b", MINUTE), true, "a lapsed renewal frees it");
    assert.equal(await renewMetricLease(db, "run", "a", MINUTE), false, "no longer a's");
  },
);
