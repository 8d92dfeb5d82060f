/** PNG images drawn for a run: stored once per distinct request (the same request returns the same image). */
import { and, desc, eq, ne } from "drizzle-orm";
import type { Db } from "../database.ts";
import { runImages } from "../schema.ts";

/** A stored image without its PNG bytes. */
export interface RunImageSummary {
  id: string;
  runId: string;
  kind: string;
  caption: string;
  params: Record<string, unknown>;
  width: number;
  height: number;
  createdAt: Date;
}

const summaryColumns = {
  id: runImages.id,
  runId: runImages.runId,
  kind: runImages.kind,
  caption: runImages.caption,
  params: runImages.params,
  width: runImages.width,
  height: runImages.height,
  createdAt: runImages.createdAt,
};

/** The run's image drawn for this request key, if any. */
export async function findRunImageByKey(
  db: Db,
  runId: string,
  requestKey: string,
): Promise<RunImageSummary | undefined> {
  const [row] = await db.select(summaryColumns).from(runImages)
    .where(and(eq(runImages.runId, runId), eq(runImages.requestKey, requestKey)));
  return row;
}

/**
 * Stores an image unless the run already has one for its request key (two racing identical requests store
 * one); returns the stored image and whether it was already there.
 */
export async function insertRunImage(db: Db, image: {
  id: string;
  runId: string;
  kind: string;
  caption: string;
  params: Record<string, unknown>;
  requestKey: string;
  width: number;
  height: number;
  png: Uint8Array;
}): Promise<{ image: RunImageSummary; replay: boolean }> {
  const inserted = await db.insert(runImages).values(image).onConflictDoNothing().returning(summaryColumns);
  if (inserted.length > 0) return { image: inserted[0], replay: false };
  return { image: (await findRunImageByKey(db, image.runId, image.requestKey))!, replay: true };
}

/** The run's images, newest first, without their bytes. */
export async function listRunImages(db: Db, runId: string): Promise<RunImageSummary[]> {
  return await db.select(summaryColumns).from(runImages).where(eq(runImages.runId, runId))
    .orderBy(desc(runImages.createdAt), desc(runImages.id));
}

/** One image of the run with its PNG bytes, or undefined. */
export async function findRunImagePng(
  db: Db,
  runId: string,
  id: string,
): Promise<{ png: Uint8Array; createdAt: Date } | undefined> {
  const [row] = await db.select({ png: runImages.png, createdAt: runImages.createdAt }).from(runImages)
    .where(and(eq(runImages.runId, runId), eq(runImages.id, id)));
  return row;
}

/** Deletes the run's images of one kind except `keepId` (the "latest uploads" grid keeps only its newest). */
export async function deleteOtherRunImages(
  db: Db,
  runId: string,
  kind: string,
  keepId: string,
): Promise<void> {
  await db.delete(runImages).where(
    and(eq(runImages.runId, runId), eq(runImages.kind, kind), ne(runImages.id, keepId)),
  );
}
