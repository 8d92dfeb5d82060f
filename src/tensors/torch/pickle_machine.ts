/**
 * A small, safe pickle machine for the opcodes torch.save emits (protocols 2 to 5, binary forms only).
 *
 * Safety: GLOBAL / STACK_GLOBAL never import anything; they ask `hooks.findGlobal`, which returns an inert
 * marker for an allow-listed name or throws. REDUCE / NEWOBJ only reach `hooks.call` with such a marker, and
 * BUILD only sets attributes on an OrderedDict. The machine is a loop over the input (every opcode consumes at
 * least one byte), so its work and memory are bounded by the input size; it never recurses. Every defect
 * (truncation, stack underflow, unknown memo slot, bad UTF-8) is an InvalidInputError naming the byte offset.
 */

import { FidstreamError, InvalidInputError } from "../../errors.ts";
import {
  describePickleValue,
  type PickleValue,
  PyDict,
  type PyDictKey,
  PyFloat,
  PyList,
  PyTuple,
} from "./pickle_values.ts";

/** What the machine asks its caller for; each hook throws a FidstreamError to refuse. */
export interface PickleHooks {
  /** GLOBAL module.name: return an inert marker for an allowed name, throw otherwise. */
  findGlobal(module: string, name: string): PickleValue;
  /** REDUCE / NEWOBJ: apply an allowed callable (a value findGlobal returned) to its arguments. */
  call(callable: PickleValue, args: PyTuple): PickleValue;
  /** BINPERSID: turn a persistent id (torch: a tuple describing a storage) into a value. */
  persistentLoad(pid: PickleValue): PickleValue;
}

/** The unpickled value and the offset just past its STOP opcode (torch's legacy format chains pickles). */
export interface UnpickleResult {
  value: PickleValue;
  end: number;
}

// Longest module or attribute name accepted in GLOBAL; real ones are a few dozen characters.
const MAX_GLOBAL_LINE = 512;
// Python ints longer than this many bytes are never part of a checkpoint's structure.
const MAX_LONG_BYTES = 64;

const OP = {
  MARK: 0x28, // (
  STOP: 0x2e, // .
  POP: 0x30, // 0
  POP_MARK: 0x31, // 1
  DUP: 0x32, // 2
  BINFLOAT: 0x47, // G
  BININT: 0x4a, // J
  BININT1: 0x4b, // K
  BININT2: 0x4d, // M
  NONE: 0x4e, // N
  BINPERSID: 0x51, // Q
  REDUCE: 0x52, // R
  BINUNICODE: 0x58, // X
  BINBYTES: 0x42, // B
  SHORT_BINBYTES: 0x43, // C
  EMPTY_LIST: 0x5d, // ]
  APPEND: 0x61, // a
  BUILD: 0x62, // b
  GLOBAL: 0x63, // c
  DICT: 0x64, // d
  APPENDS: 0x65, // e
  BINGET: 0x68, // h
  LONG_BINGET: 0x6a, // j
  LIST: 0x6c, // l
  BINPUT: 0x71, // q
  LONG_BINPUT: 0x72, // r
  SETITEM: 0x73, // s
  TUPLE: 0x74, // t
  SETITEMS: 0x75, // u
  EMPTY_DICT: 0x7d, // }
  EMPTY_TUPLE: 0x29, // )
  PROTO: 0x80,
  NEWOBJ: 0x81,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a,
  LONG4: 0x8b,
  SHORT_BINUNICODE: 0x8c,
  BINUNICODE8: 0x8d,
  BINBYTES8: 0x8e,
  STACK_GLOBAL: 0x93,
  MEMOIZE: 0x94,
  FRAME: 0x95,
} as const;

const utf8 = new TextDecoder("utf-8", { fatal: true });

function corrupt(at: number, message: string): never {
  throw new InvalidInputError("torch_pickle_corrupt", `corrupt pickle at byte ${at}: ${message}`);
}

/** Bounds-checked reads over the pickle bytes. */
class Cursor {
  pos: number;
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array, start: number) {
    this.pos = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private need(n: number, what: string): number {
    const at = this.pos;
    if (n < 0 || at + n > this.bytes.length) {
      corrupt(at, `${what} runs past the end of the data (truncated?)`);
    }
    this.pos = at + n;
    return at;
  }
  u8(what: string): number {
    return this.bytes[this.need(1, what)];
  }
  u16(what: string): number {
    return this.view.getUint16(this.need(2, what), true);
  }
  u32(what: string): number {
    return this.view.getUint32(this.need(4, what), true);
  }
  i32(what: string): number {
    return this.view.getInt32(this.need(4, what), true);
  }
  u64(what: string): number {
    const at = this.need(8, what);
    const v = this.view.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) corrupt(at, `${what} ${v} is too large`);
    return Number(v);
  }
  f64be(what: string): number {
    return this.view.getFloat64(this.need(8, what), false);
  }
  take(n: number, what: string): Uint8Array {
    const at = this.need(n, what);
    return this.bytes.subarray(at, at + n);
  }
  text(n: number, what: string): string {
    const at = this.pos;
    const raw = this.take(n, what);
    try {
      return utf8.decode(raw);
    } catch {
      corrupt(at, `${what} is not valid UTF-8`);
    }
  }
  line(what: string): string {
    const at = this.pos;
    const limit = Math.min(this.bytes.length, at + MAX_GLOBAL_LINE + 1);
    for (let i = at; i < limit; i++) {
      if (this.bytes[i] === 0x0a) {
        const s = this.text(i - at, what);
        this.pos = i + 1;
        return s;
      }
    }
    corrupt(at, `${what} has no end of line within ${MAX_GLOBAL_LINE} bytes`);
  }
}

/** Decode a little-endian two's-complement integer (LONG1 / LONG4) as a number when safe, else a bigint. */
function decodeLong(raw: Uint8Array): number | bigint {
  if (raw.length === 0) return 0;
  let v = 0n;
  for (let i = raw.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(raw[i]);
  if (raw[raw.length - 1] & 0x80) v -= 1n << BigInt(8 * raw.length);
  const small = BigInt(Number.MAX_SAFE_INTEGER);
  return v <= small && v >= -small ? Number(v) : v;
}

function dictKey(k: PickleValue, at: number): PyDictKey {
  if (
    k === null || typeof k === "string" || typeof k === "number" || typeof k === "bigint" ||
    typeof k === "boolean"
  ) {
    return k;
  }
  corrupt(at, `a dict key of type ${describePickleValue(k)} is not supported (expected str or int)`);
}

function setItems(target: PickleValue, items: PickleValue[], at: number): void {
  if (!(target instanceof PyDict)) corrupt(at, `SETITEM(S) on a ${describePickleValue(target)}, not a dict`);
  if (items.length % 2 !== 0) corrupt(at, "SETITEMS with an odd number of items");
  for (let i = 0; i < items.length; i += 2) target.entries.set(dictKey(items[i], at), items[i + 1]);
}

function appendItems(target: PickleValue, items: PickleValue[], at: number): void {
  if (!(target instanceof PyList)) corrupt(at, `APPEND(S) on a ${describePickleValue(target)}, not a list`);
  for (const item of items) target.items.push(item);
}

/** BUILD: only an OrderedDict may receive state, and only a dict of str -> value (torch's `_metadata`). */
function build(target: PickleValue, state: PickleValue, at: number): void {
  if (!(target instanceof PyDict) || !target.ordered) {
    throw new InvalidInputError(
      "torch_pickle_forbidden_build",
      `pickle at byte ${at} sets state on a ${
        describePickleValue(target)
      }; only an OrderedDict may receive state`,
    );
  }
  if (!(state instanceof PyDict)) {
    corrupt(at, `BUILD state is a ${describePickleValue(state)}, expected a dict`);
  }
  for (const [k, v] of state.entries) {
    if (typeof k !== "string") corrupt(at, "BUILD state has a non-string attribute name");
    target.attrs.set(k, v);
  }
}

/**
 * Run the pickle starting at `start` up to its STOP opcode. Globals, calls and persistent ids go through
 * `hooks`; any opcode outside the supported subset is refused (torch_pickle_unsupported_opcode).
 */
export function unpickle(bytes: Uint8Array, start: number, hooks: PickleHooks): UnpickleResult {
  const c = new Cursor(bytes, start);
  let stack: PickleValue[] = [];
  const marks: PickleValue[][] = [];
  const memo = new Map<number, PickleValue>();

  const pop = (at: number): PickleValue => {
    if (stack.length === 0) corrupt(at, "stack underflow");
    return stack.pop() as PickleValue;
  };
  const top = (at: number): PickleValue => {
    if (stack.length === 0) corrupt(at, "stack underflow");
    return stack[stack.length - 1];
  };
  const popMark = (at: number): PickleValue[] => {
    const items = stack;
    const previous = marks.pop();
    if (previous === undefined) corrupt(at, "no MARK to pop to");
    stack = previous;
    return items;
  };
  const get = (index: number, at: number): PickleValue => {
    if (!memo.has(index)) corrupt(at, `memo slot ${index} was never stored`);
    return memo.get(index) as PickleValue;
  };

  for (;;) {
    const at = c.pos;
    const op = c.u8("opcode");
    switch (op) {
      case OP.PROTO: {
        const proto = c.u8("protocol number");
        if (proto > 5) corrupt(at, `pickle protocol ${proto} is newer than 5`);
        break;
      }
      case OP.FRAME: {
        // Framing only groups opcodes for buffered reading; check the declared length is plausible.
        const n = c.u64("frame length");
        if (c.pos + n > bytes.length) corrupt(at, `frame of ${n} bytes runs past the end of the data`);
        break;
      }
      case OP.STOP: {
        const value = pop(at);
        if (stack.length !== 0 || marks.length !== 0) corrupt(at, "values left on the stack at STOP");
        return { value, end: c.pos };
      }
      case OP.MARK:
        marks.push(stack);
        stack = [];
        break;
      case OP.POP:
        pop(at);
        break;
      case OP.POP_MARK:
        popMark(at);
        break;
      case OP.DUP:
        stack.push(top(at));
        break;
      case OP.NONE:
        stack.push(null);
        break;
      case OP.NEWTRUE:
        stack.push(true);
        break;
      case OP.NEWFALSE:
        stack.push(false);
        break;
      case OP.BININT:
        stack.push(c.i32("BININT"));
        break;
      case OP.BININT1:
        stack.push(c.u8("BININT1"));
        break;
      case OP.BININT2:
        stack.push(c.u16("BININT2"));
        break;
      case OP.LONG1:
        stack.push(decodeLong(c.take(c.u8("LONG1 length"), "LONG1")));
        break;
      case OP.LONG4: {
        const n = c.u32("LONG4 length");
        if (n > MAX_LONG_BYTES) corrupt(at, `LONG4 of ${n} bytes; at most ${MAX_LONG_BYTES} are accepted`);
        stack.push(decodeLong(c.take(n, "LONG4")));
        break;
      }
      case OP.BINFLOAT:
        stack.push(new PyFloat(c.f64be("BINFLOAT")));
        break;
      case OP.SHORT_BINUNICODE:
        stack.push(c.text(c.u8("string length"), "SHORT_BINUNICODE"));
        break;
      case OP.BINUNICODE:
        stack.push(c.text(c.u32("string length"), "BINUNICODE"));
        break;
      case OP.BINUNICODE8:
        stack.push(c.text(c.u64("string length"), "BINUNICODE8"));
        break;
      case OP.SHORT_BINBYTES:
        stack.push(c.take(c.u8("bytes length"), "SHORT_BINBYTES").slice());
        break;
      case OP.BINBYTES:
        stack.push(c.take(c.u32("bytes length"), "BINBYTES").slice());
        break;
      case OP.BINBYTES8:
        stack.push(c.take(c.u64("bytes length"), "BINBYTES8").slice());
        break;
      case OP.EMPTY_TUPLE:
        stack.push(new PyTuple([]));
        break;
      case OP.TUPLE: {
        // Pop first: `stack` is a different array after popMark.
        const items = popMark(at);
        stack.push(new PyTuple(items));
        break;
      }
      case OP.TUPLE1: {
        const a = pop(at);
        stack.push(new PyTuple([a]));
        break;
      }
      case OP.TUPLE2: {
        const b = pop(at), a = pop(at);
        stack.push(new PyTuple([a, b]));
        break;
      }
      case OP.TUPLE3: {
        const cc = pop(at), b = pop(at), a = pop(at);
        stack.push(new PyTuple([a, b, cc]));
        break;
      }
      case OP.EMPTY_LIST:
        stack.push(new PyList([]));
        break;
      case OP.LIST: {
        const items = popMark(at);
        stack.push(new PyList(items));
        break;
      }
      case OP.APPEND: {
        const v = pop(at);
        appendItems(top(at), [v], at);
        break;
      }
      case OP.APPENDS: {
        const items = popMark(at);
        appendItems(top(at), items, at);
        break;
      }
      case OP.EMPTY_DICT:
        stack.push(new PyDict(false));
        break;
      case OP.DICT: {
        const items = popMark(at);
        const d = new PyDict(false);
        setItems(d, items, at);
        stack.push(d);
        break;
      }
      case OP.SETITEM: {
        const v = pop(at), k = pop(at);
        setItems(top(at), [k, v], at);
        break;
      }
      case OP.SETITEMS: {
        const items = popMark(at);
        setItems(top(at), items, at);
        break;
      }
      case OP.BINPUT:
        memo.set(c.u8("memo index"), top(at));
        break;
      case OP.LONG_BINPUT:
        memo.set(c.u32("memo index"), top(at));
        break;
      case OP.MEMOIZE:
        memo.set(memo.size, top(at));
        break;
      case OP.BINGET:
        stack.push(get(c.u8("memo index"), at));
        break;
      case OP.LONG_BINGET:
        stack.push(get(c.u32("memo index"), at));
        break;
      case OP.GLOBAL: {
        const module = c.line("GLOBAL module");
        const name = c.line("GLOBAL name");
        stack.push(withOffset(at, () => hooks.findGlobal(module, name)));
        break;
      }
      case OP.STACK_GLOBAL: {
        const name = pop(at), module = pop(at);
        if (typeof module !== "string" || typeof name !== "string") {
          corrupt(at, "STACK_GLOBAL needs two strings (module, name)");
        }
        stack.push(withOffset(at, () => hooks.findGlobal(module, name)));
        break;
      }
      case OP.REDUCE:
      case OP.NEWOBJ: {
        const args = pop(at), callable = pop(at);
        if (!(args instanceof PyTuple)) {
          corrupt(at, `call arguments are a ${describePickleValue(args)}, not a tuple`);
        }
        stack.push(withOffset(at, () => hooks.call(callable, args)));
        break;
      }
      case OP.BUILD: {
        const state = pop(at);
        build(top(at), state, at);
        break;
      }
      case OP.BINPERSID: {
        const pid = pop(at);
        stack.push(withOffset(at, () => hooks.persistentLoad(pid)));
        break;
      }
      default:
        throw new InvalidInputError(
          "torch_pickle_unsupported_opcode",
          `pickle opcode 0x${
            op.toString(16).padStart(2, "0")
          } at byte ${at} is not supported by this reader ` +
            "(it reads the binary opcodes torch.save emits, protocols 2 to 5)",
        );
    }
  }
}

/** Run a hook; a refusal keeps its class and code and gains the byte offset of the opcode. */
function withOffset(at: number, f: () => PickleValue): PickleValue {
  try {
    return f();
  } catch (e) {
    if (e instanceof FidstreamError) {
      const Cls = e.constructor as new (code: string, message: string) => FidstreamError;
      throw new Cls(e.code, `${e.message} (pickle byte ${at})`);
    }
    throw e;
  }
}
