/**
 * A small, strict parser for the Python literal subset a .npy header uses: dicts, tuples, lists, strings,
 * decimal integers, True/False/None. It never evaluates anything; whatever else appears is a syntax error.
 */

/** A parsed Python literal. Tuples and lists are kept apart because a .npy shape must be a tuple. */
export type PyValue =
  | { kind: "str"; value: string }
  | { kind: "int"; value: bigint }
  | { kind: "bool"; value: boolean }
  | { kind: "none" }
  | { kind: "tuple"; items: PyValue[] }
  | { kind: "list"; items: PyValue[] }
  | { kind: "dict"; entries: [PyValue, PyValue][] };

/** Thrown for text that is not a literal of the supported subset; callers turn it into a typed error. */
export class PyLiteralSyntaxError extends Error {}

// Deep nesting could exhaust the call stack; no real header nests more than a few levels.
const MAX_DEPTH = 32;

const SIMPLE_ESCAPES: Record<string, string> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  n: "\n",
  t: "\t",
  r: "\r",
  "0": "\0",
};

class Parser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parseAll(): PyValue {
    const value = this.value(0);
    this.skipSpace();
    if (this.pos !== this.text.length) this.fail("unexpected text after the literal");
    return value;
  }

  private fail(what: string): never {
    throw new PyLiteralSyntaxError(`${what} at offset ${this.pos}`);
  }

  private skipSpace(): void {
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c === " " || c === "\t" || c === "\n" || c === "\r") this.pos++;
      else break;
    }
  }

  private value(depth: number): PyValue {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === undefined) this.fail("unexpected end of text");
    if (c === "{") return this.dict(depth);
    if (c === "(") return this.sequence(depth, ")");
    if (c === "[") return this.sequence(depth, "]");
    if (c === "'" || c === '"') return { kind: "str", value: this.string(c) };
    if (c === "-" || (c >= "0" && c <= "9")) return { kind: "int", value: this.integer() };
    return this.keyword();
  }

  private dict(depth: number): PyValue {
    this.pos++; // "{"
    const entries: [PyValue, PyValue][] = [];
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === "}") {
        this.pos++;
        return { kind: "dict", entries };
      }
      const key = this.value(depth + 1);
      this.skipSpace();
      if (this.text[this.pos] !== ":") this.fail("expected ':' in dict");
      this.pos++;
      const val = this.value(depth + 1);
      entries.push([key, val]);
      this.skipSpace();
      const next = this.text[this.pos];
      if (next === ",") this.pos++;
      else if (next !== "}") this.fail("expected ',' or '}' in dict");
    }
  }

  private sequence(depth: number, close: ")" | "]"): PyValue {
    this.pos++; // "(" or "["
    const items: PyValue[] = [];
    let sawComma = false;
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === close) {
        this.pos++;
        break;
      }
      items.push(this.value(depth + 1));
      this.skipSpace();
      const next = this.text[this.pos];
      if (next === ",") {
        this.pos++;
        sawComma = true;
      } else if (next !== close) this.fail(`expected ',' or '${close}'`);
    }
    if (close === "]") return { kind: "list", items };
    // "(x)" is just x in Python; only "()" and "(x,)" and "(x, y)" are tuples.
    if (items.length === 1 && !sawComma) return items[0];
    return { kind: "tuple", items };
  }

  private string(quote: string): string {
    this.pos++;
    let out = "";
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined || c === "\n") this.fail("unterminated string");
      this.pos++;
      if (c === quote) return out;
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = this.text[this.pos];
      const mapped = e === undefined ? undefined : SIMPLE_ESCAPES[e];
      if (mapped === undefined) this.fail("unsupported escape in string");
      out += mapped;
      this.pos++;
    }
  }

  private integer(): bigint {
    const start = this.pos;
    if (this.text[this.pos] === "-") this.pos++;
    const digitsStart = this.pos;
    while (this.pos < this.text.length && this.text[this.pos] >= "0" && this.text[this.pos] <= "9") {
      this.pos++;
    }
    if (this.pos === digitsStart) this.fail("expected digits");
    // Python 3 rejects leading zeros ("007"); Python 2 headers could carry an "L" suffix.
    const digits = this.text.slice(digitsStart, this.pos);
    if (digits.length > 1 && digits[0] === "0") this.fail("integer with leading zero");
    if (this.text[this.pos] === "L") this.pos++;
    if (digits.length > 40) this.fail("integer too long");
    return BigInt(this.text.slice(start, digitsStart) + digits);
  }

  private keyword(): PyValue {
    for (const [word, value] of KEYWORDS) {
      if (this.text.startsWith(word, this.pos)) {
        const after = this.text[this.pos + word.length];
        if (after !== undefined && /[A-Za-z0-9_]/.test(after)) break;
        this.pos += word.length;
        return value;
      }
    }
    this.fail("unexpected token");
  }
}

const KEYWORDS: [string, PyValue][] = [
  ["True", { kind: "bool", value: true }],
  ["False", { kind: "bool", value: false }],
  ["None", { kind: "none" }],
];

/** Parse one Python literal (dict/tuple/list/str/int/bool/None); throws PyLiteralSyntaxError otherwise. */
export function parsePyLiteral(text: string): PyValue {
  return new Parser(text).parseAll();
}
