/** Loading the run or reference a request names, visible only to its own project (others get a 404). */
import type { Context } from "hono";
import { findReference, type ReferenceRow } from "../db/store/references.ts";
import { findRun, type RunRow } from "../db/store/runs.ts";
import { NotFoundError } from "../src/errors.ts";
import type { AppEnv } from "./env.ts";

/** The run with this id in the caller's project, or a 404 (never revealing other projects' runs). */
export async function requireRun(c: Context<AppEnv>, id: string = c.req.param("id")!): Promise<RunRow> {
  const run = await findRun(c.get("deps").db, id);
  if (!run || run.projectId !== c.get("principal").projectId) {
    throw new NotFoundError("run_not_found", `run ${id} does not exist`);
  }
  return run;
}

/** The reference with this id in the caller's project, or undefined. */
export async function findOwnedReference(c: Context<AppEnv>, id: string): Promise<ReferenceRow | undefined> {
  const ref = await findReference(c.get("deps").db, id);
  return ref && ref.projectId === c.get("principal").projectId ? ref : undefined;
}

/** The reference with this id in the caller's project, or a 404. */
export async function requireReference(
  c: Context<AppEnv>,
  id: string = c.req.param("id")!,
): Promise<ReferenceRow> {
  const ref = await findOwnedReference(c, id);
  if (!ref) throw new NotFoundError("reference_not_found", `reference ${id} does not exist`);
  return ref;
}
