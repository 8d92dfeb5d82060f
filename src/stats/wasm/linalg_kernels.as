// AssemblyScript source of the WebAssembly SIMD kernels behind the Frechet distance at large dimensions, the
// Gram matrices of KID, PRDC and pairwise distances where OpenBLAS is absent, and the per-batch co-moment of
// feature batches.
//
// Why WebAssembly: plain TypeScript reaches ~1 multiply-add per cycle on these loops; f64x2 SIMD with fused
// multiply-add (relaxed SIMD) and register blocking runs them several times faster, which is what puts FID
// at dimension 2048 under the target. The TypeScript versions (src/stats/pivoted_cholesky.ts, bidiagonal.ts,
// frechet_core.ts trapezoidalProduct) compute the same thing and stay the fallback and the test oracle.
//
// Why the ".as" extension: AssemblyScript types (f64, v128, usize) are not TypeScript, so Deno's checker,
// linter and formatter must not pick this file up. Build (reproducible, pinned compiler):
//   deno run -A src/wasm/build.ts
// which compiles it with npm assemblyscript@0.28.20 and writes linalg_kernels_wasm.ts (base64 + source hash).
//
// Memory is laid out by the caller (src/stats/linalg_wasm.ts) above heapBase(); all matrices are row-major
// Float64 with a leading dimension (row stride, in elements) that is a multiple of 4, padded with zeros.

/** First free byte of linear memory: the caller places its arrays from here on. */
export function heapBase(): usize {
  return __heap_base;
}

// ---------------------------------------------------------------------------------------------------------
// C = A * R^T (C[i][j] = sum_k A[i][k] * R[j][k]) is blocked by the caller (src/stats/linalg_wasm.ts), which
// calls packPanels once per (k block, R block) and gemmStrip once per 4-row strip of A.
//
// Why the loops over blocks live in the caller: V8 runs a wasm function first with its baseline compiler
// (Liftoff) and swaps in optimized code only for LATER calls (no on-stack replacement). One long call would
// run unoptimized start to finish (measured 2-3x slower); thousands of short calls get optimized code after
// the first few.
// ---------------------------------------------------------------------------------------------------------

/**
 * C[i0..i0+4)[j] += sum_{k in [ks, kEnd)} A[i][k] * R[j][k] for j in [jb, jEnd), from panels packed by
 * packPanels(R, ldr, jb, jEnd, k0, kcur, pack). jb, jEnd, ks, k0 and kcur are multiples of 4 (ks >= k0).
 */
export function gemmStrip(
  a: usize,
  lda: i32,
  i0: i32,
  ks: i32,
  kEnd: i32,
  k0: i32,
  kcur: i32,
  pack: usize,
  jb: i32,
  jEnd: i32,
  c: usize,
  ldc: i32,
): void {
  const aPtr = a + ((<usize>i0 * <usize>lda + <usize>ks) << 3);
  for (let j0 = jb; j0 < jEnd; j0 += 4) {
    const bPtr = pack + ((<usize>((j0 - jb) >> 2) * <usize>kcur + <usize>(ks - k0)) << 5);
    micro4x4(aPtr, <usize>lda << 3, bPtr, kEnd - ks, c + ((<usize>i0 * <usize>ldc + <usize>j0) << 3), <usize>ldc << 3);
  }
}

/**
 * Packs R[j][k0 .. k0+kcur) for j in [jb, jEnd) as panels of 4 rows interleaved by k: panel p holds, for each
 * kk, the 4 values R[jb+4p+q][k0+kk] (q = 0..3) contiguously, so the micro kernel reads it sequentially.
 */
export function packPanels(r: usize, ldr: i32, jb: i32, jEnd: i32, k0: i32, kcur: i32, pack: usize): void {
  for (let j0 = jb; j0 < jEnd; j0 += 4) {
    const dst = pack + ((<usize>((j0 - jb) >> 2) * <usize>kcur) << 5);
    const r0 = r + ((<usize>j0 * <usize>ldr + <usize>k0) << 3);
    const stride = <usize>ldr << 3;
    for (let kk = 0; kk < kcur; kk += 2) {
      const off = <usize>kk << 3;
      const x0 = v128.load(r0 + off);
      const x1 = v128.load(r0 + stride + off);
      const x2 = v128.load(r0 + 2 * stride + off);
      const x3 = v128.load(r0 + 3 * stride + off);
      const d = dst + (<usize>kk << 5);
      // [R0[k], R1[k]], [R2[k], R3[k]], [R0[k+1], R1[k+1]], [R2[k+1], R3[k+1]]
      v128.store(d, i64x2.shuffle(x0, x1, 0, 2));
      v128.store(d, i64x2.shuffle(x2, x3, 0, 2), 16);
      v128.store(d, i64x2.shuffle(x0, x1, 1, 3), 32);
      v128.store(d, i64x2.shuffle(x2, x3, 1, 3), 48);
    }
  }
}

// 4 x 4 tile of C += A[4 rows][kc] * packed panel (kc x 4). 8 f64x2 accumulators stay in registers.
function micro4x4(a: usize, lda8: usize, b: usize, kc: i32, c: usize, ldc8: usize): void {
  let c00 = f64x2.splat(0), c01 = f64x2.splat(0);
  let c10 = f64x2.splat(0), c11 = f64x2.splat(0);
  let c20 = f64x2.splat(0), c21 = f64x2.splat(0);
  let c30 = f64x2.splat(0), c31 = f64x2.splat(0);
  let a0 = a;
  const end = a + (<usize>kc << 3);
  while (a0 < end) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let x = v128.load64_splat(a0);
    c00 = f64x2.relaxed_madd(x, b0, c00);
    c01 = f64x2.relaxed_madd(x, b1, c01);
    x = v128.load64_splat(a0 + lda8);
    c10 = f64x2.relaxed_madd(x, b0, c10);
    c11 = f64x2.relaxed_madd(x, b1, c11);
    x = v128.load64_splat(a0 + 2 * lda8);
    c20 = f64x2.relaxed_madd(x, b0, c20);
    c21 = f64x2.relaxed_madd(x, b1, c21);
    x = v128.load64_splat(a0 + 3 * lda8);
    c30 = f64x2.relaxed_madd(x, b0, c30);
    c31 = f64x2.relaxed_madd(x, b1, c31);
    a0 += 8;
    b += 32;
  }
  v128.store(c, f64x2.add(v128.load(c), c00));
  v128.store(c, f64x2.add(v128.load(c, 16), c01), 16);
  c += ldc8;
  v128.store(c, f64x2.add(v128.load(c), c10));
  v128.store(c, f64x2.add(v128.load(c, 16), c11), 16);
  c += ldc8;
  v128.store(c, f64x2.add(v128.load(c), c20));
  v128.store(c, f64x2.add(v128.load(c, 16), c21), 16);
  c += ldc8;
  v128.store(c, f64x2.add(v128.load(c), c30));
  v128.store(c, f64x2.add(v128.load(c, 16), c31), 16);
}

// ---------------------------------------------------------------------------------------------------------
// Pivoted Cholesky (LAPACK dpstf2), one column per call: the same algorithm as src/stats/pivoted_cholesky.ts
// (read its comments). w is the full symmetric n x n working matrix (leading dimension lda) whose row
// prefixes become L; residual[i] is the diagonal of the remaining Schur complement; perm is i32.
// ---------------------------------------------------------------------------------------------------------

/** Column j: picks the largest remaining pivot, swaps it into place, forms L[j+1..n)[j]. 0 = stop (rank j). */
export function choleskyStep(w: usize, n: i32, lda: i32, j: i32, residual: usize, perm: usize, tol: f64): i32 {
  let p = j;
  let best = load<f64>(residual + (<usize>j << 3));
  for (let i = j + 1; i < n; i++) {
    const r = load<f64>(residual + (<usize>i << 3));
    if (r > best) {
      best = r;
      p = i;
    }
  }
  if (!(best > tol)) return 0;
  const ld8 = <usize>lda << 3;
  if (p != j) {
    const rj = w + <usize>j * ld8;
    const rp = w + <usize>p * ld8;
    for (let k = 0; k < n; k++) {
      const o = <usize>k << 3;
      const t = load<f64>(rj + o);
      store<f64>(rj + o, load<f64>(rp + o));
      store<f64>(rp + o, t);
    }
    const cj = w + (<usize>j << 3);
    const cp = w + (<usize>p << 3);
    for (let k = 0; k < n; k++) {
      const o = <usize>k * ld8;
      const t = load<f64>(cj + o);
      store<f64>(cj + o, load<f64>(cp + o));
      store<f64>(cp + o, t);
    }
    const tp = load<i32>(perm + (<usize>j << 2));
    store<i32>(perm + (<usize>j << 2), load<i32>(perm + (<usize>p << 2)));
    store<i32>(perm + (<usize>p << 2), tp);
    store<f64>(residual + (<usize>p << 3), load<f64>(residual + (<usize>j << 3)));
    store<f64>(residual + (<usize>j << 3), best);
  }
  const ljj = sqrt(best);
  const rowJ = w + <usize>j * ld8;
  const oj = <usize>j << 3;
  store<f64>(rowJ + oj, ljj);
  const inv = 1 / ljj;
  const jEven = <usize>(j & ~1) << 3;
  // L[i][j] = (A[i][j] - L[i][0..j) . L[j][0..j)) / L[j][j], two rows per pass over L[j].
  let i = j + 1;
  for (; i + 1 < n; i += 2) {
    const r0 = w + <usize>i * ld8;
    const r1 = r0 + ld8;
    let a0 = f64x2.splat(0);
    let a1 = f64x2.splat(0);
    let o: usize = 0;
    while (o < jEven) {
      const l = v128.load(rowJ + o);
      a0 = f64x2.relaxed_madd(v128.load(r0 + o), l, a0);
      a1 = f64x2.relaxed_madd(v128.load(r1 + o), l, a1);
      o += 16;
    }
    let s0 = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
    let s1 = f64x2.extract_lane(a1, 0) + f64x2.extract_lane(a1, 1);
    if (jEven < oj) {
      const l = load<f64>(rowJ + jEven);
      s0 += load<f64>(r0 + jEven) * l;
      s1 += load<f64>(r1 + jEven) * l;
    }
    const l0 = (load<f64>(r0 + oj) - s0) * inv;
    const l1 = (load<f64>(r1 + oj) - s1) * inv;
    store<f64>(r0 + oj, l0);
    store<f64>(r1 + oj, l1);
    const ri = residual + (<usize>i << 3);
    store<f64>(ri, load<f64>(ri) - l0 * l0);
    store<f64>(ri, load<f64>(ri, 8) - l1 * l1, 8);
  }
  if (i < n) {
    const r0 = w + <usize>i * ld8;
    let s0: f64 = 0;
    for (let k = 0; k < j; k++) s0 += load<f64>(r0 + (<usize>k << 3)) * load<f64>(rowJ + (<usize>k << 3));
    const l0 = (load<f64>(r0 + oj) - s0) * inv;
    store<f64>(r0 + oj, l0);
    const ri = residual + (<usize>i << 3);
    store<f64>(ri, load<f64>(ri) - l0 * l0);
  }
  return 1;
}

// ---------------------------------------------------------------------------------------------------------
// Co-moment of a centred feature batch (src/stats/moments.ts batchMoments): the packed upper triangle of
// sum_k x_k x_k^T, as a symmetric rank-k update (BLAS syrk) register-blocked in 4 x 4 tiles.
//
// The caller lays a block of centred samples out as panels: panel g holds, for each sample k, the 4 values of
// dimensions 4g..4g+3 contiguously, so both operands of a tile are read sequentially and a tile's 16 sums
// stay in registers over all samples of the block. Each packed entry is then written once per block of
// samples (once per batch at the usual batch sizes) instead of loaded and stored once per 4 samples as in
// the TypeScript loop, and the block's panels, which every strip re-reads, are sized to stay in L2. The
// caller makes one call per 4-row strip (the tier-up reason above). Lanes past dim in the last panel only
// ever reach entries past dim, which are never stored.
// ---------------------------------------------------------------------------------------------------------

// The 16 sums of a tile that touches the diagonal or the last columns, spilled for masked scalar stores.
const tileScratch = memory.data(128, 16);

/**
 * Adds sum_{k < kc} x_k[a] x_k[b] to the packed upper triangle cm (dim x dim, row-major, (a, b) at
 * a * dim - a (a + 1) / 2 + b) for rows a in [a0, a0 + 4) below dim and columns b in [a, dim), or stores it
 * there when !accumulate (the first block of samples: cm need not be zeroed). a0 is a multiple of 4; panels
 * start at `panels`, `pstride` bytes apart, samples 32 bytes apart within a panel.
 */
export function syrkPackedStep(
  panels: usize,
  pstride: usize,
  kc: i32,
  dim: i32,
  a0: i32,
  cm: usize,
  accumulate: bool,
): void {
  const aPanel = panels + <usize>(a0 >> 2) * pstride;
  const len = <usize>kc << 5;
  // Byte offsets of rows a0..a0+3 in cm, less 8 b: (a, b) lives at rowK + 8 b.
  const row0 = cm + (packedRowOffset(a0, dim) << 3);
  const row1 = cm + (packedRowOffset(a0 + 1, dim) << 3);
  const row2 = cm + (packedRowOffset(a0 + 2, dim) << 3);
  const row3 = cm + (packedRowOffset(a0 + 3, dim) << 3);
  for (let b0 = a0; b0 < dim; b0 += 4) {
    const bPanel = panels + <usize>(b0 >> 2) * pstride;
    let c00 = f64x2.splat(0), c01 = f64x2.splat(0);
    let c10 = f64x2.splat(0), c11 = f64x2.splat(0);
    let c20 = f64x2.splat(0), c21 = f64x2.splat(0);
    let c30 = f64x2.splat(0), c31 = f64x2.splat(0);
    // Two samples per iteration (measured ~12% faster than one: less loop overhead per multiply-add).
    const len2 = len & ~(<usize>63);
    let o: usize = 0;
    for (; o < len2; o += 64) {
      const pa = aPanel + o;
      const pb = bPanel + o;
      let b01 = v128.load(pb);
      let b23 = v128.load(pb, 16);
      let x = v128.load64_splat(pa);
      c00 = f64x2.relaxed_madd(x, b01, c00);
      c01 = f64x2.relaxed_madd(x, b23, c01);
      x = v128.load64_splat(pa, 8);
      c10 = f64x2.relaxed_madd(x, b01, c10);
      c11 = f64x2.relaxed_madd(x, b23, c11);
      x = v128.load64_splat(pa, 16);
      c20 = f64x2.relaxed_madd(x, b01, c20);
      c21 = f64x2.relaxed_madd(x, b23, c21);
      x = v128.load64_splat(pa, 24);
      c30 = f64x2.relaxed_madd(x, b01, c30);
      c31 = f64x2.relaxed_madd(x, b23, c31);
      b01 = v128.load(pb, 32);
      b23 = v128.load(pb, 48);
      x = v128.load64_splat(pa, 32);
      c00 = f64x2.relaxed_madd(x, b01, c00);
      c01 = f64x2.relaxed_madd(x, b23, c01);
      x = v128.load64_splat(pa, 40);
      c10 = f64x2.relaxed_madd(x, b01, c10);
      c11 = f64x2.relaxed_madd(x, b23, c11);
      x = v128.load64_splat(pa, 48);
      c20 = f64x2.relaxed_madd(x, b01, c20);
      c21 = f64x2.relaxed_madd(x, b23, c21);
      x = v128.load64_splat(pa, 56);
      c30 = f64x2.relaxed_madd(x, b01, c30);
      c31 = f64x2.relaxed_madd(x, b23, c31);
    }
    if (o < len) {
      const pa = aPanel + o;
      const pb = bPanel + o;
      const b01 = v128.load(pb);
      const b23 = v128.load(pb, 16);
      let x = v128.load64_splat(pa);
      c00 = f64x2.relaxed_madd(x, b01, c00);
      c01 = f64x2.relaxed_madd(x, b23, c01);
      x = v128.load64_splat(pa, 8);
      c10 = f64x2.relaxed_madd(x, b01, c10);
      c11 = f64x2.relaxed_madd(x, b23, c11);
      x = v128.load64_splat(pa, 16);
      c20 = f64x2.relaxed_madd(x, b01, c20);
      c21 = f64x2.relaxed_madd(x, b23, c21);
      x = v128.load64_splat(pa, 24);
      c30 = f64x2.relaxed_madd(x, b01, c30);
      c31 = f64x2.relaxed_madd(x, b23, c31);
    }
    if (b0 > a0 && b0 + 4 <= dim) {
      // Interior tile: all 16 entries are in the upper triangle, 4 contiguous per row.
      const ob = <usize>b0 << 3;
      const p0 = row0 + ob, p1 = row1 + ob, p2 = row2 + ob, p3 = row3 + ob;
      if (accumulate) {
        c00 = f64x2.add(v128.load(p0), c00);
        c01 = f64x2.add(v128.load(p0, 16), c01);
        c10 = f64x2.add(v128.load(p1), c10);
        c11 = f64x2.add(v128.load(p1, 16), c11);
        c20 = f64x2.add(v128.load(p2), c20);
        c21 = f64x2.add(v128.load(p2, 16), c21);
        c30 = f64x2.add(v128.load(p3), c30);
        c31 = f64x2.add(v128.load(p3, 16), c31);
      }
      v128.store(p0, c00);
      v128.store(p0, c01, 16);
      v128.store(p1, c10);
      v128.store(p1, c11, 16);
      v128.store(p2, c20);
      v128.store(p2, c21, 16);
      v128.store(p3, c30);
      v128.store(p3, c31, 16);
    } else {
      v128.store(tileScratch, c00);
      v128.store(tileScratch, c01, 16);
      v128.store(tileScratch, c10, 32);
      v128.store(tileScratch, c11, 48);
      v128.store(tileScratch, c20, 64);
      v128.store(tileScratch, c21, 80);
      v128.store(tileScratch, c30, 96);
      v128.store(tileScratch, c31, 112);
      putTileMasked(cm, dim, a0, b0, accumulate);
    }
  }
}

// Adds (or stores) the scratch tile's entries (a, b) with a <= b < dim (the diagonal tile, or columns cut
// by dim).
function putTileMasked(cm: usize, dim: i32, a0: i32, b0: i32, accumulate: bool): void {
  for (let r = 0; r < 4; r++) {
    const a = a0 + r;
    if (a >= dim) break;
    const row = cm + (packedRowOffset(a, dim) << 3);
    for (let q = 0; q < 4; q++) {
      const b = b0 + q;
      if (b < a || b >= dim) continue;
      const p = row + (<usize>b << 3);
      const v = load<f64>(tileScratch + (<usize>(r * 4 + q) << 3));
      store<f64>(p, accumulate ? load<f64>(p) + v : v);
    }
  }
}

// a * dim - a (a + 1) / 2: the packed index of (a, 0) if row a were full (a (a + 1) is even, so exact).
function packedRowOffset(a: i32, dim: i32): usize {
  return <usize>a * <usize>dim - ((<usize>a * <usize>(a + 1)) >> 1);
}

// ---------------------------------------------------------------------------------------------------------
// Golub-Kahan bidiagonalization (src/stats/bidiagonal.ts bidiagonalize: read its comments), the two passes
// over the trailing block of each step, vectorized over each row and two rows at a time so the loads of the
// shared vectors serve both. a is m x n row-major with leading dimension lda (a multiple of 4); u and z have m
// entries, v and w lda entries, zero past n (so the vector loops may run over the padding columns, which stay
// zero). The caller forms the Householder vectors and makes one call per pass (the tier-up reason above).
// ---------------------------------------------------------------------------------------------------------

/**
 * Pass 1 of step k, rows k..m-1: a[i][j] -= tauR z[i] v[j] (the previous step's right reflector) when
 * tauR != 0, then w[j] += u[i] a[i][j] when tauL != 0, for columns j in [k+1, n). w[k+1..n) must start zeroed.
 */
export function bidiagPass1(
  a: usize,
  lda: i32,
  m: i32,
  n: i32,
  k: i32,
  u: usize,
  w: usize,
  v: usize,
  z: usize,
  tauR: f64,
  tauL: f64,
): void {
  const j0 = k + 1;
  if (j0 >= n) return;
  // Scalar first column when j0 is odd, then f64x2 pairs up to the even bound past n.
  const jv = (j0 + 1) & ~1;
  const jEnd = (n + 1) & ~1;
  const ld8 = <usize>lda << 3;
  const update = tauR != 0;
  const accumulate = tauL != 0;
  let i = k;
  for (; i + 1 < m; i += 2) {
    const r0 = a + <usize>i * ld8;
    const r1 = r0 + ld8;
    const z0 = update ? tauR * load<f64>(z + (<usize>i << 3)) : 0;
    const z1 = update ? tauR * load<f64>(z + (<usize>i << 3), 8) : 0;
    const u0 = load<f64>(u + (<usize>i << 3));
    const u1 = load<f64>(u + (<usize>i << 3), 8);
    if (jv > j0) {
      const o = <usize>j0 << 3;
      const vj = load<f64>(v + o);
      const x0 = load<f64>(r0 + o) - z0 * vj;
      const x1 = load<f64>(r1 + o) - z1 * vj;
      store<f64>(r0 + o, x0);
      store<f64>(r1 + o, x1);
      if (accumulate) store<f64>(w + o, load<f64>(w + o) + u0 * x0 + u1 * x1);
    }
    const zz0 = f64x2.splat(z0);
    const zz1 = f64x2.splat(z1);
    const uu0 = f64x2.splat(u0);
    const uu1 = f64x2.splat(u1);
    const end = <usize>jEnd << 3;
    let o = <usize>jv << 3;
    if (update && accumulate) {
      for (; o < end; o += 16) {
        const vv = v128.load(v + o);
        const x0 = f64x2.relaxed_nmadd(zz0, vv, v128.load(r0 + o));
        const x1 = f64x2.relaxed_nmadd(zz1, vv, v128.load(r1 + o));
        v128.store(r0 + o, x0);
        v128.store(r1 + o, x1);
        v128.store(w + o, f64x2.relaxed_madd(uu1, x1, f64x2.relaxed_madd(uu0, x0, v128.load(w + o))));
      }
    } else if (update) {
      for (; o < end; o += 16) {
        const vv = v128.load(v + o);
        v128.store(r0 + o, f64x2.relaxed_nmadd(zz0, vv, v128.load(r0 + o)));
        v128.store(r1 + o, f64x2.relaxed_nmadd(zz1, vv, v128.load(r1 + o)));
      }
    } else if (accumulate) {
      for (; o < end; o += 16) {
        const s = f64x2.relaxed_madd(uu0, v128.load(r0 + o), v128.load(w + o));
        v128.store(w + o, f64x2.relaxed_madd(uu1, v128.load(r1 + o), s));
      }
    }
  }
  if (i < m) {
    const r0 = a + <usize>i * ld8;
    const z0 = update ? tauR * load<f64>(z + (<usize>i << 3)) : 0;
    const u0 = load<f64>(u + (<usize>i << 3));
    for (let j = j0; j < n; j++) {
      const o = <usize>j << 3;
      const x0 = load<f64>(r0 + o) - z0 * load<f64>(v + o);
      store<f64>(r0 + o, x0);
      if (accumulate) store<f64>(w + o, load<f64>(w + o) + u0 * x0);
    }
  }
}

/**
 * Pass 2 of step k, rows k+1..m-1: a[i][j] -= tauL u[i] w[j] for columns j in [k+1, n), then
 * z[i] = sum_j a[i][j] v[j] over the same columns from the fresh values.
 */
export function bidiagPass2(
  a: usize,
  lda: i32,
  m: i32,
  n: i32,
  k: i32,
  u: usize,
  w: usize,
  v: usize,
  z: usize,
  tauL: f64,
): void {
  const j0 = k + 1;
  const jv = (j0 + 1) & ~1;
  const jEnd = (n + 1) & ~1;
  const ld8 = <usize>lda << 3;
  let i = k + 1;
  for (; i + 1 < m; i += 2) {
    const r0 = a + <usize>i * ld8;
    const r1 = r0 + ld8;
    const t0 = tauL * load<f64>(u + (<usize>i << 3));
    const t1 = tauL * load<f64>(u + (<usize>i << 3), 8);
    let s0: f64 = 0;
    let s1: f64 = 0;
    if (jv > j0) {
      const o = <usize>j0 << 3;
      const wj = load<f64>(w + o);
      const vj = load<f64>(v + o);
      const x0 = load<f64>(r0 + o) - t0 * wj;
      const x1 = load<f64>(r1 + o) - t1 * wj;
      store<f64>(r0 + o, x0);
      store<f64>(r1 + o, x1);
      s0 = x0 * vj;
      s1 = x1 * vj;
    }
    const tt0 = f64x2.splat(t0);
    const tt1 = f64x2.splat(t1);
    let d0 = f64x2.splat(0);
    let d1 = f64x2.splat(0);
    const end = <usize>jEnd << 3;
    for (let o = <usize>jv << 3; o < end; o += 16) {
      const ww = v128.load(w + o);
      const vv = v128.load(v + o);
      const x0 = f64x2.relaxed_nmadd(tt0, ww, v128.load(r0 + o));
      const x1 = f64x2.relaxed_nmadd(tt1, ww, v128.load(r1 + o));
      v128.store(r0 + o, x0);
      v128.store(r1 + o, x1);
      d0 = f64x2.relaxed_madd(x0, vv, d0);
      d1 = f64x2.relaxed_madd(x1, vv, d1);
    }
    store<f64>(z + (<usize>i << 3), s0 + f64x2.extract_lane(d0, 0) + f64x2.extract_lane(d0, 1));
    store<f64>(z + (<usize>i << 3), s1 + f64x2.extract_lane(d1, 0) + f64x2.extract_lane(d1, 1), 8);
  }
  if (i < m) {
    const r0 = a + <usize>i * ld8;
    const t0 = tauL * load<f64>(u + (<usize>i << 3));
    let s0: f64 = 0;
    for (let j = j0; j < n; j++) {
      const o = <usize>j << 3;
      const x0 = load<f64>(r0 + o) - t0 * load<f64>(w + o);
      store<f64>(r0 + o, x0);
      s0 += x0 * load<f64>(v + o);
    }
    store<f64>(z + (<usize>i << 3), s0);
  }
}
