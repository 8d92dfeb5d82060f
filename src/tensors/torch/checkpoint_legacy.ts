/**
 * torch.save's legacy format (before PyTorch 1.6, or `_use_new_zipfile_serialization=False`): five pickles
 * back to back -- the magic number 0x1950a86a20f9469cfc6c, the protocol version 1001, a sys_info dict
 * (little_endian, type sizes), the object itself, the sorted list of storage keys -- then each storage in
 * that order as an int64 element count followed by its raw elements. Persistent ids are
 * ('storage', storage_type, root_key, location, numel, view_metadata) with view_metadata None or
 * (view_key, offset, view_size). Facts from torch/serialization.py (_legacy_save, _legacy_load).
 */

import { InvalidInputError, UnprocessableError } from "../../errors.ts";
import { unpickle } from "./pickle_machine.ts";
import { describePickleValue, type PickleValue, PyDict, PyList, PyObject, PyTuple } from "./pickle_values.ts";
import { decodeTorchStorage, torchElementSize } from "./torch_dtypes.ts";
import {
  callTorchGlobal,
  findTorchGlobal,
  nonNegativeInt,
  STORAGE_KIND,
  type StorageRef,
  storageTypeDtype,
} from "./torch_objects.ts";

/** The first pickle of every legacy checkpoint. */
export const TORCH_LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
/** The second pickle: torch's serialization protocol version. */
export const TORCH_LEGACY_PROTOCOL = 1001;

// The three header pickles hold only plain data: no global may appear there.
const PLAIN_DATA_ONLY = {
  findGlobal(module: string, name: string): PickleValue {
    throw new InvalidInputError(
      "torch_pickle_forbidden_global",
      `the checkpoint header refers to the Python global "${module}.${name}"; headers hold plain data only`,
    );
  },
  call(): PickleValue {
    throw new InvalidInputError("torch_checkpoint_corrupt", "the checkpoint header calls a function");
  },
  persistentLoad(): PickleValue {
    throw new InvalidInputError("torch_checkpoint_corrupt", "the checkpoint header refers to a storage");
  },
};

function bad(message: string): never {
  throw new InvalidInputError("torch_checkpoint_corrupt", `legacy torch checkpoint: ${message}`);
}

/** Read a legacy-format checkpoint's object; tensors stay views (materialize.ts gathers them). */
export function readLegacyCheckpoint(bytes: Uint8Array): PickleValue {
  const magic = unpickle(bytes, 0, PLAIN_DATA_ONLY);
  if (magic.value !== TORCH_LEGACY_MAGIC) {
    throw new InvalidInputError(
      "torch_checkpoint_unknown_format",
      "not a torch checkpoint: the file starts with a pickle but not torch's magic number",
    );
  }
  const proto = unpickle(bytes, magic.end, PLAIN_DATA_ONLY);
  if (proto.value !== TORCH_LEGACY_PROTOCOL) {
    throw new UnprocessableError(
      "torch_checkpoint_unsupported",
      `legacy torch checkpoint of protocol version ${
        String(proto.value)
      }; only ${TORCH_LEGACY_PROTOCOL} is supported`,
    );
  }
  const sysInfo = unpickle(bytes, proto.end, PLAIN_DATA_ONLY);
  if (!(sysInfo.value instanceof PyDict)) bad("sys_info is not a dict");
  const little = sysInfo.value.entries.get("little_endian");
  if (little !== undefined && typeof little !== "boolean") bad("sys_info.little_endian is not a bool");
  const littleEndian = little !== false;

  const roots = new Map<string, StorageRef>();
  const views = new Map<string, StorageRef>();
  const persistentLoad = (pid: PickleValue): PickleValue => {
    if (!(pid instanceof PyTuple) || pid.items.length === 0) {
      bad(`persistent id is a ${describePickleValue(pid)}, expected a tuple`);
    }
    if (pid.items[0] === "module") {
      throw new UnprocessableError(
        "torch_checkpoint_unsupported",
        "the checkpoint pickles a whole nn.Module (torch.save(model)); save and load model.state_dict() instead",
      );
    }
    if (pid.items[0] !== "storage" || pid.items.length !== 6) {
      bad("persistent id is not ('storage', type, root_key, location, numel, view_metadata)");
    }
    const [, type, key, location, count, viewMeta] = pid.items;
    if (typeof key !== "string" || typeof location !== "string") {
      bad("storage key and location must be strings");
    }
    const dtype = storageTypeDtype(type, `storage '${key}'`);
    const numel = nonNegativeInt(count, `element count of storage '${key}'`);
    let root = roots.get(key);
    if (!root) {
      root = { key, dtype, numel, location };
      roots.set(key, root);
    } else if (root.dtype !== dtype) {
      bad(`storage '${key}' is used as both ${root.dtype} and ${dtype}`);
    }
    if (viewMeta === null) return new PyObject(STORAGE_KIND, root);
    if (
      !(viewMeta instanceof PyTuple) || viewMeta.items.length !== 3 || typeof viewMeta.items[0] !== "string"
    ) {
      bad(`view metadata of storage '${key}' is not (view_key, offset, size)`);
    }
    const viewKey = viewMeta.items[0];
    let view = views.get(viewKey);
    if (!view) {
      const offset = nonNegativeInt(viewMeta.items[1], `offset of storage view '${viewKey}'`);
      const size = nonNegativeInt(viewMeta.items[2], `size of storage view '${viewKey}'`);
      if (offset + size > root.numel) {
        bad(
          `storage view '${viewKey}' (${size} elements at ${offset}) exceeds storage '${key}' of ${root.numel}`,
        );
      }
      view = { key: viewKey, dtype, numel: size, location, view: { root, offset } };
      views.set(viewKey, view);
    }
    return new PyObject(STORAGE_KIND, view);
  };

  const main = unpickle(bytes, sysInfo.end, {
    findGlobal: findTorchGlobal,
    call: callTorchGlobal,
    persistentLoad,
  });
  const keys = unpickle(bytes, main.end, PLAIN_DATA_ONLY);
  if (!(keys.value instanceof PyList)) bad("the storage key list is not a list");

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = keys.end;
  for (const k of keys.value.items) {
    if (typeof k !== "string") bad("a storage key is not a string");
    const root = roots.get(k);
    if (!root) bad(`the key list names storage '${k}', which no tensor uses`);
    if (root.data) bad(`the key list names storage '${k}' twice`);
    if (at + 8 > bytes.length) bad(`storage '${k}' is missing (file truncated at byte ${bytes.length})`);
    const count = view.getBigInt64(at, littleEndian);
    if (count !== BigInt(root.numel)) {
      bad(`storage '${k}' holds ${count} elements but the pickle declared ${root.numel}`);
    }
    at += 8;
    const n = root.numel * torchElementSize(root.dtype);
    if (at + n > bytes.length) {
      bad(`storage '${k}' needs ${n} bytes at byte ${at}, but the file ends at ${bytes.length} (truncated?)`);
    }
    root.data = decodeTorchStorage(bytes.subarray(at, at + n), root.dtype, root.numel, littleEndian);
    at += n;
  }
  return main.value;
}
