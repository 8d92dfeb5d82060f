/**
 * Test support: full-size synthetic FID InceptionV3 weights on disk, without the real 91 MiB download.
 * writeSyntheticFolded lays folded weights out as `deno task models:fetch` would (manifest.json + weights.bin);
 * syntheticCheckpoint builds a torch (legacy format) .pth with pytorch-fid's state dict keys and shapes.
 */
import { FID_INCEPTION_LAYOUT, stateDictShapes } from "../models/fid-inception/state_dict_keys.ts";
import { packFolded, writeFolded } from "../models/fid-inception/weights_format.ts";
import { seededRandom } from "./arrays.ts";
import { buildLegacyCheckpoint, storage, type TestValue } from "./torch_checkpoint_writer.ts";
import type { Param } from "./fid_inception_reference.ts";

/** Writes folded weights (network.ts keys; fc.bias is added as zeros when absent) into `dir`. */
export async function writeSyntheticFolded(dir: string, weights: Map<string, Param>): Promise<void> {
  const all = new Map(weights);
  if (!all.has("fc.bias")) all.set("fc.bias", { shape: [1008], data: new Float32Array(1008) });
  const about = { model: "synthetic test weights", source: { file: "synthetic", sha256: "0".repeat(64) } };
  await writeFolded(dir, await packFolded(all, about));
}

/** A full-size pytorch-fid state dict as a legacy .pth, and its values by key (variances and gammas > 0). */
export function syntheticCheckpoint(seed: number): { pth: Uint8Array; values: Map<string, Float32Array> } {
  const r = seededRandom(seed);
  return legacyStateDict((name, n) => {
    const positive = name.endsWith("running_var") || name.endsWith("bn.weight");
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = positive ? 0.2 + 1.8 * r() : 2 * r() - 1;
    return v;
  });
}

/** pytorch-fid's state dict (keys and shapes) as a legacy .pth, each tensor's values from `valuesOf`. */
export function legacyStateDict(
  valuesOf: (name: string, size: number, shape: number[]) => Float32Array,
): { pth: Uint8Array; values: Map<string, Float32Array> } {
  const values = new Map<string, Float32Array>();
  const entries: [string, TestValue][] = [];
  let key = 0;
  for (const [name, shape] of stateDictShapes(FID_INCEPTION_LAYOUT)) {
    const v = valuesOf(name, shape.reduce((a, b) => a * b, 1), shape);
    values.set(name, v);
    const stride = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
    entries.push([name, {
      tensor: { storage: storage(String(key++), "FloatStorage", v), offset: 0, shape, stride },
    }]);
  }
  const pth = buildLegacyCheckpoint({ testDict: entries, state: [["_metadata", { ordered: [] }]] });
  return { pth, values };
}
