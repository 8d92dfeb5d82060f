/** Looking up an owner's batch by idempotency key (to skip recomputing work that is already stored). */
import { and, eq } from "drizzle-orm";
import type { Db } from "../database.ts";
import { batches } from "../schema.ts";

/** The stored batch of this owner under this key: its seq, body digest and the owner's count after it. */
export async function findBatchByKey(
  db: Db,
  ownerId: string,
  idempotencyKey: string,
): Promise<{ batch: number; bodySha256: string; nAfter: number; n: number } | undefined> {
  const [row] = await db.select({
    batch: batches.seq,
    bodySha256: batches.bodySha256,
    nAfter: batches.nAfter,
    n: batches.n,
  }).from(batches).where(and(eq(batches.ownerId, ownerId), eq(batches.idempotencyKey, idempotencyKey)));
  return row;
}
