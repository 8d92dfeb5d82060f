/** Cache of the expensive per-reference Frechet factor, keyed by the reference's sample count. */
import { eq } from "drizzle-orm";
import type { Db } from "../database.ts";
import { referenceFactors } from "../schema.ts";

/** The cached factor bytes when they were computed at exactly n samples. */
export async function loadReferenceFactor(
  db: Db,
  referenceId: string,
  n: number,
): Promise<Uint8Array | undefined> {
  const [row] = await db.select().from(referenceFactors).where(eq(referenceFactors.referenceId, referenceId));
  return row && row.n === n ? row.factor : undefined;
}

/** Stores (replacing) the factor computed at n samples. */
export async function saveReferenceFactor(db: Db, referenceId: string, n: number, factor: Uint8Array) {
  await db.insert(referenceFactors).values({ referenceId, n, factor })
    .onConflictDoUpdate({ target: referenceFactors.referenceId, set: { n, factor, createdAt: new Date() } });
}
