/**
 * Reading an uploaded model from a request: a zip body, or multipart/form-data whose file parts are the model's
 * files (each named by its filename). Options (latent_dim, output_shape, ...) come from the query string and from
 * a JSON manifest: a multipart `manifest` part, or a `fidstream.json` file in the upload; the manifest wins
 * where both say.
 */
import type { Context } from "hono";
import { InvalidInputError, UnprocessableError, UnsupportedMediaTypeError } from "../../src/errors.ts";
import { jsonNestingDepth } from "../../src/json/nesting_depth.ts";
import {
  addUploadFile,
  DEFAULT_UPLOAD_LIMITS,
  type UploadFiles,
  uploadFilesFromZip,
} from "../../src/tfjs/upload_files.ts";
import { type ModelOptions, parseModelOptions } from "../../src/vae/model_roles.ts";
import { MAX_JSON_DEPTH, readBinaryBody, readMultipartBody, requestContentType } from "../body.ts";
import type { AppEnv } from "../env.ts";

/** Content types of a zipped model. */
export const ZIP_TYPES = ["application/zip", "application/x-zip-compressed", "application/octet-stream"];

/** An uploaded model's files and the options that came with it. */
export interface ModelUpload {
  files: UploadFiles;
  options: ModelOptions;
}

const contentType = requestContentType;

/** Parts a multipart model upload may have: its files (at most the upload limit) and a manifest. */
const MAX_UPLOAD_FILES = DEFAULT_UPLOAD_LIMITS.maxFiles;

/** Name of the optional manifest file inside an upload. */
export const MANIFEST_FILE = "fidstream.json";

/** Removes the upload's fidstream.json (at any depth, at most one) and returns its options object. */
export function takeManifestFile(files: UploadFiles): Record<string, unknown> {
  const found = [...files.keys()].filter((p) => p === MANIFEST_FILE || p.endsWith(`/${MANIFEST_FILE}`));
  if (found.length > 1) {
    throw new InvalidInputError(
      "manifest_ambiguous",
      `the upload has ${found.length} ${MANIFEST_FILE} files`,
    );
  }
  if (found.length === 0) return {};
  const text = new TextDecoder().decode(files.get(found[0]));
  files.delete(found[0]);
  return jsonField(text, found[0]);
}

/** Parses a JSON object given as a form field. */
export function jsonField(value: unknown, field: string): Record<string, unknown> {
  if (jsonNestingDepth(String(value), MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw new UnprocessableError(
      "json_too_deep",
      `'${field}' nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep; flatten it`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(value));
  } catch {
    throw new InvalidInputError("invalid_json", `'${field}' is not valid JSON`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new InvalidInputError("invalid_json", `'${field}' must be a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/** Reads the model's files and options from the request (zip or multipart). */
export async function readModelUpload(c: Context<AppEnv>): Promise<ModelUpload> {
  const query = c.req.query();
  if (contentType(c) === "multipart/form-data") {
    const parts = await readMultipartBody(c, { maxParts: MAX_UPLOAD_FILES + 1 });
    const files: UploadFiles = new Map();
    let manifest: Record<string, unknown> = {};
    for (const part of parts) {
      if (part.filename !== undefined) {
        addUploadFile(files, part.filename || part.name, part.bytes);
      } else if (part.name === "manifest") {
        manifest = jsonField(new TextDecoder().decode(part.bytes), "manifest");
      } else {
        throw new InvalidInputError(
          "multipart_unknown_field",
          `multipart field '${part.name}' is neither a file nor 'manifest'`,
        );
      }
    }
    if (files.size === 0) throw new InvalidInputError("empty_body", "the multipart body holds no files");
    const fromFile = takeManifestFile(files);
    return { files, options: parseModelOptions({ ...query, ...fromFile, ...manifest }) };
  }
  if (!ZIP_TYPES.includes(contentType(c))) {
    throw new UnsupportedMediaTypeError(
      "unsupported_content_type",
      `Content-Type ${contentType(c)} is not accepted here; send the model folder as application/zip or ` +
        "its files as multipart/form-data",
    );
  }
  const files = uploadFilesFromZip(await readBinaryBody(c, ZIP_TYPES));
  return { files, options: parseModelOptions({ ...query, ...takeManifestFile(files) }) };
}
