/**
 * Reading PyTorch checkpoints (torch.save, zip or legacy format) without Python and without ever running a
 * pickled callable: the object comes back as plain values with tensors materialized in C order, or, for
 * state dicts, as a Map from dotted parameter name to tensor.
 */

import { InvalidInputError, UnprocessableError } from "../../errors.ts";
import { readLegacyCheckpoint } from "./checkpoint_legacy.ts";
import { readZipCheckpoint } from "./checkpoint_zip.ts";
import { materializeTree, TorchTensor } from "./materialize.ts";
import { describePickleValue, type PickleValue, PyDict } from "./pickle_values.ts";

export { TorchTensor } from "./materialize.ts";
export type { TorchDtype, TorchTensorData } from "./torch_dtypes.ts";

/** Limits for reading a checkpoint; defaults suit weight files up to several hundred MB. */
export interface TorchReadOptions {
  /** Total bytes of all materialized tensors (default 1 GiB). */
  maxOutputBytes?: number;
  /** Deepest container nesting accepted (default 64). */
  maxDepth?: number;
}

/** The two torch.save layouts, or "unknown". */
export type TorchCheckpointFormat = "zip" | "legacy" | "unknown";

/** Default cap on the bytes of all tensors a checkpoint may materialize (1 GiB). */
export const DEFAULT_TORCH_MAX_OUTPUT_BYTES = 1 << 30;
/** Default cap on container nesting. */
export const DEFAULT_TORCH_MAX_DEPTH = 64;

/** Tell the zip format (PK\x03\x04) from the legacy one (a pickle: PROTO opcode) by the first bytes. */
export function detectTorchFormat(bytes: Uint8Array): TorchCheckpointFormat {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) {
    return "zip";
  }
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5) return "legacy";
  return "unknown";
}

function isTar(bytes: Uint8Array): boolean {
  return bytes.length >= 262 && new TextDecoder().decode(bytes.subarray(257, 262)) === "ustar";
}

/** Read any torch.save checkpoint; tensors come back as TorchTensor values inside plain Python values. */
export function readTorchCheckpoint(bytes: Uint8Array, opts: TorchReadOptions = {}): PickleValue {
  const maxOutputBytes = opts.maxOutputBytes ?? DEFAULT_TORCH_MAX_OUTPUT_BYTES;
  const maxDepth = opts.maxDepth ?? DEFAULT_TORCH_MAX_DEPTH;
  const format = detectTorchFormat(bytes);
  let value: PickleValue;
  if (format === "zip") {
    value = readZipCheckpoint(bytes, { maxOutputBytes });
  } else if (format === "legacy") {
    value = readLegacyCheckpoint(bytes);
  } else if (isTar(bytes)) {
    throw new UnprocessableError(
      "torch_checkpoint_unsupported",
      "this is torch's tar-based checkpoint format (PyTorch 0.3 and older); re-save it with a recent PyTorch",
    );
  } else {
    throw new InvalidInputError(
      "torch_checkpoint_unknown_format",
      "not a torch checkpoint: expected a zip archive (torch.save, PyTorch >= 1.6) or a legacy pickle stream",
    );
  }
  return materializeTree(value, { maxOutputBytes, maxDepth });
}

function invalidStateDict(message: string): never {
  throw new InvalidInputError("torch_state_dict_invalid", message);
}

/**
 * Read a checkpoint whose object is a state dict (dict or OrderedDict of str -> tensor). Nested dicts are
 * flattened with "." between keys; any other value is refused, naming its key.
 */
export function readTorchStateDict(bytes: Uint8Array, opts: TorchReadOptions = {}): Map<string, TorchTensor> {
  const root = readTorchCheckpoint(bytes, opts);
  if (!(root instanceof PyDict)) {
    invalidStateDict(
      `the checkpoint holds a ${describePickleValue(root)}, expected a state dict (a dict of tensors)`,
    );
  }
  const out = new Map<string, TorchTensor>();
  // materializeTree already bounded the nesting depth, and the stack below only follows dicts.
  const work: { prefix: string; d: PyDict }[] = [{ prefix: "", d: root }];
  const seen = new Set<PyDict>();
  while (work.length > 0) {
    const { prefix, d } = work.pop()!;
    if (seen.has(d)) invalidStateDict(`the state dict reaches the same dict twice (again at '${prefix}')`);
    seen.add(d);
    for (const [k, v] of d.entries) {
      if (typeof k !== "string") invalidStateDict(`the state dict has a non-string key (${String(k)})`);
      const name = prefix + k;
      if (v instanceof TorchTensor) {
        if (out.has(name)) invalidStateDict(`the state dict has two entries named '${name}'`);
        out.set(name, v);
      } else if (v instanceof PyDict) {
        work.push({ prefix: `${name}.`, d: v });
      } else {
        invalidStateDict(`state dict entry '${name}' is a ${describePickleValue(v)}, expected a tensor`);
      }
    }
  }
  return out;
}
