/** The size an uploaded .npz says it inflates to, refused (413) past what one upload may hold. */
import { PayloadTooLargeError } from "../../src/errors.ts";
import { npzDeclaredBytes } from "../../src/tensors/npz.ts";

/** The uncompressed bytes the .npz's members declare; a 413 when they exceed `max` (a zip bomb declares gigabytes). */
export function npzSizeWithin(npz: Uint8Array, max: number): number {
  const declared = npzDeclaredBytes(npz);
  if (declared > max) {
    throw new PayloadTooLargeError(
      "npz_too_large",
      `npz members declare ${declared} uncompressed bytes; at most ${max} are accepted`,
    );
  }
  return declared;
}
