/**
 * Turning the files of an uploaded TensorFlow.js model into one self-contained bundle: model.json as uploaded
 * plus every weight shard concatenated in manifest order (what tfjs' loaders hand to a model).
 *
 * The upload is hostile until proven otherwise: every weight path in model.json must be a plain relative path
 * that resolves inside the upload (no "..", no absolute path, no URL, no backslash), the weight specs must use
 * known dtypes, and their byte sizes must add up to exactly the bytes of the shards.
 */

import { InvalidInputError, PayloadTooLargeError, UnprocessableError } from "../errors.ts";
import { DEFAULT_UPLOAD_LIMITS, type UploadFiles, type UploadLimits } from "./upload_files.ts";

/** The two kinds of TensorFlow.js model. */
export type ModelFormat = "layers-model" | "graph-model";

/** One weight of a model, as model.json's weightsManifest describes it. */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: "float32" | "int32" | "bool" | "complex64";
  quantization?: { dtype: "uint8" | "uint16" | "float16"; scale?: number; min?: number };
  group?: string;
}

/** A model ready for a tfjs loader: its model.json text and its weight bytes. */
export interface ModelBundle {
  format: ModelFormat;
  /** model.json exactly as uploaded. */
  modelJson: string;
  /** The parsed model.json. */
  manifest: Record<string, unknown>;
  /** Every weight, in the order of the shards' bytes. */
  weightSpecs: WeightSpec[];
  /** Every shard of every manifest group, concatenated in order. */
  weightData: Uint8Array;
}

const VALUE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };
const QUANTIZED_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

function unsafePath(path: string, why: string): never {
  throw new UnprocessableError(
    "model_weight_path_unsafe",
    `model.json weight path '${path}' ${why}; weight paths must be relative paths inside the upload, ` +
      `like 'group1-shard1of1.bin'`,
  );
}

/**
 * The upload path a weight path of model.json names, resolved against model.json's folder `baseDir`.
 * Refuses URLs, absolute paths, backslashes, control characters and any ".." segment (422 naming the path).
 */
export function resolveWeightPath(baseDir: string, path: unknown): string {
  if (typeof path !== "string" || path.length === 0) {
    throw new UnprocessableError(
      "model_weight_path_unsafe",
      "model.json has an empty or non-string weight path",
    );
  }
  const shown = path.length > 200 ? `${path.slice(0, 200)}...` : path;
  if (path.length > 1024) unsafePath(shown, "is over 1024 characters");
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) unsafePath(shown, "contains control characters");
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(path)) unsafePath(shown, "is a URL (weights are never fetched)");
  if (path.startsWith("/")) unsafePath(shown, "is absolute");
  if (path.includes("\\")) unsafePath(shown, "contains a backslash");
  const parts: string[] = [];
  for (const segment of path.split("/")) {
    const lower = segment.toLowerCase();
    // "%2e%2e" is a ".." to a URL resolver; refuse every spelling of it.
    if (segment === ".." || lower === "%2e%2e" || lower === ".%2e" || lower === "%2e.") {
      unsafePath(shown, "leaves its folder ('..')");
    }
    if (segment === "" || segment === ".") continue;
    parts.push(segment);
  }
  if (parts.length === 0) unsafePath(shown, "names no file");
  return baseDir ? `${baseDir}/${parts.join("/")}` : parts.join("/");
}

/** The path of the upload's one model.json (at any depth), or a 422 when there is none or several. */
export function findModelJson(files: UploadFiles): string {
  const found = [...files.keys()].filter((p) => p === "model.json" || p.endsWith("/model.json"));
  if (found.length === 0) {
    throw new UnprocessableError(
      "model_json_missing",
      `the upload has no model.json (files: ${[...files.keys()].slice(0, 10).join(", ") || "none"}); ` +
        "upload the folder tfjs' model.save or tensorflowjs_converter wrote",
    );
  }
  if (found.length > 1) {
    throw new UnprocessableError(
      "model_json_ambiguous",
      `the upload has ${found.length} model.json files (${found.join(", ")}); upload one model at a time`,
    );
  }
  return found[0];
}

/** Parses model.json text into an object, or a 400 naming the problem. */
export function parseModelJson(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new InvalidInputError(
      "model_json_invalid",
      `model.json is not valid JSON (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidInputError("model_json_invalid", "model.json must be a JSON object");
  }
  return value as Record<string, unknown>;
}

/** "layers-model" or "graph-model": model.json's `format`, else guessed from its topology. */
export function modelFormat(manifest: Record<string, unknown>): ModelFormat {
  const format = manifest.format;
  if (format === "layers-model" || format === "graph-model") return format;
  const topology = manifest.modelTopology as Record<string, unknown> | undefined;
  if (typeof topology !== "object" || topology === null) {
    throw new UnprocessableError("model_topology_missing", "model.json has no modelTopology object");
  }
  if (format !== undefined) {
    throw new UnprocessableError(
      "model_format_unknown",
      `model.json format '${String(format)}' is neither 'layers-model' nor 'graph-model'`,
    );
  }
  if (Array.isArray(topology.node)) return "graph-model";
  if ("class_name" in topology || "model_config" in topology) return "layers-model";
  throw new UnprocessableError(
    "model_format_unknown",
    "model.json declares no format and its modelTopology is neither a Keras model nor a TensorFlow graph",
  );
}

function checkedSpec(raw: unknown, where: string): WeightSpec {
  const s = raw as Record<string, unknown>;
  if (typeof s !== "object" || s === null || typeof s.name !== "string" || !Array.isArray(s.shape)) {
    throw new UnprocessableError("model_weight_spec_invalid", `${where} needs a name and a shape`);
  }
  if (!s.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw new UnprocessableError(
      "model_weight_spec_invalid",
      `weight '${s.name}' has shape [${s.shape.join(", ")}]; dimensions must be non-negative integers`,
    );
  }
  if (typeof s.dtype !== "string" || !(s.dtype in VALUE_BYTES)) {
    throw new UnprocessableError(
      "model_weight_dtype_unsupported",
      `weight '${s.name}' has dtype '${String(s.dtype)}'; expected one of ${
        Object.keys(VALUE_BYTES).join(", ")
      }`,
    );
  }
  const q = s.quantization as Record<string, unknown> | undefined;
  if (q !== undefined && (typeof q !== "object" || q === null || !(String(q.dtype) in QUANTIZED_BYTES))) {
    throw new UnprocessableError(
      "model_weight_dtype_unsupported",
      `weight '${s.name}' is quantized to '${String(q?.dtype)}'; expected uint8, uint16 or float16`,
    );
  }
  return s as unknown as WeightSpec;
}

/** Bytes a weight takes in the shards (its quantized size when quantized). */
export function weightByteLength(spec: WeightSpec): number {
  let count = 1;
  for (const d of spec.shape) count *= d;
  const each = spec.quantization ? QUANTIZED_BYTES[spec.quantization.dtype] : VALUE_BYTES[spec.dtype];
  return count * each;
}

/** Weight paths (by group) and specs of model.json's weightsManifest, validated. */
export function weightsManifest(
  manifest: Record<string, unknown>,
): { paths: unknown[]; specs: WeightSpec[] } {
  const groups = manifest.weightsManifest ?? [];
  if (!Array.isArray(groups)) {
    throw new UnprocessableError(
      "model_weights_manifest_invalid",
      "model.json weightsManifest must be a list",
    );
  }
  const paths: unknown[] = [];
  const specs: WeightSpec[] = [];
  groups.forEach((g, i) => {
    const group = g as Record<string, unknown>;
    if (
      typeof group !== "object" || group === null || !Array.isArray(group.paths) ||
      !Array.isArray(group.weights)
    ) {
      throw new UnprocessableError(
        "model_weights_manifest_invalid",
        `model.json weightsManifest[${i}] needs 'paths' and 'weights' lists`,
      );
    }
    paths.push(...group.paths);
    group.weights.forEach((w, j) => specs.push(checkedSpec(w, `weightsManifest[${i}].weights[${j}]`)));
  });
  return { paths, specs };
}

/** Checks that the specs need exactly `available` bytes (and no more than the limit). */
export function checkWeightBytes(specs: WeightSpec[], available: number, maxBytes: number): void {
  let needed = 0;
  for (const s of specs) needed += weightByteLength(s);
  if (needed > maxBytes) {
    throw new PayloadTooLargeError(
      "model_too_large",
      `model.json's weights need ${needed} bytes; at most ${maxBytes} are accepted`,
    );
  }
  if (needed !== available) {
    throw new UnprocessableError(
      "model_weights_size_mismatch",
      `model.json's weight specs need ${needed} bytes but the weight files hold ${available}; ` +
        "upload every shard model.json lists, unmodified",
    );
  }
}

/** The bundle of an upload: finds model.json, resolves its weight paths inside the upload, checks sizes. */
export function modelBundleFromFiles(
  files: UploadFiles,
  limits: UploadLimits = DEFAULT_UPLOAD_LIMITS,
): ModelBundle {
  const jsonPath = findModelJson(files);
  const jsonBytes = files.get(jsonPath)!;
  if (jsonBytes.byteLength > limits.maxModelJsonBytes) {
    throw new PayloadTooLargeError(
      "model_json_too_large",
      `model.json is ${jsonBytes.byteLength} bytes; at most ${limits.maxModelJsonBytes} are accepted`,
    );
  }
  const modelJson = new TextDecoder().decode(jsonBytes);
  const manifest = parseModelJson(modelJson);
  const format = modelFormat(manifest);
  const { paths, specs } = weightsManifest(manifest);
  const baseDir = jsonPath.includes("/") ? jsonPath.slice(0, jsonPath.lastIndexOf("/")) : "";
  const shards = paths.map((p) => {
    const resolved = resolveWeightPath(baseDir, p);
    const bytes = files.get(resolved);
    if (!bytes) {
      throw new UnprocessableError(
        "model_weight_file_missing",
        `model.json lists weight file '${String(p)}' but the upload has no '${resolved}'`,
      );
    }
    return bytes;
  });
  let total = 0;
  for (const s of shards) total += s.byteLength;
  checkWeightBytes(specs, total, limits.maxTotalBytes);
  const weightData = new Uint8Array(total);
  let at = 0;
  for (const s of shards) {
    weightData.set(s, at);
    at += s.byteLength;
  }
  return { format, modelJson, manifest, weightSpecs: specs, weightData };
}

/** Rebuilds a stored bundle (model.json text + concatenated weights), re-checking it as an upload is checked. */
export function modelBundleFromStored(
  modelJson: string,
  weightData: Uint8Array,
  limits: UploadLimits = DEFAULT_UPLOAD_LIMITS,
): ModelBundle {
  const manifest = parseModelJson(modelJson);
  const format = modelFormat(manifest);
  const { specs } = weightsManifest(manifest);
  checkWeightBytes(specs, weightData.byteLength, limits.maxTotalBytes);
  return { format, modelJson, manifest, weightSpecs: specs, weightData };
}
