/**
 * Reading an uploaded model from a request: a zip body, or multipart/form-data whose file parts are the model's
 * files (each named by its filename). Options (latent_dim, output_shape, ...) come from the query string and from
 * a JSON manifest: a multipart `manifest` part, or a `fidstream.json` file in the upload; the manifest wins
 * where both say.
 */
import type { Context } from "hono";
import { InvalidInputError, UnsupportedMediaTypeError } from "../../src/errors.ts";
import { addUploadFile, type UploadFiles, uploadFilesFromZip } from "../../src/tfjs/upload_files.ts";
import { type ModelOptions, parseModelOptions } from "../../src/vae/model_roles.ts";
import { readBinaryBody } from "../body.ts";
import type { AppEnv } from "../env.ts";

/** Content types of a zipped model. */
export const ZIP_TYPES = ["application/zip", "application/x-zip-compressed", "application/octet-stream"];

/** An uploaded model's files and the options that came with it. */
export interface ModelUpload {
  files: UploadFiles;
  options: ModelOptions;
}

function contentType(c: Context<AppEnv>): string {
  return (c.req.header("content-type") ?? "application/octet-stream").split(";")[0].trim().toLowerCase();
}

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
    let form: Record<string, unknown>;
    try {
      form = await c.req.parseBody({ all: true });
    } catch {
      throw new InvalidInputError("multipart_invalid", "the multipart/form-data body could not be parsed");
    }
    const files: UploadFiles = new Map();
    let manifest: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(form)) {
      for (const part of Array.isArray(value) ? value : [value]) {
        if (part instanceof File) {
          addUploadFile(files, part.name || field, new Uint8Array(await part.arrayBuffer()));
        } else if (field === "manifest") {
          manifest = jsonField(part, "manifest");
        } else {
          throw new InvalidInputError(
            "multipart_unknown_field",
            `multipart field '${field}' is neither a file nor 'manifest'`,
          );
        }
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
