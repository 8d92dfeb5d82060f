/**
 * Feature spaces a client declares by name for embeddings it computed itself (networks whose weights this
 * service does not have: DINOv2, CLIP, or anything else): the name fixes the dimension a batch must have, the
 * displayed name of the Frechet distance in that space, and whether CMMD applies. Images are never extracted
 * in a declared space; spaces this service extracts itself (models/runtime/registry.ts) keep their own names.
 *
 * Names are looked up in a Map and `custom:NAME` is matched by a strict pattern, so no name ever reaches an
 * object's prototype ("constructor", "__proto__" are not spaces).
 */

/** What a declared space's name says. */
export interface DeclaredSpace {
  name: string;
  /** The dimension every batch must have; null for `custom:NAME` (any, fixed by the first batch). */
  dim: number | null;
  /** The Frechet distance's displayed name in this space ("FID", "FD_DINOv2", ...). */
  distance: string;
  /** CMMD (Jayasumana et al. 2024) is computed at finalize: a CLIP space. */
  cmmd: boolean;
  /** What the embeddings are, for documentation and error messages. */
  embeddings: string;
}

const KNOWN = new Map<string, DeclaredSpace>(
  [
    {
      name: "inception-2048",
      dim: 2048,
      distance: "FID",
      cmmd: false,
      embeddings: "pytorch-fid's InceptionV3 pool features (2048-d) computed elsewhere",
    },
    {
      name: "dinov2-vitl14",
      dim: 1024,
      distance: "FD_DINOv2",
      cmmd: false,
      embeddings: "DINOv2 ViT-L/14 CLS embeddings (Stein et al., NeurIPS 2023)",
    },
    {
      name: "clip-vitl14-336",
      dim: 768,
      distance: "FD_CLIP",
      cmmd: true,
      embeddings:
        "CLIP ViT-L/14@336 image embeddings normalised to unit length (as cmmd's code computes them)",
    },
  ].map((s) => [s.name, s]),
);

/** `custom:` and 1 to 100 letters, digits and . _ - / + (starting with a letter or digit). */
const CUSTOM = /^custom:[A-Za-z0-9][A-Za-z0-9._\/+-]{0,99}$/;

/** The declared space of this name, or null when the name is no declared space. */
export function declaredSpace(name: string): DeclaredSpace | null {
  const known = KNOWN.get(name);
  if (known) return known;
  if (CUSTOM.test(name)) {
    return {
      name,
      dim: null,
      distance: "FD",
      cmmd: false,
      embeddings: "embeddings of the client's choosing",
    };
  }
  return null;
}

/** The declared spaces, as a list for error messages: "inception-2048 (D = 2048), ..., custom:NAME (any D)". */
export function declaredSpacesText(): string {
  return [...[...KNOWN.values()].map((s) => `${s.name} (D = ${s.dim})`), "custom:NAME (any D)"].join(", ");
}

/** The displayed name of the Frechet distance in a space (declared or not; "FID" where the space names none). */
export function distanceName(space: string | null | undefined): string {
  return (space ? declaredSpace(space)?.distance : undefined) ?? "FID";
}
