/**
 * torch.save's zip format (PyTorch >= 1.6): `<archive>/data.pkl` is the pickle, each storage is the member
 * `<archive>/data/<key>` (raw elements), `<archive>/byteorder` says "little" or "big" (absent in files from
 * before it existed, which are little-endian). Persistent ids are ('storage', storage_type, key, location,
 * numel). Facts from torch/serialization.py (_save, _load).
 */

import { FidstreamError, InvalidInputError, PayloadTooLargeError, UnprocessableError } from "../../errors.ts";
import { extractZipEntry, listZipEntries, type ZipEntry } from "../zip_reader.ts";
import { unpickle } from "./pickle_machine.ts";
import { describePickleValue, type PickleValue, PyObject, PyTuple } from "./pickle_values.ts";
import { decodeTorchStorage, torchElementSize } from "./torch_dtypes.ts";
import {
  callTorchGlobal,
  findTorchGlobal,
  nonNegativeInt,
  STORAGE_KIND,
  type StorageRef,
  storageTypeDtype,
} from "./torch_objects.ts";

/** Re-throw a zip reader error under the checkpoint's codes, keeping its message. */
function zipError(e: unknown): never {
  if (e instanceof FidstreamError && e.code.startsWith("npz_")) {
    throw new InvalidInputError("torch_checkpoint_corrupt", `torch checkpoint zip: ${e.message}`);
  }
  throw e;
}

function extract(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  try {
    return extractZipEntry(bytes, entry);
  } catch (e) {
    zipError(e);
  }
}

/** Find the single `<archive>/data.pkl` member; its folder is the prefix of every other record. */
function archivePrefix(entries: Map<string, ZipEntry>): string {
  const roots = [...entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (roots.length !== 1) {
    throw new InvalidInputError(
      "torch_checkpoint_corrupt",
      roots.length === 0
        ? "this zip is not a torch.save checkpoint: it has no <archive>/data.pkl member"
        : `this zip holds ${roots.length} torch archives (${roots.join(", ")}); expected one`,
    );
  }
  const prefix = roots[0].slice(0, -"data.pkl".length);
  if (entries.has(`${prefix}constants.pkl`)) {
    throw new UnprocessableError(
      "torch_checkpoint_unsupported",
      "this is a TorchScript archive (torch.jit.save), not a torch.save state dict",
    );
  }
  return prefix;
}

/** Read the pickle of a zip-format checkpoint; tensors stay views (materialize.ts gathers them). */
export function readZipCheckpoint(bytes: Uint8Array, opts: { maxOutputBytes: number }): PickleValue {
  let list: ZipEntry[];
  try {
    list = listZipEntries(bytes);
  } catch (e) {
    zipError(e);
  }
  const entries = new Map<string, ZipEntry>();
  let declared = 0;
  for (const e of list) {
    if (entries.has(e.name)) {
      throw new InvalidInputError("torch_checkpoint_corrupt", `zip member '${e.name}' appears twice`);
    }
    entries.set(e.name, e);
    declared += e.uncompressedSize;
  }
  // Refuse a zip bomb before inflating anything.
  if (declared > Math.max(opts.maxOutputBytes, bytes.length)) {
    throw new PayloadTooLargeError(
      "torch_checkpoint_too_large",
      `the checkpoint's members declare ${declared} bytes; at most ${opts.maxOutputBytes} are accepted`,
    );
  }
  const prefix = archivePrefix(entries);

  let littleEndian = true;
  const order = entries.get(`${prefix}byteorder`);
  if (order) {
    const text = new TextDecoder().decode(extract(bytes, order));
    if (text !== "little" && text !== "big") {
      throw new InvalidInputError(
        "torch_checkpoint_corrupt",
        `byteorder record says '${text}', expected little or big`,
      );
    }
    littleEndian = text === "little";
  }

  const storages = new Map<string, StorageRef>();
  const persistentLoad = (pid: PickleValue): PickleValue => {
    if (!(pid instanceof PyTuple) || pid.items.length !== 5 || pid.items[0] !== "storage") {
      throw new InvalidInputError(
        "torch_checkpoint_corrupt",
        `persistent id is a ${describePickleValue(pid)}, expected ('storage', type, key, location, numel)`,
      );
    }
    const [, type, key, location, count] = pid.items;
    if (typeof key !== "string" || typeof location !== "string") {
      throw new InvalidInputError("torch_checkpoint_corrupt", "storage key and location must be strings");
    }
    const dtype = storageTypeDtype(type, `storage '${key}'`);
    const numel = nonNegativeInt(count, `element count of storage '${key}'`);
    const known = storages.get(key);
    if (known) {
      if (known.dtype !== dtype || known.numel !== numel) {
        throw new InvalidInputError(
          "torch_checkpoint_corrupt",
          `storage '${key}' is declared twice with different types or sizes`,
        );
      }
      return new PyObject(STORAGE_KIND, known);
    }
    const name = `${prefix}data/${key}`;
    const entry = entries.get(name);
    if (!entry) {
      throw new InvalidInputError("torch_checkpoint_corrupt", `storage '${key}' has no zip member '${name}'`);
    }
    const need = numel * torchElementSize(dtype);
    if (entry.uncompressedSize !== need) {
      throw new InvalidInputError(
        "torch_checkpoint_corrupt",
        `storage '${key}' declares ${numel} ${dtype} elements (${need} bytes) but its member holds ` +
          `${entry.uncompressedSize} bytes`,
      );
    }
    const ref: StorageRef = { key, dtype, numel, location };
    ref.data = decodeTorchStorage(extract(bytes, entry), dtype, numel, littleEndian);
    storages.set(key, ref);
    return new PyObject(STORAGE_KIND, ref);
  };

  const pickle = entries.get(`${prefix}data.pkl`)!;
  const pkl = extract(bytes, pickle);
  const { value, end } = unpickle(pkl, 0, {
    findGlobal: findTorchGlobal,
    call: callTorchGlobal,
    persistentLoad,
  });
  if (end !== pkl.length) {
    throw new InvalidInputError(
      "torch_checkpoint_corrupt",
      `data.pkl has ${pkl.length - end} bytes after its STOP`,
    );
  }
  return value;
}
