/** Reconstruction / latent uploads of a run: their running sums, accepted exactly once per idempotency key. */
import { and, eq, sql } from "drizzle-orm";
import { ConflictError, NotFoundError } from "../../src/errors.ts";
import type { Db } from "../database.ts";
import { runs, sampleSums } from "../schema.ts";

/** The kinds of per-sample sums a run can collect. */
export type SumsKind = "reconstructions" | "latents";

/** What a client gets back for an upload; a retry with the same key gets the same answer. */
export interface SumsReceipt {
  upload: number;
  n: number;
  replay: boolean;
}

/** Stores one upload's sums; refuses runs that are not streaming; serialized per run by the run's row lock. */
export async function appendSampleSums(db: Db, upload: {
  runId: string;
  kind: SumsKind;
  idempotencyKey: string;
  bodySha256: string;
  n: number;
  sums: Record<string, unknown>;
}): Promise<SumsReceipt> {
  return await db.transaction(async (tx) => {
    const [inserted] = await tx.insert(sampleSums).values({
      runId: upload.runId,
      kind: upload.kind,
      idempotencyKey: upload.idempotencyKey,
      bodySha256: upload.bodySha256,
      n: upload.n,
      nAfter: 0,
      sums: upload.sums,
    }).onConflictDoNothing().returning({ seq: sampleSums.seq });
    if (!inserted) {
      const [prior] = await tx.select().from(sampleSums).where(and(
        eq(sampleSums.runId, upload.runId),
        eq(sampleSums.kind, upload.kind),
        eq(sampleSums.idempotencyKey, upload.idempotencyKey),
      ));
      if (prior.bodySha256 !== upload.bodySha256) {
        throw new ConflictError(
          "idempotency_key_reused",
          `Idempotency-Key "${upload.idempotencyKey}" was already used for different ${upload.kind} on this run; ` +
            "use a new key for new data",
        );
      }
      return { upload: prior.seq, n: prior.nAfter, replay: true };
    }
    const [run] = await tx.select({ status: runs.status }).from(runs).where(eq(runs.id, upload.runId)).for(
      "update",
    );
    if (!run) throw new NotFoundError("run_not_found", `run ${upload.runId} does not exist`);
    if (run.status !== "streaming") {
      throw new ConflictError(
        "run_finalized",
        `run ${upload.runId} is ${run.status}: it accepts no more uploads`,
      );
    }
    const [{ total }] = await tx.select({ total: sql<number>`coalesce(sum(${sampleSums.n}), 0)::bigint` })
      .from(sampleSums).where(and(eq(sampleSums.runId, upload.runId), eq(sampleSums.kind, upload.kind)));
    const nAfter = Number(total);
    await tx.update(sampleSums).set({ nAfter }).where(eq(sampleSums.seq, inserted.seq));
    return { upload: inserted.seq, n: nAfter, replay: false };
  });
}

/** Every stored sums object of one kind for a run, in acceptance order. */
export async function listSampleSums(
  db: Db,
  runId: string,
  kind: SumsKind,
): Promise<Record<string, unknown>[]> {
  const rows = await db.select({ sums: sampleSums.sums }).from(sampleSums)
    .where(and(eq(sampleSums.runId, runId), eq(sampleSums.kind, kind))).orderBy(sampleSums.seq);
  return rows.map((r) => r.sums);
}
