/**
 * The rules of feature spaces, in one place: which names exist (declared spaces of embeddings computed by the
 * client, and the spaces this service extracts images in), what dimension a declared space fixes, that a run
 * lives in its reference's space, and that images are extracted only where an extractor runs.
 */
import { UnprocessableError } from "../src/errors.ts";
import { type DeclaredSpace, declaredSpace, declaredSpacesText } from "../src/features/declared_spaces.ts";
import { checkOutput, knownSpaces } from "../models/runtime/registry.ts";

/** A feature space: an extractor and one of its outputs ("fid-inception:768"; default output when omitted). */
export interface FeatureSpace {
  extractor: string;
  output?: string;
}

/** Parses "extractor" or "extractor:output", both registered (422 naming what is known otherwise). */
export function parseFeatureSpace(name: string): FeatureSpace {
  const m = /^([a-z0-9][a-z0-9._-]*)(?::([A-Za-z0-9._-]+))?$/.exec(name);
  if (!m) {
    throw new UnprocessableError(
      "bad_feature_space",
      `feature space ${JSON.stringify(name)} is not "extractor" or "extractor:output" (e.g. ` +
        `"fid-inception:2048"); known extractors: ${knownSpaces().join(", ")}`,
    );
  }
  checkOutput(m[1], m[2]); // also checks the extractor (a Map lookup: "constructor" is no space)
  return { extractor: m[1], output: m[2] };
}

/**
 * A reference's named space: declared (embeddings computed elsewhere: its name fixes the dimension and the
 * distance's name) or one this service extracts images in. Unknown names are a 422 naming both kinds.
 */
export type NamedSpace = { declared: DeclaredSpace } | { declared: null; extracted: FeatureSpace };

/** Resolves a space name a client sends (?features=NAME): a declared space first, else a registered extractor. */
export function resolveFeatureSpace(name: string): NamedSpace {
  const declared = declaredSpace(name);
  if (declared) return { declared };
  try {
    return { declared: null, extracted: parseFeatureSpace(name) };
  } catch (e) {
    if (!(e instanceof UnprocessableError)) throw e;
    throw new UnprocessableError(
      e.code,
      `${e.message}; or a space of embeddings computed elsewhere: ${declaredSpacesText()}`,
    );
  }
}

/** The 422 for images sent to a declared space: its embeddings come from the client, images from nowhere. */
export function imagesInDeclaredSpace(space: DeclaredSpace): UnprocessableError {
  return new UnprocessableError(
    "images_in_declared_space",
    `feature space ${space.name} holds ${space.embeddings}, computed by the client: upload those ` +
      `embeddings as an N x D .npy; images are extracted only in the spaces this service runs: ` +
      knownSpaces().join(", "),
  );
}

/**
 * The space a run's images are extracted in: its reference's, or (for a reference that names none) the one the
 * request names; a declared space has no extractor (422 either way).
 */
export function extractionSpace(referenceSpace: string | null, asked: string | undefined): string {
  // A reference of features computed elsewhere names no space: the request says which one to extract in.
  if (referenceSpace !== null) requireReferenceSpace(referenceSpace, asked);
  const space = referenceSpace ?? asked;
  if (!space) {
    throw new UnprocessableError(
      "no_feature_space",
      "the run's reference names no feature space (its features were computed elsewhere); pass " +
        '"features": the space they were computed in, e.g. "mnist-lenet"',
    );
  }
  const resolved = resolveFeatureSpace(space);
  if (resolved.declared) throw imagesInDeclaredSpace(resolved.declared);
  return space;
}

/** A request that names a space (`asked`) names its reference's: FID across feature spaces is meaningless. */
export function requireReferenceSpace(referenceSpace: string | null, asked: unknown): void {
  if (asked === undefined || asked === referenceSpace) return;
  throw new UnprocessableError(
    "feature_space_mismatch",
    `the reference lives in feature space ${JSON.stringify(referenceSpace)}, not ${
      JSON.stringify(asked)
    }: FID ` +
      "across feature spaces is meaningless",
  );
}

/** Rows of D columns fit the space: a declared space fixes D (422 naming the space otherwise). */
export function requireSpaceDim(space: string | null, dim: number, what = "features"): void {
  const declared = space ? declaredSpace(space) : null;
  if (declared?.dim && dim !== declared.dim) {
    throw new UnprocessableError(
      "feature_dim_mismatch",
      `${what} have D = ${dim}${what === "features" ? " columns" : ""}, but feature space ${declared.name} ` +
        `(${declared.embeddings}) has D = ${declared.dim}`,
    );
  }
}

/** Rows of D columns fit their owner (run or reference) of dimension `ownerDim`, in `space`. */
export function requireOwnerDim(dim: number, ownerDim: number, space: string | null): void {
  if (dim !== ownerDim) {
    throw new UnprocessableError(
      "feature_dim_mismatch",
      `features have D = ${dim} columns; expected D = ${ownerDim}` +
        (space ? ` (feature space ${space})` : "") + ": is this the same feature space as the reference?",
    );
  }
}
