/**
 * The committed weights of mnist-lenet: weights/lenet.bin holds every parameter as little-endian float32,
 * back to back in PARAMETER_SHAPES order; weights/manifest.json names each tensor's shape and byte offset
 * and records how the weights were trained (seed, epochs, held-out accuracy).
 */
import { FidstreamError } from "../../src/errors.ts";
import { PARAMETER_SHAPES } from "./network.ts";

/** One stored tensor. */
export interface StoredTensor {
  shape: number[];
  data: Float32Array;
}

/** weights/manifest.json. */
export interface WeightsManifest {
  format: "fidstream-float32-le-v1";
  file: string;
  bytes: number;
  tensors: { name: string; shape: number[]; offset: number }[];
  training: Record<string, unknown>;
}

/** Folder of the committed weights. */
export const WEIGHTS_DIR = new URL("./weights/", import.meta.url);

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** The manifest and the .bin bytes for the given tensors (all of PARAMETER_SHAPES, in its order). */
export function encodeWeights(
  tensors: Record<string, StoredTensor>,
  training: Record<string, unknown>,
): { manifest: WeightsManifest; bin: Uint8Array } {
  const entries: WeightsManifest["tensors"] = [];
  let offset = 0;
  for (const [name, shape] of Object.entries(PARAMETER_SHAPES)) {
    const t = tensors[name];
    if (!t || t.shape.join() !== shape.join() || t.data.length !== size(shape)) {
      throw new FidstreamError("model_weights_invalid", `tensor ${name} must have shape [${shape}]`);
    }
    entries.push({ name, shape, offset });
    offset += t.data.length * 4;
  }
  const bin = new Uint8Array(offset);
  const view = new DataView(bin.buffer);
  for (const e of entries) {
    tensors[e.name].data.forEach((v, i) => view.setFloat32(e.offset + 4 * i, v, true));
  }
  return {
    manifest: {
      format: "fidstream-float32-le-v1",
      file: "lenet.bin",
      bytes: offset,
      tensors: entries,
      training,
    },
    bin,
  };
}

/** The tensors a manifest and its .bin hold; throws when they disagree with each other or the network. */
export function decodeWeights(manifest: WeightsManifest, bin: Uint8Array): Record<string, StoredTensor> {
  if (manifest.format !== "fidstream-float32-le-v1" || bin.length !== manifest.bytes) {
    throw new FidstreamError(
      "model_weights_invalid",
      `weights file is ${bin.length} bytes, the manifest (${manifest.format}) says ${manifest.bytes}`,
    );
  }
  const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  const out: Record<string, StoredTensor> = {};
  for (const [name, shape] of Object.entries(PARAMETER_SHAPES)) {
    const e = manifest.tensors.find((t) => t.name === name);
    if (!e || e.shape.join() !== shape.join() || e.offset + size(shape) * 4 > bin.length) {
      throw new FidstreamError(
        "model_weights_invalid",
        `weights manifest lacks tensor ${name} of shape [${shape}]`,
      );
    }
    const data = new Float32Array(size(shape));
    for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(e.offset + 4 * i, true);
    out[name] = { shape, data };
  }
  return out;
}

/** Reads weights/manifest.json and weights/lenet.bin. */
export async function readCommittedWeights(): Promise<
  { manifest: WeightsManifest; tensors: Record<string, StoredTensor> }
> {
  const manifest = JSON.parse(
    await Deno.readTextFile(new URL("manifest.json", WEIGHTS_DIR)),
  ) as WeightsManifest;
  const bin = await Deno.readFile(new URL(manifest.file, WEIGHTS_DIR));
  return { manifest, tensors: decodeWeights(manifest, bin) };
}
