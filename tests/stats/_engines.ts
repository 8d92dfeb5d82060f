/** The Gram engines this machine has, for tests that run every path: OpenBLAS (where it loads), wasm, TypeScript. */
import { loadOpenBlas } from "../../src/native/openblas.ts";
import type { GramOptions } from "../../src/stats/gram_engine.ts";

const native = loadOpenBlas()?.linalg ?? null;
if (!native) {
  console.warn("OpenBLAS not loadable here: the native engine is not tested (Debian: libopenblas0-pthread)");
}

/** [name, options] of every engine: "native" first when OpenBLAS loads, then "wasm" and "ts". */
export const ENGINES: [string, GramOptions][] = [
  ...(native ? [["native", { native }] as [string, GramOptions]] : []),
  ["wasm", { backend: "wasm" }],
  ["ts", { backend: "ts" }],
];

/** OpenBLAS's level-3 BLAS and LAPACK, or null. */
export const NATIVE = native;
