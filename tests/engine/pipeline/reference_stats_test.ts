/**
 * Reference factors on PGlite and PostgreSQL: stored for other processes where persisted (PostgreSQL), kept in
 * memory only on PGlite (writing one costs more than computing it again), the same bytes either way.
 */
import assert from "node:assert/strict";
import { loadReferenceFactor } from "../../../db/store/reference_factors.ts";
import { findReference } from "../../../db/store/references.ts";
import type { Compute } from "../../../engine/pipeline/compute.ts";
import { ReferenceStats } from "../../../engine/pipeline/reference_stats.ts";
import { npyOf, randomFeatures } from "../../../tools/arrays.ts";
import { postJson, postNpy, testEachService, type TestService } from "../../_support/service.ts";

const D = 6;

/** The service's compute, counting the factors it prepares. */
function counting(s: TestService): { compute: Compute; prepared: () => number } {
  let count = 0;
  const real = s.deps.compute;
  const compute: Compute = {
    ...real,
    prepareReference: (mu, sigma) => {
      count++;
      return real.prepareReference(mu, sigma);
    },
  };
  return { compute, prepared: () => count };
}

async function reference(s: TestService) {
  const created = await (await postNpy(s, "/v1/references?name=r", npyOf(randomFeatures(50, D, 1), 50, D)))
    .json();
  return (await findReference(s.deps.db, created.id))!;
}

testEachService("a persisted factor is computed once and found by another process", async (s) => {
  const ref = await reference(s);
  const { compute, prepared } = counting(s);
  const first = await new ReferenceStats(s.deps.db, s.deps.owners, compute, { persistFactors: true }).factor(
    ref,
  );
  assert.equal(prepared(), 1);
  assert.deepEqual(await loadReferenceFactor(s.deps.db, ref.id, 50), first.bytes, "stored at n = 50");
  const other = await new ReferenceStats(s.deps.db, s.deps.owners, compute, { persistFactors: true }).factor(
    ref,
  );
  assert.equal(prepared(), 1, "the other process read it");
  assert.deepEqual(other.bytes, first.bytes);
});

testEachService("an unpersisted factor is never written: each process computes the same bytes", async (s) => {
  const ref = await reference(s);
  const { compute, prepared } = counting(s);
  const first = await new ReferenceStats(s.deps.db, s.deps.owners, compute, { persistFactors: false }).factor(
    ref,
  );
  const again = await new ReferenceStats(s.deps.db, s.deps.owners, compute, { persistFactors: false }).factor(
    ref,
  );
  assert.equal(prepared(), 2);
  assert.deepEqual(again.bytes, first.bytes);
  assert.equal(await loadReferenceFactor(s.deps.db, ref.id, 50), undefined);
});

testEachService(
  "the service persists factors on PostgreSQL and keeps them in memory on PGlite",
  async (s) => {
    const ref = await reference(s);
    const run = await (await postJson(s, "/v1/runs", { name: "g", reference: ref.id })).json();
    await postNpy(s, `/v1/runs/${run.id}/batches`, npyOf(randomFeatures(20, D, 2), 20, D), "a");
    await s.deps.scheduler.idle();
    assert.equal(typeof (await (await s.request(`/v1/runs/${run.id}`)).json()).latest.fid, "number");
    const stored = await loadReferenceFactor(s.deps.db, ref.id, 50);
    assert.equal(stored !== undefined, s.deps.database.kind === "postgres");
  },
);
