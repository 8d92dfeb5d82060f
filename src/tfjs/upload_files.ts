/**
 * The files of an uploaded TensorFlow.js model (model.json plus weight shards), held in memory by path.
 * A zip's member sizes are checked against the limits from its central directory before anything inflates,
 * so a zip bomb is refused without being expanded. Nothing here touches a filesystem: paths are only keys.
 */

import { InvalidInputError, PayloadTooLargeError } from "../errors.ts";
import { extractZipEntry, listZipEntries } from "../tensors/zip_reader.ts";

/** Upload files by their path inside the upload ("decoder/model.json", "decoder/group1-shard1of1.bin"). */
export type UploadFiles = Map<string, Uint8Array>;

/** Bounds on an uploaded model. */
export interface UploadLimits {
  /** Most files in one upload. */
  maxFiles: number;
  /** Most bytes of all files together (uncompressed). */
  maxTotalBytes: number;
  /** Most bytes of model.json. */
  maxModelJsonBytes: number;
}

/** Defaults: 256 files, 64 MiB in all, 8 MiB of model.json (small VAEs need well under 1 MiB). */
export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {
  maxFiles: 256,
  maxTotalBytes: 64 * 1024 * 1024,
  maxModelJsonBytes: 8 * 1024 * 1024,
};

/** Adds one file to an upload, refusing duplicates and enforcing the count and total-size limits. */
export function addUploadFile(
  files: UploadFiles,
  path: string,
  bytes: Uint8Array,
  limits: UploadLimits = DEFAULT_UPLOAD_LIMITS,
): void {
  if (path.length === 0 || path.length > 1024) {
    throw new InvalidInputError("upload_bad_file_name", `an uploaded file name must be 1 to 1024 characters`);
  }
  if (files.has(path)) {
    throw new InvalidInputError("upload_duplicate_file", `the upload holds two files named '${path}'`);
  }
  if (files.size + 1 > limits.maxFiles) {
    throw new PayloadTooLargeError(
      "model_too_many_files",
      `the upload holds more than ${limits.maxFiles} files; a model needs model.json and its weight shards`,
    );
  }
  let total = bytes.byteLength;
  for (const f of files.values()) total += f.byteLength;
  if (total > limits.maxTotalBytes) {
    throw new PayloadTooLargeError(
      "model_too_large",
      `the model's files are over ${limits.maxTotalBytes} bytes in all; upload a smaller model`,
    );
  }
  files.set(path, bytes);
}

/** The files of a zip archive (directories skipped), refusing it before inflating when it declares too much. */
export function uploadFilesFromZip(
  zip: Uint8Array,
  limits: UploadLimits = DEFAULT_UPLOAD_LIMITS,
): UploadFiles {
  const entries = listZipEntries(zip).filter((e) => !e.name.endsWith("/"));
  if (entries.length > limits.maxFiles) {
    throw new PayloadTooLargeError(
      "model_too_many_files",
      `the zip holds ${entries.length} files; at most ${limits.maxFiles} are accepted`,
    );
  }
  let declared = 0;
  for (const e of entries) declared += e.uncompressedSize;
  if (declared > limits.maxTotalBytes) {
    throw new PayloadTooLargeError(
      "model_too_large",
      `the zip's files declare ${declared} uncompressed bytes; at most ${limits.maxTotalBytes} are accepted`,
    );
  }
  const files: UploadFiles = new Map();
  for (const e of entries) addUploadFile(files, e.name, extractZipEntry(zip, e), limits);
  return files;
}
