import assert from "node:assert/strict";
import { expectAtLeast, expectPositionals, intFlag, parseArgs, UsageError } from "../../cli/args.ts";

const SPEC = { chunk: "int", out: "string", "no-shuffle": "bool" } as const;

Deno.test("parseArgs separates positionals from --flag value, --flag=value and bare booleans", () => {
  const a = parseArgs(["x.npy", "--chunk", "10", "y.npy", "--out=o.npz", "--no-shuffle", "--", "--z"], SPEC);
  assert.deepEqual(a.positionals, ["x.npy", "y.npy", "--z"]);
  assert.equal(a.flags.get("chunk"), 10);
  assert.equal(a.flags.get("out"), "o.npz");
  assert.equal(a.flags.get("no-shuffle"), true);
  assert.equal(intFlag(a, "chunk", 1000, 1), 10);
  assert.equal(intFlag(parseArgs([], SPEC), "chunk", 1000, 1), 1000);
});

Deno.test("parseArgs reports unknown, repeated, valueless and non-integer flags as UsageError", () => {
  const bad = [
    ["--nope"],
    ["--chunk", "1", "--chunk", "2"],
    ["--chunk"],
    ["--chunk", "1.5"],
    ["--chunk=abc"],
    [
      "--no-shuffle=yes",
    ],
  ];
  for (const argv of bad) assert.throws(() => parseArgs(argv, SPEC), UsageError, argv.join(" "));
  assert.throws(() => intFlag(parseArgs(["--chunk", "0"], SPEC), "chunk", 1000, 1), /at least 1, got 0/);
  assert.throws(() => expectPositionals(parseArgs(["a"], SPEC), 2, "two files"), /expected two files, got 1/);
  assert.throws(() => expectAtLeast(parseArgs([], SPEC), 1, "a file"), UsageError);
});
