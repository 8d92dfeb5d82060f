/**
 * Reading an uploaded model from a request: a zip body (options in the query string), or multipart/form-data
 * whose file parts are the model's files (each named by its filename) and whose optional `manifest` part is a
 * JSON object of options (query parameters apply too; the manifest wins where both say).
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

/** Parses a JSON object given as a form field. */
export function jsonField(value: unknown, field: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(value));
  } catch {
    throw new InvalidInputError("invalid_json", `the '${field}' part is not valid JSON`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new InvalidInputError("invalid_json", `the '${field}' part must be a JSON object`);
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
    return { files, options: parseModelOptions({ ...query, ...manifest }) };
  }
  if (!ZIP_TYPES.includes(contentType(c))) {
    throw new UnsupportedMediaTypeError(
      "unsupported_content_type",
      `Content-Type ${contentType(c)} is not accepted here; send the model folder as application/zip or ` +
        "its files as multipart/form-data",
    );
  }
  const options = parseModelOptions(query);
  return { files: uploadFilesFromZip(await readBinaryBody(c, ZIP_TYPES)), options };
}
