/** JSON nesting depth by scanning: equal to the depth of the parsed value, strings and escapes ignored. */
import assert from "node:assert/strict";
import { jsonNestingDepth } from "../../src/json/nesting_depth.ts";
import { mulberry32 } from "../../src/stats/mulberry32.ts";

/** Depth of a parsed value, recursively: the independent definition. */
function depthOf(v: unknown): number {
  if (Array.isArray(v)) return 1 + Math.max(0, ...v.map(depthOf));
  if (v && typeof v === "object") return 1 + Math.max(0, ...Object.values(v).map(depthOf));
  return 0;
}

function randomValue(rand: () => number, budget: number): unknown {
  const r = rand();
  if (budget <= 0 || r < 0.3) {
    const strings = ['a"[{', "\\", "}]", '\\"[', "plain", "\u2028[", ""];
    return r < 0.15 ? strings[Math.floor(rand() * strings.length)] : Math.floor(rand() * 100);
  }
  const n = Math.floor(rand() * 4);
  if (r < 0.65) return Array.from({ length: n }, () => randomValue(rand, budget - 1));
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}[{"`, randomValue(rand, budget - 1)]));
}

Deno.test("the scanned depth equals the parsed value's depth, whatever its strings hold", () => {
  const rand = mulberry32(11);
  for (let i = 0; i < 500; i++) {
    const v = randomValue(rand, 1 + Math.floor(rand() * 12));
    const text = JSON.stringify(v, null, i % 2 ? 1 : undefined);
    assert.equal(jsonNestingDepth(text, 100), depthOf(v), text);
  }
});

Deno.test("scanning stops once the limit is passed, so 100,000 levels cost nothing", () => {
  const deep = "[".repeat(100_000) + "]".repeat(100_000);
  const t0 = performance.now();
  assert.equal(jsonNestingDepth(deep, 32), 33);
  assert.equal(jsonNestingDepth("[".repeat(32) + "]".repeat(32), 32), 32);
  assert.equal(jsonNestingDepth('"[[[[[[[["', 2), 0);
  assert.ok(performance.now() - t0 < 50);
});
