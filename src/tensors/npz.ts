/** Reading and writing NumPy .npz archives: a zip of .npy members, stored or deflated. */

import { zipSync } from "fflate";
import { FidstreamError, InvalidInputError, PayloadTooLargeError } from "../errors.ts";
import type { NdArray } from "./ndarray.ts";
import { encodeNpy, parseNpy } from "./npy.ts";
import { extractZipEntry, listZipEntries } from "./zip_reader.ts";

/** Default cap on the total declared uncompressed size of an archive's members (1 GiB). */
export const DEFAULT_MAX_UNCOMPRESSED_BYTES = 1 << 30;

// Zip timestamps are wall-clock fields; a fixed one makes encodeNpz deterministic.
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);

/** Re-throw a member's error with the member's name in front, keeping its class and code. */
function inMember(name: string, e: unknown): never {
  if (e instanceof FidstreamError) {
    const Cls = e.constructor as new (code: string, message: string) => FidstreamError;
    throw new Cls(e.code, `npz member '${name}': ${e.message}`);
  }
  throw e;
}

/** Read the arrays of an .npz (zip, stored or deflated; names without ".npy"). */
export function parseNpz(
  bytes: Uint8Array,
  opts: { maxUncompressedBytes?: number } = {},
): Map<string, NdArray> {
  const max = opts.maxUncompressedBytes ?? DEFAULT_MAX_UNCOMPRESSED_BYTES;
  const entries = listZipEntries(bytes);
  // Check names and declared sizes of every member before inflating any (zip bombs).
  let total = 0;
  const seen = new Set<string>();
  for (const e of entries) {
    if (!e.name.endsWith(".npy") || e.name.length === 4) {
      throw new InvalidInputError("npz_member_not_npy", `npz member '${e.name}' is not a .npy file`);
    }
    if (seen.has(e.name)) {
      throw new InvalidInputError("npz_duplicate_member", `npz member '${e.name}' appears twice`);
    }
    seen.add(e.name);
    total += e.uncompressedSize;
    if (total > max) {
      throw new PayloadTooLargeError(
        "npz_too_large",
        `npz members declare ${total}+ uncompressed bytes; at most ${max} are accepted`,
      );
    }
  }
  const arrays = new Map<string, NdArray>();
  for (const e of entries) {
    const name = e.name.slice(0, -4);
    try {
      arrays.set(name, parseNpy(extractZipEntry(bytes, e)));
    } catch (err) {
      inMember(e.name, err);
    }
  }
  return arrays;
}

/** Total uncompressed size the members of an .npz declare (read from its central directory; nothing inflated). */
export function npzDeclaredBytes(bytes: Uint8Array): number {
  return listZipEntries(bytes).reduce((total, e) => total + e.uncompressedSize, 0);
}

/** Encode arrays as an .npz (deflated when `compress`, as np.savez_compressed; stored otherwise, as np.savez). */
export function encodeNpz(arrays: Record<string, NdArray>, opts: { compress?: boolean } = {}): Uint8Array {
  const files: Record<string, [Uint8Array, { level: 0 | 6; mtime: Date }]> = {};
  for (const [name, a] of Object.entries(arrays)) {
    if (name.length === 0) {
      throw new InvalidInputError("npz_invalid_name", "npz array names must not be empty");
    }
    files[`${name}.npy`] = [encodeNpy(a), { level: opts.compress ? 6 : 0, mtime: FIXED_MTIME }];
  }
  return zipSync(files);
}
