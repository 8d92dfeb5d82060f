/**
 * A small pickle WRITER for tests, written from the opcode table in CPython's Lib/pickletools.py, independent
 * of the reader under test. It emits the subset torch.save produces: protocol 2 (GLOBAL lines, BINPUT/BINGET
 * memo, BINUNICODE) as torch uses by default, or protocol 4 (FRAME, STACK_GLOBAL, MEMOIZE, SHORT_BINUNICODE).
 */

/** A Python value to write. Objects are memoized by identity, strings by value, globals by name. */
export type PyNode =
  | null
  | boolean
  | number
  | bigint
  | string
  | { float: number }
  | { bytes: Uint8Array }
  | { tuple: PyNode[] }
  | { list: PyNode[] }
  | { dict: [PyNode, PyNode][] }
  | { ordered: [PyNode, PyNode][]; state?: [string, PyNode][] }
  | { global: [string, string] }
  | { reduce: PyNode; args: PyNode[] }
  | { persid: PyNode };

/** Growable byte buffer. */
export class Bytes {
  private buf = new Uint8Array(256);
  length = 0;
  private grow(n: number) {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.length));
    this.buf = b;
  }
  byte(...bs: number[]) {
    this.grow(bs.length);
    for (const b of bs) this.buf[this.length++] = b & 0xff;
  }
  raw(b: Uint8Array) {
    this.grow(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  u16(v: number) {
    this.byte(v, v >>> 8);
  }
  u32(v: number) {
    this.byte(v, v >>> 8, v >>> 16, v >>> 24);
  }
  i64(v: bigint) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, v, true);
    this.raw(b);
  }
  u64(v: number) {
    this.i64(BigInt(v));
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

const enc = new TextEncoder();

/** Minimal two's-complement little-endian bytes of a Python int, as pickle's LONG1 encodes it. */
function longBytes(v: bigint): number[] {
  if (v === 0n) return [];
  const out: number[] = [];
  let x = v;
  for (;;) {
    out.push(Number(x & 0xffn));
    x >>= 8n;
    const signBit = (out[out.length - 1] & 0x80) !== 0;
    if ((x === 0n && !signBit) || (x === -1n && signBit)) break;
  }
  return out;
}

/** Serialize `root` as one pickle (ending in STOP). */
export function writePickle(root: PyNode, opts: { protocol?: 2 | 4 } = {}): Uint8Array {
  const proto = opts.protocol ?? 2;
  const out = new Bytes();
  const memo = new Map<unknown, number>();
  const memoKey = (n: PyNode): unknown => {
    if (typeof n === "string") return `s:${n}`;
    if (n !== null && typeof n === "object" && "global" in n) return `g:${n.global[0]}.${n.global[1]}`;
    return n;
  };
  const put = (n: PyNode) => {
    const idx = memo.size;
    memo.set(memoKey(n), idx);
    if (proto >= 4) out.byte(0x94); // MEMOIZE
    else if (idx < 256) out.byte(0x71, idx); // BINPUT
    else out.byte(0x72), out.u32(idx); // LONG_BINPUT
  };
  const get = (n: PyNode): boolean => {
    const idx = memo.get(memoKey(n));
    if (idx === undefined) return false;
    if (idx < 256) out.byte(0x68, idx); // BINGET
    else out.byte(0x6a), out.u32(idx); // LONG_BINGET
    return true;
  };
  const str = (s: string) => {
    const b = enc.encode(s);
    if (proto >= 4 && b.length < 256) out.byte(0x8c, b.length); // SHORT_BINUNICODE
    else out.byte(0x58), out.u32(b.length); // BINUNICODE
    out.raw(b);
  };
  const int = (v: number | bigint) => {
    const big = BigInt(v);
    if (big >= 0n && big < 256n) out.byte(0x4b, Number(big)); // BININT1
    else if (big >= 0n && big < 65536n) out.byte(0x4d), out.u16(Number(big)); // BININT2
    else if (big >= -(2n ** 31n) && big < 2n ** 31n) out.byte(0x4a), out.u32(Number(BigInt.asUintN(32, big))); // BININT
    else {
      const lb = longBytes(big);
      out.byte(0x8a, lb.length, ...lb); // LONG1
    }
  };
  const items = (xs: PyNode[], op: number, single: number) => {
    if (xs.length === 1) {
      save(xs[0]);
      out.byte(single);
      return;
    }
    out.byte(0x28); // MARK
    for (const x of xs) save(x);
    out.byte(op);
  };
  const pairs = (ps: [PyNode, PyNode][]) => {
    if (ps.length === 0) return;
    if (ps.length === 1) {
      save(ps[0][0]), save(ps[0][1]);
      out.byte(0x73); // SETITEM
      return;
    }
    out.byte(0x28); // MARK
    for (const [k, v] of ps) save(k), save(v);
    out.byte(0x75); // SETITEMS
  };

  function save(n: PyNode): void {
    if (n === null) return out.byte(0x4e); // NONE
    if (n === true) return out.byte(0x88); // NEWTRUE
    if (n === false) return out.byte(0x89); // NEWFALSE
    if (typeof n === "number" || typeof n === "bigint") return int(n);
    if (typeof n === "string") {
      if (get(n)) return;
      str(n);
      return put(n);
    }
    if ("float" in n) {
      out.byte(0x47); // BINFLOAT, big-endian
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, n.float, false);
      return out.raw(b);
    }
    if (get(n)) return;
    if ("bytes" in n) {
      out.byte(0x43, n.bytes.length); // SHORT_BINBYTES
      out.raw(n.bytes);
      return put(n);
    }
    if ("tuple" in n) {
      const t = n.tuple;
      if (t.length === 0) return out.byte(0x29); // EMPTY_TUPLE (never memoized, as in CPython)
      if (t.length <= 3) {
        for (const x of t) save(x);
        out.byte([0x85, 0x86, 0x87][t.length - 1]); // TUPLE1..3
      } else {
        out.byte(0x28); // MARK
        for (const x of t) save(x);
        out.byte(0x74); // TUPLE
      }
      return put(n);
    }
    if ("list" in n) {
      out.byte(0x5d); // EMPTY_LIST
      put(n);
      if (n.list.length > 0) items(n.list, 0x65, 0x61); // APPENDS / APPEND
      return;
    }
    if ("dict" in n) {
      out.byte(0x7d); // EMPTY_DICT
      put(n);
      return pairs(n.dict);
    }
    if ("ordered" in n) {
      // OrderedDict.__reduce__: (OrderedDict, (), state, None, items) -> REDUCE, SETITEMS, BUILD.
      save({ global: ["collections", "OrderedDict"] });
      out.byte(0x29, 0x52); // EMPTY_TUPLE, REDUCE
      put(n);
      pairs(n.ordered);
      if (n.state) {
        save({ dict: n.state });
        out.byte(0x62); // BUILD
      }
      return;
    }
    if ("global" in n) {
      const [module, name] = n.global;
      if (proto >= 4) {
        save(module), save(name);
        out.byte(0x93); // STACK_GLOBAL
      } else {
        out.byte(0x63); // GLOBAL
        out.raw(enc.encode(`${module}\n${name}\n`));
      }
      return put(n);
    }
    if ("reduce" in n) {
      save(n.reduce);
      save({ tuple: n.args });
      out.byte(0x52); // REDUCE
      return put(n);
    }
    if ("persid" in n) {
      save(n.persid);
      return out.byte(0x51); // BINPERSID
    }
    throw new Error("unknown node");
  }

  const body = new Bytes();
  // Write the body first so protocol 4 can wrap it in one FRAME, as CPython does for small pickles.
  const outer = out;
  save(root);
  outer.byte(0x2e); // STOP
  const payload = outer.bytes();
  if (proto >= 4) {
    body.byte(0x80, 4, 0x95); // PROTO 4, FRAME
    body.u64(payload.length);
  } else {
    body.byte(0x80, proto);
  }
  body.raw(payload);
  return body.bytes();
}
