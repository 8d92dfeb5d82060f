/**
 * Reading a zip archive held in memory: list its members from the central directory (sizes as declared,
 * so a caller can refuse a zip bomb before inflating anything), then extract one member with fflate,
 * checking its size and CRC-32. Every defect becomes an InvalidInputError; nothing else escapes.
 */

import { inflateSync } from "fflate";
import { InvalidInputError } from "../errors.ts";
import { crc32 } from "./crc32.ts";

/** One member of a zip, as its central directory entry declares it. */
export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflated. */
  method: number;
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
  /** Offset of the member's local header. */
  localHeaderOffset: number;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const U32_MAX = 0xffffffff;

function corrupt(message: string): never {
  throw new InvalidInputError("npz_corrupt", `corrupt zip: ${message}`);
}

/** Bounds-checked little-endian reads; an out-of-range read means the archive is corrupt. */
class Reader {
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private check(at: number, n: number, what: string): void {
    if (!Number.isSafeInteger(at) || at < 0 || at + n > this.bytes.length) {
      corrupt(`${what} lies outside the file`);
    }
  }
  u16(at: number, what: string): number {
    this.check(at, 2, what);
    return this.view.getUint16(at, true);
  }
  u32(at: number, what: string): number {
    this.check(at, 4, what);
    return this.view.getUint32(at, true);
  }
  u64(at: number, what: string): number {
    this.check(at, 8, what);
    const v = this.view.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) corrupt(`${what} is too large`);
    return Number(v);
  }
  slice(at: number, n: number, what: string): Uint8Array {
    this.check(at, n, what);
    return this.bytes.subarray(at, at + n);
  }
}

function findEndOfCentralDirectory(bytes: Uint8Array, r: Reader): number {
  // The end record is 22 bytes plus a comment of at most 65535 bytes.
  const last = bytes.length - 22;
  const first = Math.max(0, last - 0xffff);
  for (let at = last; at >= first; at--) {
    if (
      bytes[at] === 0x50 && bytes[at + 1] === 0x4b && r.u32(at, "end record") === EOCD_SIG &&
      at + 22 + r.u16(at + 20, "comment length") <= bytes.length
    ) return at;
  }
  throw new InvalidInputError("npz_not_zip", "not a zip archive: no end-of-central-directory record found");
}

interface Directory {
  count: number;
  offset: number;
  size: number;
}

function readDirectory(r: Reader, eocd: number): Directory {
  if (r.u16(eocd + 4, "disk number") !== 0 || r.u16(eocd + 6, "directory disk") !== 0) {
    throw new InvalidInputError("npz_unsupported_zip_feature", "multi-disk zip archives are not supported");
  }
  let count = r.u16(eocd + 10, "entry count");
  let size = r.u32(eocd + 12, "directory size");
  let offset = r.u32(eocd + 16, "directory offset");
  const locator = eocd - 20;
  if (locator >= 0 && r.u32(locator, "zip64 locator") === ZIP64_LOCATOR_SIG) {
    const z = r.u64(locator + 8, "zip64 end record offset");
    if (r.u32(z, "zip64 end record") !== ZIP64_EOCD_SIG) corrupt("bad zip64 end record signature");
    count = r.u64(z + 32, "zip64 entry count");
    size = r.u64(z + 40, "zip64 directory size");
    offset = r.u64(z + 48, "zip64 directory offset");
  }
  if (offset + size > eocd) corrupt("central directory overlaps its end record");
  // Each directory entry takes at least 46 bytes, which bounds the loop below by the file size.
  if (count * 46 > size) corrupt(`central directory of ${size} bytes cannot hold ${count} entries`);
  return { count, offset, size };
}

/** Read the zip64 extended-information extra field, present for each size or offset saturated at 2^32-1. */
function applyZip64Extra(r: Reader, extraStart: number, extraLength: number, e: ZipEntry): void {
  const end = extraStart + extraLength;
  for (let at = extraStart; at + 4 <= end;) {
    const id = r.u16(at, "extra field id");
    const len = r.u16(at + 2, "extra field length");
    if (id === 0x0001) {
      let p = at + 4;
      const take = () => {
        if (p + 8 > at + 4 + len) corrupt("zip64 extra field too short");
        const v = r.u64(p, "zip64 extra value");
        p += 8;
        return v;
      };
      if (e.uncompressedSize === U32_MAX) e.uncompressedSize = take();
      if (e.compressedSize === U32_MAX) e.compressedSize = take();
      if (e.localHeaderOffset === U32_MAX) e.localHeaderOffset = take();
      return;
    }
    at += 4 + len;
  }
}

/** List the members of a zip from its central directory; throws InvalidInputError if it is not a valid zip. */
export function listZipEntries(bytes: Uint8Array): ZipEntry[] {
  if (bytes.length < 22) throw new InvalidInputError("npz_not_zip", "not a zip archive: too short");
  const r = new Reader(bytes);
  const dir = readDirectory(r, findEndOfCentralDirectory(bytes, r));
  const entries: ZipEntry[] = [];
  const decoder = new TextDecoder();
  let at = dir.offset;
  for (let i = 0; i < dir.count; i++) {
    if (r.u32(at, "directory entry") !== CENTRAL_SIG) corrupt(`directory entry ${i} has a bad signature`);
    const flags = r.u16(at + 8, "flags");
    if (flags & 1) {
      throw new InvalidInputError("npz_unsupported_zip_feature", "encrypted zip members are not supported");
    }
    const nameLength = r.u16(at + 28, "name length");
    const extraLength = r.u16(at + 30, "extra length");
    const commentLength = r.u16(at + 32, "comment length");
    const entry: ZipEntry = {
      name: decoder.decode(r.slice(at + 46, nameLength, "member name")),
      method: r.u16(at + 10, "method"),
      crc: r.u32(at + 16, "crc"),
      compressedSize: r.u32(at + 20, "compressed size"),
      uncompressedSize: r.u32(at + 24, "uncompressed size"),
      localHeaderOffset: r.u32(at + 42, "local header offset"),
    };
    applyZip64Extra(r, at + 46 + nameLength, extraLength, entry);
    entries.push(entry);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Extract one member (stored or deflated), checking its declared size and CRC-32. */
export function extractZipEntry(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  const r = new Reader(bytes);
  const lh = entry.localHeaderOffset;
  if (r.u32(lh, "local header") !== LOCAL_SIG) corrupt(`member '${entry.name}' has a bad local header`);
  const dataStart = lh + 30 + r.u16(lh + 26, "local name length") + r.u16(lh + 28, "local extra length");
  const compressed = r.slice(dataStart, entry.compressedSize, `data of member '${entry.name}'`);
  let out: Uint8Array;
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.uncompressedSize) {
      corrupt(`stored member '${entry.name}' has two sizes`);
    }
    out = compressed.slice();
  } else if (entry.method === 8) {
    try {
      // One spare byte reveals a stream that inflates past its declared size; fflate never grows `out`.
      out = inflateSync(compressed, { out: new Uint8Array(entry.uncompressedSize + 1) });
    } catch (e) {
      corrupt(`member '${entry.name}' does not inflate (${e instanceof Error ? e.message : String(e)})`);
    }
    if (out.length !== entry.uncompressedSize) {
      corrupt(
        `member '${entry.name}' inflates to a size other than the ${entry.uncompressedSize} bytes declared`,
      );
    }
  } else {
    throw new InvalidInputError(
      "npz_unsupported_zip_feature",
      `member '${entry.name}' uses compression method ${entry.method}; only stored (0) and deflate (8) are supported`,
    );
  }
  if (crc32(out) !== entry.crc) corrupt(`member '${entry.name}' fails its CRC-32 check`);
  return out;
}
