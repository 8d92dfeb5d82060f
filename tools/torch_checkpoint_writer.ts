/**
 * Builds torch.save checkpoints for tests in both layouts, from the format facts in torch/serialization.py:
 * - zip: archive/data.pkl + archive/data/<key> (raw elements) + archive/byteorder + archive/version; the
 *   persistent id of a storage is ('storage', torch.<Type>Storage, key, location, numel).
 * - legacy: pickles of the magic number, 1001, sys_info, the object, the sorted storage keys; then per key an
 *   int64 element count and the raw elements. Persistent id: ('storage', type, key, location, numel, None).
 * Tensors are written as torch does: _rebuild_tensor_v2(storage, offset, size, stride, requires_grad,
 * OrderedDict()).
 */

import { buildZip } from "./zip_builder.ts";
import { Bytes, type PyNode, writePickle } from "./pickle_writer.ts";

/** Storage classes and their element sizes (bytes on disk). */
export const STORAGE_ELEMENT_SIZE: Record<string, number> = {
  FloatStorage: 4,
  DoubleStorage: 8,
  HalfStorage: 2,
  BFloat16Storage: 2,
  LongStorage: 8,
  IntStorage: 4,
  ShortStorage: 2,
  CharStorage: 1,
  ByteStorage: 1,
  BoolStorage: 1,
};

/** One storage: its class, key and raw little-endian bytes (`numel` may lie on purpose). */
export interface TestStorage {
  key: string;
  cls: string;
  bytes: Uint8Array;
  numel?: number;
  location?: string;
}

/** A tensor view into a storage (element counts). */
export interface TestTensor {
  tensor: { storage: TestStorage; offset: number; shape: number[]; stride: number[]; parameter?: boolean };
}

/** What a checkpoint holds: Python values with tensors inside. */
export type TestValue =
  | PyNode
  | TestTensor
  | { testDict: [string, TestValue][]; ordered?: boolean; state?: [string, PyNode][] }
  | { testList: TestValue[] };

/** Raw bytes (little-endian unless told) of numbers in a storage class. */
export function storageBytes(
  cls: string,
  values: ArrayLike<number | bigint>,
  littleEndian = true,
): Uint8Array {
  const size = STORAGE_ELEMENT_SIZE[cls];
  const b = new Uint8Array(values.length * size);
  const v = new DataView(b.buffer);
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    switch (cls) {
      case "FloatStorage":
        v.setFloat32(4 * i, Number(x), littleEndian);
        break;
      case "DoubleStorage":
        v.setFloat64(8 * i, Number(x), littleEndian);
        break;
      case "LongStorage":
        v.setBigInt64(8 * i, BigInt(x), littleEndian);
        break;
      case "IntStorage":
        v.setInt32(4 * i, Number(x), littleEndian);
        break;
      case "ShortStorage":
      case "HalfStorage":
      case "BFloat16Storage":
        v.setUint16(2 * i, Number(x) & 0xffff, littleEndian);
        break;
      default:
        v.setUint8(i, Number(x) & 0xff);
    }
  }
  return b;
}

/** A storage holding `values` (half/bfloat16/short classes take raw 16-bit patterns). */
export function storage(
  key: string,
  cls: string,
  values: ArrayLike<number | bigint>,
  littleEndian = true,
): TestStorage {
  return { key, cls, bytes: storageBytes(cls, values, littleEndian) };
}

function numelOf(s: TestStorage): number {
  return s.numel ?? s.bytes.length / STORAGE_ELEMENT_SIZE[s.cls];
}

/**
 * Convert a TestValue to pickle nodes, collecting the storages the tensors use. The same TestTensor object
 * maps to the same node, so the writer memoizes it (BINGET), as pickle does for a tensor saved twice.
 */
export function toNodes(
  v: TestValue,
  format: "zip" | "legacy",
  used: Map<string, TestStorage>,
  seen = new Map<object, PyNode>(),
): PyNode {
  if (v !== null && typeof v === "object") {
    if (seen.has(v)) return seen.get(v)!;
    if ("tensor" in v) {
      const t = v.tensor;
      used.set(t.storage.key, t.storage);
      const pidItems: PyNode[] = [
        "storage",
        { global: ["torch", t.storage.cls] },
        t.storage.key,
        t.storage.location ?? "cpu",
        numelOf(t.storage),
      ];
      if (format === "legacy") pidItems.push(null);
      const rebuilt: PyNode = {
        reduce: { global: ["torch._utils", "_rebuild_tensor_v2"] },
        args: [
          { persid: { tuple: pidItems } },
          t.offset,
          { tuple: t.shape },
          { tuple: t.stride },
          false,
          { ordered: [] },
        ],
      };
      const node: PyNode = t.parameter
        ? {
          reduce: { global: ["torch._utils", "_rebuild_parameter"] },
          args: [rebuilt, true, { ordered: [] }],
        }
        : rebuilt;
      seen.set(v, node);
      return node;
    }
    if ("testDict" in v) {
      const entries = v.testDict.map(([k, x]) => [k, toNodes(x, format, used, seen)] as [PyNode, PyNode]);
      return v.ordered === false ? { dict: entries } : { ordered: entries, state: v.state };
    }
    if ("testList" in v) return { list: v.testList.map((x) => toNodes(x, format, used, seen)) };
  }
  return v as PyNode;
}

/** A zip-format checkpoint (torch >= 1.6 layout). */
export function buildZipCheckpoint(
  root: TestValue,
  opts: {
    protocol?: 2 | 4;
    byteorder?: string | null;
    archive?: string;
    extra?: { name: string; data: Uint8Array }[];
  } = {},
): Uint8Array {
  const used = new Map<string, TestStorage>();
  const pkl = writePickle(toNodes(root, "zip", used), { protocol: opts.protocol });
  const a = opts.archive ?? "archive";
  const members = [{ name: `${a}/data.pkl`, data: pkl }];
  if (opts.byteorder !== null) {
    members.push({ name: `${a}/byteorder`, data: new TextEncoder().encode(opts.byteorder ?? "little") });
  }
  for (const s of [...used.values()].sort((x, y) => (x.key < y.key ? -1 : 1))) {
    members.push({ name: `${a}/data/${s.key}`, data: s.bytes });
  }
  members.push({ name: `${a}/version`, data: new TextEncoder().encode("3\n") });
  members.push(...(opts.extra ?? []));
  return buildZip(members);
}

/** The sys_info dict torch's legacy format writes. */
function sysInfo(littleEndian: boolean): PyNode {
  return {
    dict: [
      ["protocol_version", 1001],
      ["little_endian", littleEndian],
      ["type_sizes", { dict: [["short", 2], ["int", 4], ["long", 8]] }],
    ],
  };
}

/** A legacy-format checkpoint (torch < 1.6 layout). `countOverride` lies about a storage's int64 count. */
export function buildLegacyCheckpoint(
  root: TestValue,
  opts: { littleEndian?: boolean; countOverride?: Record<string, bigint>; protocol?: 2 | 4 } = {},
): Uint8Array {
  const used = new Map<string, TestStorage>();
  const main = writePickle(toNodes(root, "legacy", used), { protocol: opts.protocol });
  const keys = [...used.keys()].sort();
  const out = new Bytes();
  out.raw(writePickle(0x1950a86a20f9469cfc6cn));
  out.raw(writePickle(1001));
  out.raw(writePickle(sysInfo(opts.littleEndian ?? true)));
  out.raw(main);
  out.raw(writePickle({ list: keys }));
  for (const k of keys) {
    const s = used.get(k)!;
    const count = opts.countOverride?.[k] ?? BigInt(numelOf(s));
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, count, opts.littleEndian ?? true);
    out.raw(b);
    out.raw(s.bytes);
  }
  return out.bytes();
}

/** C-order values of a strided view, computed naively from the multi-index (the test's oracle). */
export function naiveStridedValues<T>(
  src: ArrayLike<T>,
  offset: number,
  shape: number[],
  stride: number[],
): T[] {
  const n = shape.reduce((a, b) => a * b, 1);
  const out: T[] = [];
  for (let flat = 0; flat < n; flat++) {
    let rem = flat;
    let pos = offset;
    for (let d = shape.length - 1; d >= 0; d--) {
      pos += (rem % shape[d]) * stride[d];
      rem = Math.floor(rem / shape[d]);
    }
    out.push(src[pos]);
  }
  return out;
}
