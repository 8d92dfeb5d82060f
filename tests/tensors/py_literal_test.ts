import assert from "node:assert/strict";
import { parsePyLiteral, PyLiteralSyntaxError, type PyValue } from "../../src/tensors/py_literal.ts";

/** Plain JS view of a parsed literal, to compare against expected structures. */
function plain(v: PyValue): unknown {
  switch (v.kind) {
    case "str":
    case "bool":
      return v.value;
    case "int":
      return `${v.value}n`;
    case "none":
      return null;
    case "tuple":
      return { tuple: v.items.map(plain) };
    case "list":
      return v.items.map(plain);
    case "dict":
      return { dict: v.entries.map(([k, x]) => [plain(k), plain(x)]) };
  }
}

Deno.test("parsePyLiteral reads the dict numpy writes as a .npy header", () => {
  const v = parsePyLiteral("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }   \n");
  assert.deepEqual(plain(v), {
    dict: [["descr", "<f4"], ["fortran_order", false], ["shape", { tuple: ["2n", "3n"] }]],
  });
});

Deno.test("parsePyLiteral follows Python's tuple rules: () and (x,) are tuples, (x) is x", () => {
  assert.deepEqual(plain(parsePyLiteral("()")), { tuple: [] });
  assert.deepEqual(plain(parsePyLiteral("(5,)")), { tuple: ["5n"] });
  assert.deepEqual(plain(parsePyLiteral("(5)")), "5n");
  assert.deepEqual(plain(parsePyLiteral("( 1 , 2 , )")), { tuple: ["1n", "2n"] });
});

Deno.test("parsePyLiteral reads strings in both quotes with simple escapes, lists, None, negatives, Python 2 L", () => {
  assert.equal(plain(parsePyLiteral(`"it's"`)), "it's");
  assert.equal(plain(parsePyLiteral(`'a\\'b\\\\c\\n'`)), "a'b\\c\n");
  assert.deepEqual(plain(parsePyLiteral("[('x', '<f4'), None, -3]")), [{ tuple: ["x", "<f4"] }, null, "-3n"]);
  assert.deepEqual(plain(parsePyLiteral("(3L, 4L)")), { tuple: ["3n", "4n"] });
  assert.deepEqual(plain(parsePyLiteral("{}")), { dict: [] });
});

Deno.test("parsePyLiteral rejects everything outside the literal subset with PyLiteralSyntaxError", () => {
  const bad = [
    "",
    "1 + 1",
    "{'a': 1} x",
    "__import__('os')",
    "0x10",
    "007",
    "1.5",
    "'unterminated",
    "'a\\x41'",
    "{'a' 1}",
    "{'a': 1 'b': 2}",
    "(1 2)",
    "Truex",
    "true",
    "b'bytes'",
    "{'a': 1,,}",
    "[1,",
    "-",
    "1e3",
  ];
  for (const text of bad) {
    assert.throws(() => parsePyLiteral(text), PyLiteralSyntaxError, JSON.stringify(text));
  }
});

Deno.test("parsePyLiteral refuses deep nesting with a syntax error, not a stack overflow", () => {
  assert.throws(() => parsePyLiteral("(".repeat(100_000)), PyLiteralSyntaxError);
  assert.throws(() => parsePyLiteral("[".repeat(40) + "]".repeat(40)), PyLiteralSyntaxError);
  assert.deepEqual(plain(parsePyLiteral("[[[1]]]")), [[["1n"]]]);
});
