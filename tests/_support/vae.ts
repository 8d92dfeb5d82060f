/** Test helpers for the VAE routes: the committed MNIST VAE's files, zipping, dead-dimension surgery, PNG reading. */
import { zipSync } from "fflate";
import { decode } from "fast-png";
import type { TestService } from "./service.ts";

const WEIGHTS = new URL("../../models/mnist-vae/weights/", import.meta.url);

/** model.json and weights.bin of the committed decoder or encoder. */
export function committedModel(role: "decoder" | "encoder"): Map<string, Uint8Array> {
  return new Map(
    ["model.json", "weights.bin"].map((f) => [f, Deno.readFileSync(new URL(`${role}/${f}`, WEIGHTS))]),
  );
}

/** A zip of files (optionally under a folder), stored uncompressed. */
export function zipOf(files: Map<string, Uint8Array>, folder = ""): Uint8Array {
  const entries: Record<string, Uint8Array> = {};
  for (const [name, bytes] of files) entries[folder + name] = bytes;
  return zipSync(entries, { level: 0, mtime: new Date(1980, 0, 1) });
}

/** POSTs a zipped model to the run's decoder or encoder slot. */
export function uploadModel(
  s: TestService,
  runId: string,
  role: "decoder" | "encoder",
  zip: Uint8Array,
  query = "",
): Promise<Response> {
  return s.request(`/v1/runs/${runId}/models/${role}${query}`, {
    method: "POST",
    body: zip as BodyInit,
    headers: { "content-type": "application/zip" },
  });
}

/**
 * A copy of the decoder whose first Dense kernel row `k` is zero: latent coordinate k then never reaches the
 * output. Done on the raw bytes (the first weight in the manifest is that kernel, latentDim x hidden).
 */
export function withDeadDimension(files: Map<string, Uint8Array>, k: number): Map<string, Uint8Array> {
  const json = JSON.parse(new TextDecoder().decode(files.get("model.json")!));
  const first = json.weightsManifest[0].weights[0];
  if (!/kernel/.test(first.name) || first.shape.length !== 2) {
    throw new Error(`unexpected first weight ${first.name}`);
  }
  const [, hidden] = first.shape;
  const bin = files.get("weights.bin")!.slice();
  bin.fill(0, k * hidden * 4, (k + 1) * hidden * 4);
  return new Map([["model.json", files.get("model.json")!], ["weights.bin", bin]]);
}

/** A decoded PNG: width, height, channels and its 8-bit samples. */
export function readPng(
  bytes: Uint8Array,
): { width: number; height: number; channels: number; data: Uint8Array } {
  const png = decode(bytes);
  return { width: png.width, height: png.height, channels: png.channels, data: png.data as Uint8Array };
}

/** The pixels of tile (row, col) of a grid of side x side tiles with `pad` pixels around and between them. */
export function tile(
  png: { width: number; data: Uint8Array; channels: number },
  row: number,
  col: number,
  side = 28,
  pad = 2,
): Float64Array {
  const c = png.channels;
  const out = new Float64Array(side * side * c);
  const top = pad + row * (side + pad), left = pad + col * (side + pad);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side * c; x++) {
      out[y * side * c + x] = png.data[((top + y) * png.width + left) * c + x];
    }
  }
  return out;
}

/** Euclidean distance between two equal-length vectors. */
export function l2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}
