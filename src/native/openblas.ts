/**
 * OpenBLAS through Deno's FFI: single-precision GEMM for the CPU networks' matrix products (fid-inception's
 * "blas" engine), the float64 co-moment of a feature batch (dsyrk) for the running statistics, and (`linalg`)
 * the level-3 products and LAPACK factorizations behind FID, KID, PRDC and pairwise distances at finalize.
 *
 * Why native code at all: WebAssembly SIMD is 128 bits wide, so the project's own kernels top out near
 * 24 GMAC/s (float32) per core here, while OpenBLAS's AVX-512 kernels reach 55-90 on the same core
 * (bench/extraction_bench.ts and bench/moments_bench.ts measure the difference end to end). OpenBLAS is a
 * system library (Debian: libopenblas0-pthread); when it is absent, or the process may not load native code
 * (--allow-ffi), the callers keep to WebAssembly. Nothing here is required: it is passed in where it loads.
 *
 * sgemm works on matrices in a WebAssembly memory, in place through its address, so nothing is copied. That
 * address changes whenever the memory grows, so callers take it after growing.
 */

import type { NativeLinalg } from "./native_linalg.ts";

/** Environment variable naming the OpenBLAS shared library (default: the system's libopenblas.so.0). */
export const OPENBLAS_ENV = "FIDSTREAM_OPENBLAS";

const CBLAS_ROW_MAJOR = 101;
const CBLAS_NO_TRANS = 111;
const CBLAS_TRANS = 112;
const CBLAS_COL_MAJOR = 102;
const CBLAS_UPPER = 121;
const CBLAS_LOWER = 122;
const CBLAS_LEFT = 141;
const CBLAS_NON_UNIT = 131;

/** cblas_?gemm's parameters: order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc. */
function gemmParameters<R extends "f32" | "f64", M extends "usize" | "buffer">(real: R, matrix: M) {
  return [
    "i32",
    "i32",
    "i32",
    "i32",
    "i32",
    "i32",
    real,
    matrix,
    "i32",
    matrix,
    "i32",
    real,
    matrix,
    "i32",
  ] as const;
}

/** A Fortran routine's parameters: `byReference` pointers, then one hidden length per character argument. */
function fortranArgs(byReference: number, characters: number): Deno.NativeType[] {
  return [...Array(byReference).fill("buffer"), ...Array(characters).fill("usize")];
}

const SYMBOLS = {
  // order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc (matrices as plain addresses)
  cblas_sgemm: { parameters: gemmParameters("f32", "usize"), result: "void" },
  cblas_dsyrk: {
    // order, uplo, trans, n, k, alpha, a, lda, beta, c, ldc
    parameters: ["i32", "i32", "i32", "i32", "i32", "f64", "usize", "i32", "f64", "usize", "i32"],
    result: "void",
  },
  openblas_set_num_threads: { parameters: ["i32"], result: "void" },
  openblas_get_corename: { parameters: [], result: "pointer" },
  // The rest serve `linalg`; optional, so a library built without LAPACK still serves the networks.
  cblas_dgemm: { parameters: gemmParameters("f64", "buffer"), result: "void", optional: true },
  cblas_sgemm_buffers: {
    name: "cblas_sgemm",
    parameters: gemmParameters("f32", "buffer"),
    result: "void",
    optional: true,
  },
  cblas_dsyrk_buffers: {
    // cblas_dsyrk again, with typed arrays instead of addresses
    name: "cblas_dsyrk",
    parameters: ["i32", "i32", "i32", "i32", "i32", "f64", "buffer", "i32", "f64", "buffer", "i32"],
    result: "void",
    optional: true,
  },
  cblas_ssyrk: {
    parameters: ["i32", "i32", "i32", "i32", "i32", "f32", "buffer", "i32", "f32", "buffer", "i32"],
    result: "void",
    optional: true,
  },
  cblas_dtrmm: {
    // order, side, uplo, transA, diag, m, n, alpha, a, lda, b, ldb
    parameters: ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "f64", "buffer", "i32", "buffer", "i32"],
    result: "void",
    optional: true,
  },
  // Fortran LAPACK: every argument by reference, then the hidden lengths of the character arguments.
  dpstrf_: { parameters: fortranArgs(9, 1), result: "void", optional: true }, // uplo n a lda piv rank tol work info
  dgesdd_: { parameters: fortranArgs(14, 1), result: "void", optional: true }, // jobz m n a lda s u ldu vt ldvt work lwork iwork info
  dsyevd_: { parameters: fortranArgs(11, 2), result: "void", optional: true }, // jobz uplo n a lda w work lwork iwork liwork info
} as const;

/** A loaded OpenBLAS: row-major float32 GEMM on addresses. */
export interface OpenBlas {
  /** The library file that was loaded. */
  readonly library: string;
  /** The kernel family OpenBLAS picked for this processor (e.g. "SkylakeX", "Haswell"). */
  readonly core: string;
  /** C[m x n] = A[m x k] B[k x n] (row-major; leading dimensions in elements; addresses in bytes). */
  sgemm(
    m: number,
    n: number,
    k: number,
    a: number,
    lda: number,
    b: number,
    ldb: number,
    c: number,
    ldc: number,
  ): void;
  /**
   * The co-moment sum_i x_i x_i^T of n centred dim-d rows (row-major float64), as the packed upper triangle
   * (row a holds columns a..dim-1) that src/stats/moments.ts keeps; summed in float64 by dsyrk.
   */
  packedComoment(centred: Float64Array, n: number, dim: number): Float64Array;
  /** Level-3 BLAS and LAPACK on typed arrays; null when the library lacks one of the symbols they need. */
  readonly linalg: NativeLinalg | null;
}

/** Per list of candidate libraries. */
const loaded = new Map<string, { blas: OpenBlas | null; reason: string }>();

/** The system's OpenBLAS, under the names it has on Debian, other Linux and macOS. */
const SYSTEM_LIBRARIES = ["libopenblas.so.0", "libopenblas.so", "libopenblas.dylib"];

/** The library names tried in order: `library` when given (the configured one), else the system's. */
function candidates(library?: string): string[] {
  return library ? [library] : SYSTEM_LIBRARIES;
}

/**
 * OpenBLAS for this thread (`library`: the configured file, default the system's), loaded once, set to one thread
 * per caller (the worker pool is the parallelism: one worker per core); null when it cannot be loaded
 * (openBlasUnavailableReason says why).
 */
export function loadOpenBlas(library?: string): OpenBlas | null {
  const libraries = candidates(library);
  const key = libraries.join("\n");
  const known = loaded.get(key);
  if (known) return known.blas;
  const errors: string[] = [];
  for (const library of libraries) {
    try {
      const lib = Deno.dlopen(library, SYMBOLS);
      lib.symbols.openblas_set_num_threads(1);
      const name = lib.symbols.openblas_get_corename();
      const core = name ? new Deno.UnsafePointerView(name).getCString() : "unknown";
      // Deno's FFI takes plain numbers for 64-bit arguments too (addresses stay below 2^53), which spares a
      // BigInt per call; its type declarations only say bigint.
      const gemm = lib.symbols.cblas_sgemm as unknown as (...args: number[]) => void;
      const syrk = lib.symbols.cblas_dsyrk as unknown as (...args: number[]) => void;
      let full = new Float64Array(0); // dsyrk's dim x dim output, reused: 32 MiB at D = 2048
      const linalg = bindLinalg(lib.symbols);
      const result: { blas: OpenBlas; reason: string } = {
        reason: "",
        blas: {
          library,
          core,
          linalg,
          sgemm: (m, n, k, a, lda, b, ldb, c, ldc) =>
            gemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_NO_TRANS, m, n, k, 1, a, lda, b, ldb, 0, c, ldc),
          packedComoment(centred, n, dim) {
            if (centred.length !== n * dim) {
              throw new Error(`expected ${n} x ${dim} values, got ${centred.length}`);
            }
            const packed = new Float64Array((dim * (dim + 1)) / 2);
            if (n === 0 || dim === 0) return packed;
            if (full.length < dim * dim) full = new Float64Array(dim * dim);
            // C = A^T A with A the n x dim rows; the upper triangle of C, row-major, is the packed layout.
            syrk(
              CBLAS_ROW_MAJOR,
              CBLAS_UPPER,
              CBLAS_TRANS,
              dim,
              n,
              1,
              addressOf(centred),
              dim,
              0,
              addressOf(full),
              dim,
            );
            let at = 0;
            for (let a = 0; a < dim; a++) {
              packed.set(full.subarray(a * dim + a, (a + 1) * dim), at);
              at += dim - a;
            }
            return packed;
          },
        },
      };
      loaded.set(key, result);
      return result.blas;
    } catch (e) {
      errors.push(`${library}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  loaded.set(key, { blas: null, reason: errors.join("; ") });
  return null;
}

/** Why loadOpenBlas(library) returned null ("" when it loaded or was not tried). */
export function openBlasUnavailableReason(library?: string): string {
  return loaded.get(candidates(library).join("\n"))?.reason ?? "";
}

/** The address of a WebAssembly memory's first byte (valid until the memory grows). */
export function memoryAddress(memory: WebAssembly.Memory): number {
  return addressOf(new Uint8Array(memory.buffer));
}

/** The address of a typed array's first element (valid while the array lives, during a synchronous call). */
function addressOf(array: Uint8Array | Float64Array): number {
  return Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(array)));
}

type Symbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** The `linalg` half of a loaded library, or null when one of its symbols is missing. */
function bindLinalg(sym: Symbols): NativeLinalg | null {
  const {
    cblas_dgemm,
    cblas_sgemm_buffers,
    cblas_dsyrk_buffers,
    cblas_ssyrk,
    cblas_dtrmm,
    dpstrf_,
    dgesdd_,
    dsyevd_,
  } = sym;
  if (!cblas_dgemm || !cblas_sgemm_buffers || !cblas_dsyrk_buffers || !cblas_ssyrk || !cblas_dtrmm) {
    return null;
  }
  if (!dpstrf_ || !dgesdd_ || !dsyevd_) return null;
  const trans = (t: boolean) => (t ? CBLAS_TRANS : CBLAS_NO_TRANS);
  // Scalars LAPACK takes by reference.
  const int = (v: number) => Int32Array.of(v);
  const char = (c: string) => Uint8Array.of(c.charCodeAt(0));
  const checkInfo = (routine: string, info: Int32Array) => {
    if (info[0] < 0) throw new Error(`${routine}: argument ${-info[0]} was illegal`);
  };
  return {
    dgemm: (ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) =>
      cblas_dgemm(CBLAS_ROW_MAJOR, trans(ta), trans(tb), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc),
    sgemm: (ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) =>
      cblas_sgemm_buffers(
        CBLAS_ROW_MAJOR,
        trans(ta),
        trans(tb),
        m,
        n,
        k,
        alpha,
        a,
        lda,
        b,
        ldb,
        beta,
        c,
        ldc,
      ),
    ssyrk: (n, k, alpha, a, lda, beta, c, ldc) =>
      cblas_ssyrk(CBLAS_ROW_MAJOR, CBLAS_UPPER, CBLAS_NO_TRANS, n, k, alpha, a, lda, beta, c, ldc),
    dsyrk: (n, k, alpha, a, lda, beta, c, ldc) =>
      cblas_dsyrk_buffers(CBLAS_ROW_MAJOR, CBLAS_UPPER, CBLAS_NO_TRANS, n, k, alpha, a, lda, beta, c, ldc),
    dtrmmLowerTransposedLeft: (m, n, a, lda, b, ldb) =>
      cblas_dtrmm(
        CBLAS_COL_MAJOR,
        CBLAS_LEFT,
        CBLAS_LOWER,
        CBLAS_TRANS,
        CBLAS_NON_UNIT,
        m,
        n,
        1,
        a,
        lda,
        b,
        ldb,
      ),
    pivotedCholesky(n, a, lda, tol) {
      const piv = new Int32Array(Math.max(1, n));
      const rank = int(0), info = int(0);
      if (n > 0) {
        dpstrf_(
          char("L"),
          int(n),
          a,
          int(lda),
          piv,
          rank,
          Float64Array.of(tol),
          new Float64Array(2 * n),
          info,
          1n, // hidden length of the character argument
        );
      }
      checkInfo("dpstrf", info);
      const perm = new Int32Array(n);
      for (let i = 0; i < n; i++) perm[i] = piv[i] - 1;
      return { rank: rank[0], perm };
    },
    singularValues(m, n, a, lda) {
      const k = Math.min(m, n);
      const s = new Float64Array(k);
      if (k === 0) return s;
      const info = int(0), query = new Float64Array(1), iwork = new Int32Array(8 * k);
      const call = (work: Float64Array, lwork: number) =>
        dgesdd_(
          char("N"),
          int(m),
          int(n),
          a,
          int(lda),
          s,
          query,
          int(1),
          query,
          int(1),
          work,
          int(lwork),
          iwork,
          info,
          1n, // hidden length of the character argument
        );
      call(query, -1); // workspace query
      checkInfo("dgesdd", info);
      call(new Float64Array(Math.ceil(query[0])), Math.ceil(query[0]));
      checkInfo("dgesdd", info);
      if (info[0] > 0) throw new Error(`dgesdd: the singular value iteration did not converge (${info[0]})`);
      return s;
    },
    symmetricEigenvalues(n, a, lda) {
      const w = new Float64Array(n);
      if (n === 0) return w;
      const info = int(0), query = new Float64Array(1), iquery = new Int32Array(1);
      const call = (work: Float64Array, lwork: number, iwork: Int32Array, liwork: number) =>
        dsyevd_(
          char("N"),
          char("L"),
          int(n),
          a,
          int(lda),
          w,
          work,
          int(lwork),
          iwork,
          int(liwork),
          info,
          1n, // hidden lengths of the two character arguments
          1n,
        );
      call(query, -1, iquery, -1); // workspace query
      checkInfo("dsyevd", info);
      const lwork = Math.ceil(query[0]), liwork = Math.max(1, iquery[0]);
      call(new Float64Array(lwork), lwork, new Int32Array(liwork), liwork);
      checkInfo("dsyevd", info);
      if (info[0] > 0) throw new Error(`dsyevd: the eigenvalue iteration did not converge (${info[0]})`);
      return w;
    },
    withThreads(threads, fn) {
      sym.openblas_set_num_threads(Math.max(1, threads));
      try {
        return fn();
      } finally {
        sym.openblas_set_num_threads(1);
      }
    },
  };
}
