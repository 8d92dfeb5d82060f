/**
 * A tiny zip writer for tests, written from the PKWARE APPNOTE layout, that can also write the odd forms
 * real archives use (zip64 extra fields and end records) and lie on purpose (sizes, CRC, method, flags).
 */

import { deflateSync } from "fflate";
import { crc32 } from "../src/tensors/crc32.ts";

/** One member to write. The optional fields override what is declared in the central directory. */
export interface TestZipMember {
  name: string;
  data: Uint8Array;
  deflate?: boolean;
  declaredSize?: number;
  declaredCrc?: number;
  declaredMethod?: number;
  flags?: number;
}

/** Write a zip; `zip64` saturates the 32-bit fields and adds zip64 extras and end records, as Python does. */
export function buildZip(members: TestZipMember[], opts: { zip64?: boolean } = {}): Uint8Array {
  const chunks: number[] = [];
  const u16 = (v: number) => chunks.push(v & 0xff, (v >>> 8) & 0xff);
  const u32 = (v: number) => {
    u16(v & 0xffff);
    u16(Math.floor(v / 0x10000) & 0xffff);
  };
  const u64 = (v: number) => {
    u32(v % 0x100000000);
    u32(Math.floor(v / 0x100000000));
  };
  const bytes = (b: Uint8Array) => b.forEach((x) => chunks.push(x));
  const enc = new TextEncoder();

  const central: { m: TestZipMember; method: number; stored: Uint8Array; offset: number; crc: number }[] = [];
  for (const m of members) {
    const stored = m.deflate ? deflateSync(m.data) : m.data;
    const method = m.deflate ? 8 : 0;
    const crc = crc32(m.data);
    const offset = chunks.length;
    const name = enc.encode(m.name);
    u32(0x04034b50);
    u16(20), u16(m.flags ?? 0), u16(method), u16(0), u16(0x21);
    u32(crc), u32(stored.length), u32(m.data.length);
    u16(name.length), u16(0);
    bytes(name);
    bytes(stored);
    central.push({ m, method, stored, offset, crc });
  }
  const cdStart = chunks.length;
  for (const { m, method, stored, offset, crc } of central) {
    const name = enc.encode(m.name);
    const usize = m.declaredSize ?? m.data.length;
    u32(0x02014b50);
    u16(45), u16(45), u16(m.flags ?? 0), u16(m.declaredMethod ?? method), u16(0), u16(0x21);
    u32(m.declaredCrc ?? crc);
    if (opts.zip64) {
      u32(0xffffffff), u32(0xffffffff);
    } else {
      u32(stored.length), u32(usize);
    }
    u16(name.length), u16(opts.zip64 ? 28 : 0), u16(0), u16(0), u16(0), u32(0);
    u32(opts.zip64 ? 0xffffffff : offset);
    bytes(name);
    if (opts.zip64) {
      u16(0x0001), u16(24), u64(usize), u64(stored.length), u64(offset);
    }
  }
  const cdSize = chunks.length - cdStart;
  if (opts.zip64) {
    const z = chunks.length;
    u32(0x06064b50), u64(44), u16(45), u16(45), u32(0), u32(0);
    u64(members.length), u64(members.length), u64(cdSize), u64(cdStart);
    u32(0x07064b50), u32(0), u64(z), u32(1);
  }
  u32(0x06054b50), u16(0), u16(0);
  u16(opts.zip64 ? 0xffff : members.length), u16(opts.zip64 ? 0xffff : members.length);
  u32(opts.zip64 ? 0xffffffff : cdSize), u32(opts.zip64 ? 0xffffffff : cdStart), u16(0);
  return Uint8Array.from(chunks);
}
