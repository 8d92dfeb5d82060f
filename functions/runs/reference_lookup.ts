/** The reference a new run names: its id, or its name when exactly one reference of the project has it. */
import type { Context } from "hono";
import { findReference, referenceIdsNamed, type ReferenceRow } from "../../db/store/references.ts";
import { UnprocessableError } from "../../src/errors.ts";
import type { AppEnv } from "../env.ts";
import { findOwnedReference } from "../owned.ts";

/** Ids are tried first (an id is unique); a name must be unique in the project, else a 422 lists the ids. */
export async function referenceByIdOrName(c: Context<AppEnv>, given: string): Promise<ReferenceRow> {
  const byId = await findOwnedReference(c, given);
  if (byId) return byId;
  const ids = await referenceIdsNamed(c.get("deps").db, c.get("principal").projectId, given);
  if (ids.length === 1) return (await findReference(c.get("deps").db, ids[0]))!;
  if (ids.length > 1) {
    throw new UnprocessableError(
      "reference_ambiguous",
      `${ids.length} references are named ${JSON.stringify(given)} (ids ${ids.join(", ")}, newest first): ` +
        "give the id of the one you mean",
    );
  }
  throw new UnprocessableError(
    "reference_not_found",
    `no reference has the id or name ${JSON.stringify(given)} in this project`,
  );
}
