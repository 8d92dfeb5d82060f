import assert from "node:assert/strict";
import { wasmLinalg, withKernels } from "../../src/stats/linalg_wasm.ts";

Deno.test("the WebAssembly SIMD kernels load in this runtime", () => {
  assert.notEqual(wasmLinalg(), null);
});

Deno.test("withKernels runs the kernels, or the TypeScript path when asked for it", () => {
  assert.equal(withKernels("auto", () => "wasm", () => "ts"), "wasm");
  assert.equal(withKernels("wasm", () => "wasm", () => "ts"), "wasm");
  assert.equal(withKernels("ts", () => "wasm", () => "ts"), "ts");
});

Deno.test("withKernels falls back to TypeScript when wasm memory runs out, unless wasm was required", () => {
  const outOfMemory = () => {
    throw new RangeError("WebAssembly.Memory.grow(): Maximum memory size exceeded");
  };
  assert.equal(withKernels("auto", outOfMemory, () => "ts"), "ts");
  assert.throws(() => withKernels("wasm", outOfMemory, () => "ts"), RangeError);
  // Other failures are bugs, not capacity: they surface.
  assert.throws(() =>
    withKernels("auto", () => {
      throw new TypeError("bug");
    }, () => "ts"), TypeError);
});

Deno.test("a job larger than 32-bit wasm memory really throws RangeError (so the fallback above is reached)", () => {
  // 3 x 24,000^2 doubles = 13.8 GB > 4 GiB: the instance's memory.grow must refuse before any copying.
  const n = 24000;
  assert.throws(
    () => wasmLinalg()!.trapezoidalProduct(new Float64Array(0), n, new Float64Array(0), n, n),
    RangeError,
  );
});
