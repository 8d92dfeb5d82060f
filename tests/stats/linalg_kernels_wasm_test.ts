import assert from "node:assert/strict";
import { LINALG_KERNELS_SOURCE_SHA256 } from "../../src/stats/wasm/linalg_kernels_wasm.ts";
import { linalgKernelsSourceSha256 } from "../../src/stats/wasm/source_hash.ts";

Deno.test("the shipped WebAssembly module was built from the current linalg_kernels.as", async () => {
  const source = await Deno.readTextFile(new URL("../../src/stats/wasm/linalg_kernels.as", import.meta.url));
  assert.equal(
    await linalgKernelsSourceSha256(source),
    LINALG_KERNELS_SOURCE_SHA256,
    "linalg_kernels.as changed: rebuild with `deno run -A src/stats/wasm/build.ts`",
  );
});
