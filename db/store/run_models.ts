/** A run's uploaded decoder and encoder: one row per role, replaced by a new upload of that role. */
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../database.ts";
import { runModels } from "../schema.ts";

/** The two halves of a VAE a run can hold. */
export type ModelRole = "decoder" | "encoder";

/** A stored model without its bytes. */
export interface RunModelSummary {
  runId: string;
  role: ModelRole;
  format: string;
  sha256: string;
  info: Record<string, unknown>;
  bytes: number;
  createdAt: Date;
  updatedAt: Date;
}

/** A stored model with its bytes. */
export interface RunModelRow extends RunModelSummary {
  modelJson: string;
  weights: Uint8Array;
}

/** Stores (or replaces) the run's model of this role. */
export async function upsertRunModel(db: Db, model: {
  runId: string;
  role: ModelRole;
  format: string;
  modelJson: string;
  weights: Uint8Array;
  sha256: string;
  info: Record<string, unknown>;
}): Promise<void> {
  await db.insert(runModels).values(model).onConflictDoUpdate({
    target: [runModels.runId, runModels.role],
    set: {
      format: model.format,
      modelJson: model.modelJson,
      weights: model.weights,
      sha256: model.sha256,
      info: model.info,
      updatedAt: new Date(),
    },
  });
}

/** The run's model of this role with its bytes, or undefined. */
export async function findRunModel(db: Db, runId: string, role: ModelRole): Promise<RunModelRow | undefined> {
  const [row] = await db.select().from(runModels).where(
    and(eq(runModels.runId, runId), eq(runModels.role, role)),
  );
  if (!row) return undefined;
  return {
    ...row,
    role: row.role as ModelRole,
    bytes: row.modelJson.length + row.weights.byteLength,
  };
}

/** The run's models, without their bytes. */
export async function listRunModels(db: Db, runId: string): Promise<RunModelSummary[]> {
  const rows = await db.select({
    runId: runModels.runId,
    role: runModels.role,
    format: runModels.format,
    sha256: runModels.sha256,
    info: runModels.info,
    bytes: sql<number>`(octet_length(${runModels.modelJson}) + octet_length(${runModels.weights}))::int`,
    createdAt: runModels.createdAt,
    updatedAt: runModels.updatedAt,
  }).from(runModels).where(eq(runModels.runId, runId)).orderBy(runModels.role);
  return rows.map((r) => ({ ...r, role: r.role as ModelRole }));
}
