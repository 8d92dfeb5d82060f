// AssemblyScript source of the WebAssembly SIMD kernels behind fid-inception on the CPU (wasm_network.ts).
//
// Why not tfjs-backend-wasm for these: its convolutions (XNNPACK, built without fused multiply-add) ran
// InceptionV3 at ~3 images/s per core here, below torch's ~4 per core on the same machine (ENVIRONMENT.md).
// The convolution below is an implicit GEMM (no im2col copy) with a 6 x 8 register tile and relaxed-SIMD
// fused multiply-add (one vfmadd per 4 multiply-adds on x86), the same float32 arithmetic as torch's
// kernels: products summed in float32, bias added first, ReLU last.
//
// Why the ".as" extension and the build: see src/wasm/build.ts (pinned assemblyscript; the generated
// inception_kernels_wasm.ts records the source's SHA-256 and a test compares it).
//
// Layout: activations are NHWC float32, rows = (image, y, x) pixels, channels contiguous. A convolution's
// weights are packed by the caller in panels of 8 output channels: panel p holds, for each tap (dy, dx) in
// row-major order and each input channel ci, the 8 weights W[dy][dx][ci][8p .. 8p+8) contiguously.

/** First free byte of linear memory: the caller places its buffers from here on. */
export function heapBase(): usize {
  return __heap_base;
}

// Address of input pixel (iy, ix) of the image whose first row is rowImg (img * inH), or of the zero row
// when the pixel is padding (or the output row does not exist: rowImg < 0).
// @ts-ignore: decorator
@inline
function tapPtr(x: usize, iy: i32, ix: i32, rowImg: i32, inH: i32, inW: i32, cin4: usize, zero: usize): usize {
  if (rowImg < 0 || <u32>iy >= <u32>inH || <u32>ix >= <u32>inW) return zero;
  return x + <usize>((rowImg + iy) * inW + ix) * cin4;
}

/**
 * y[row][8p .. 8p+8) = act(bias + sum over taps and input channels of x * w) for the output rows
 * [row0, row0 + 6) that exist (row < m) and the panels p in [pBegin, pEnd); act is ReLU when relu != 0.
 * The input is n x inH x inW x cin; output row = (img * outH + oy) * outW + ox, stored with row stride ldy
 * (the channel count of the tensor the output is written into: a concatenation writes at an offset).
 * `zero` points at cin zero floats (padding). Per tap the six row addresses are one pointer plus fixed
 * offsets, so the inner loop advances one pointer (measured ~10% faster than six, and than unrolling by 4).
 */
export function convStrip(
  x: usize,
  inH: i32,
  inW: i32,
  cin: i32,
  outW: i32,
  outHW: i32,
  m: i32,
  row0: i32,
  kh: i32,
  kw: i32,
  stride: i32,
  padH: i32,
  padW: i32,
  zero: usize,
  w: usize,
  pBegin: i32,
  pEnd: i32,
  bias: usize,
  relu: i32,
  y: usize,
  ldy: i32,
): void {
  const cin4 = <usize>cin << 2;
  const panelBytes = <usize>(kh * kw) * (<usize>cin << 5);
  const zero4 = f32x4.splat(0);
    let rowImg0 = -1, rowIy0 = 0, rowIx0 = 0;
    if (row0 + 0 < m) {
      const row = row0 + 0;
      const img = row / outHW;
      const rem = row - img * outHW;
      const oy = rem / outW;
      rowImg0 = img * inH;
      rowIy0 = oy * stride - padH;
      rowIx0 = (rem - oy * outW) * stride - padW;
    }
    let rowImg1 = -1, rowIy1 = 0, rowIx1 = 0;
    if (row0 + 1 < m) {
      const row = row0 + 1;
      const img = row / outHW;
      const rem = row - img * outHW;
      const oy = rem / outW;
      rowImg1 = img * inH;
      rowIy1 = oy * stride - padH;
      rowIx1 = (rem - oy * outW) * stride - padW;
    }
    let rowImg2 = -1, rowIy2 = 0, rowIx2 = 0;
    if (row0 + 2 < m) {
      const row = row0 + 2;
      const img = row / outHW;
      const rem = row - img * outHW;
      const oy = rem / outW;
      rowImg2 = img * inH;
      rowIy2 = oy * stride - padH;
      rowIx2 = (rem - oy * outW) * stride - padW;
    }
    let rowImg3 = -1, rowIy3 = 0, rowIx3 = 0;
    if (row0 + 3 < m) {
      const row = row0 + 3;
      const img = row / outHW;
      const rem = row - img * outHW;
      const oy = rem / outW;
      rowImg3 = img * inH;
      rowIy3 = oy * stride - padH;
      rowIx3 = (rem - oy * outW) * stride - padW;
    }
    let rowImg4 = -1, rowIy4 = 0, rowIx4 = 0;
    if (row0 + 4 < m) {
      const row = row0 + 4;
      const img = row / outHW;
      const rem = row - img * outHW;
      const oy = rem / outW;
      rowImg4 = img * inH;
      rowIy4 = oy * stride - padH;
      rowIx4 = (rem - oy * outW) * stride - padW;
    }
    let rowImg5 = -1, rowIy5 = 0, rowIx5 = 0;
    if (row0 + 5 < m) {
      const row = row0 + 5;
      const img = row / outHW;
      const rem = row - img * outHW;
      const oy = rem / outW;
      rowImg5 = img * inH;
      rowIy5 = oy * stride - padH;
      rowIx5 = (rem - oy * outW) * stride - padW;
    }
  for (let p = pBegin; p < pEnd; p++) {
    const bias0 = v128.load(bias + (<usize>p << 5));
    const bias1 = v128.load(bias + (<usize>p << 5), 16);
    let c00 = bias0, c01 = bias1;
    let c10 = bias0, c11 = bias1;
    let c20 = bias0, c21 = bias1;
    let c30 = bias0, c31 = bias1;
    let c40 = bias0, c41 = bias1;
    let c50 = bias0, c51 = bias1;
    let wp = w + <usize>p * panelBytes;
    let b0 = zero4, b1 = zero4, s = zero4;
    for (let dy = 0; dy < kh; dy++) {
      for (let dx = 0; dx < kw; dx++) {
        let a0: usize = tapPtr(x, rowIy0 + dy, rowIx0 + dx, rowImg0, inH, inW, cin4, zero);
        const o1: usize = tapPtr(x, rowIy1 + dy, rowIx1 + dx, rowImg1, inH, inW, cin4, zero) - a0;
        const o2: usize = tapPtr(x, rowIy2 + dy, rowIx2 + dx, rowImg2, inH, inW, cin4, zero) - a0;
        const o3: usize = tapPtr(x, rowIy3 + dy, rowIx3 + dx, rowImg3, inH, inW, cin4, zero) - a0;
        const o4: usize = tapPtr(x, rowIy4 + dy, rowIx4 + dx, rowImg4, inH, inW, cin4, zero) - a0;
        const o5: usize = tapPtr(x, rowIy5 + dy, rowIx5 + dx, rowImg5, inH, inW, cin4, zero) - a0;
        const aEnd = a0 + cin4;
        while (a0 < aEnd) {
          b0 = v128.load(wp, 0);
          b1 = v128.load(wp, 16);
          s = v128.load32_splat(a0, 0);
          c00 = f32x4.relaxed_madd(s, b0, c00);
          c01 = f32x4.relaxed_madd(s, b1, c01);
          s = v128.load32_splat(a0 + o1);
          c10 = f32x4.relaxed_madd(s, b0, c10);
          c11 = f32x4.relaxed_madd(s, b1, c11);
          s = v128.load32_splat(a0 + o2);
          c20 = f32x4.relaxed_madd(s, b0, c20);
          c21 = f32x4.relaxed_madd(s, b1, c21);
          s = v128.load32_splat(a0 + o3);
          c30 = f32x4.relaxed_madd(s, b0, c30);
          c31 = f32x4.relaxed_madd(s, b1, c31);
          s = v128.load32_splat(a0 + o4);
          c40 = f32x4.relaxed_madd(s, b0, c40);
          c41 = f32x4.relaxed_madd(s, b1, c41);
          s = v128.load32_splat(a0 + o5);
          c50 = f32x4.relaxed_madd(s, b0, c50);
          c51 = f32x4.relaxed_madd(s, b1, c51);
          wp += 32;
          a0 += 4;
        }
      }
    }
    if (row0 + 0 < m) {
      const out = y + ((<usize>(row0 + 0) * <usize>ldy + <usize>(p << 3)) << 2);
      v128.store(out, relu ? f32x4.max(c00, zero4) : c00);
      v128.store(out, relu ? f32x4.max(c01, zero4) : c01, 16);
    }
    if (row0 + 1 < m) {
      const out = y + ((<usize>(row0 + 1) * <usize>ldy + <usize>(p << 3)) << 2);
      v128.store(out, relu ? f32x4.max(c10, zero4) : c10);
      v128.store(out, relu ? f32x4.max(c11, zero4) : c11, 16);
    }
    if (row0 + 2 < m) {
      const out = y + ((<usize>(row0 + 2) * <usize>ldy + <usize>(p << 3)) << 2);
      v128.store(out, relu ? f32x4.max(c20, zero4) : c20);
      v128.store(out, relu ? f32x4.max(c21, zero4) : c21, 16);
    }
    if (row0 + 3 < m) {
      const out = y + ((<usize>(row0 + 3) * <usize>ldy + <usize>(p << 3)) << 2);
      v128.store(out, relu ? f32x4.max(c30, zero4) : c30);
      v128.store(out, relu ? f32x4.max(c31, zero4) : c31, 16);
    }
    if (row0 + 4 < m) {
      const out = y + ((<usize>(row0 + 4) * <usize>ldy + <usize>(p << 3)) << 2);
      v128.store(out, relu ? f32x4.max(c40, zero4) : c40);
      v128.store(out, relu ? f32x4.max(c41, zero4) : c41, 16);
    }
    if (row0 + 5 < m) {
      const out = y + ((<usize>(row0 + 5) * <usize>ldy + <usize>(p << 3)) << 2);
      v128.store(out, relu ? f32x4.max(c50, zero4) : c50);
      v128.store(out, relu ? f32x4.max(c51, zero4) : c51, 16);
    }
  }
}

/**
 * 3 x 3 max pool over rows (img, oy) in [line0, line1) of the n x outH output lines: y[img][oy][ox][c] =
 * max over the in-bounds taps of x[img][oy*stride - pad + dy][ox*stride - pad + dx][c] (padding never wins,
 * as torch pads with -inf). c is a multiple of 4; the output has row stride ldy (a concatenation offset).
 */
export function maxPool3(
  x: usize,
  inH: i32,
  inW: i32,
  c: i32,
  outH: i32,
  outW: i32,
  stride: i32,
  pad: i32,
  line0: i32,
  line1: i32,
  y: usize,
  ldy: i32,
): void {
  const c4 = <usize>c << 2;
  for (let line = line0; line < line1; line++) {
    const img = line / outH;
    const oy = line - img * outH;
    const y0 = max(oy * stride - pad, 0), y1 = min(oy * stride - pad + 2, inH - 1);
    for (let ox = 0; ox < outW; ox++) {
      const x0 = max(ox * stride - pad, 0), x1 = min(ox * stride - pad + 2, inW - 1);
      const out = y + (<usize>(line * outW + ox) * <usize>ldy << 2);
      // Tap by tap over the whole channel row (a tight loop; the row stays in L1), the output as accumulator.
      let first = true;
      for (let iy = y0; iy <= y1; iy++) {
        for (let ix = x0; ix <= x1; ix++) {
          const tap = x + <usize>((img * inH + iy) * inW + ix) * c4;
          if (first) {
            memory.copy(out, tap, c4);
            first = false;
          } else {
            for (let ch: usize = 0; ch < c4; ch += 16) {
              v128.store(out + ch, f32x4.max(v128.load(out + ch), v128.load(tap + ch)));
            }
          }
        }
      }
    }
  }
}

/**
 * 3 x 3 average pool, stride 1, padding 1, count_include_pad=False (the mean over the in-bounds taps), over
 * output lines [line0, line1) of n x h; same shape in and out, c a multiple of 4.
 */
export function avgPool3(x: usize, h: i32, w: i32, c: i32, line0: i32, line1: i32, y: usize): void {
  const c4 = <usize>c << 2;
  for (let line = line0; line < line1; line++) {
    const img = line / h;
    const oy = line - img * h;
    const y0 = max(oy - 1, 0), y1 = min(oy + 1, h - 1);
    for (let ox = 0; ox < w; ox++) {
      const x0 = max(ox - 1, 0), x1 = min(ox + 1, w - 1);
      const out = y + <usize>(line * w + ox) * c4;
      // Sums tap by tap (row-major, as before: the same float32 order), then divides.
      let first = true;
      for (let iy = y0; iy <= y1; iy++) {
        for (let ix = x0; ix <= x1; ix++) {
          const tap = x + <usize>((img * h + iy) * w + ix) * c4;
          if (first) {
            memory.copy(out, tap, c4);
            first = false;
          } else {
            for (let ch: usize = 0; ch < c4; ch += 16) {
              v128.store(out + ch, f32x4.add(v128.load(out + ch), v128.load(tap + ch)));
            }
          }
        }
      }
      // Divided, not multiplied by a reciprocal: torch's avg_pool2d divides the float32 sum by the count.
      const count = f32x4.splat(<f32>((y1 - y0 + 1) * (x1 - x0 + 1)));
      for (let ch: usize = 0; ch < c4; ch += 16) v128.store(out + ch, f32x4.div(v128.load(out + ch), count));
    }
  }
}

/**
 * Copies `rows` rows of c floats (row stride c) into y with row stride ldy: one part of a channel
 * concatenation (y points at the part's first channel). c is a multiple of 4.
 */
export function copyRows(x: usize, rows: i32, c: i32, y: usize, ldy: i32): void {
  const c4 = <usize>c << 2;
  const ldy4 = <usize>ldy << 2;
  for (let r = 0; r < rows; r++) {
    const src = x + <usize>r * c4;
    const dst = y + <usize>r * ldy4;
    for (let ch: usize = 0; ch < c4; ch += 16) v128.store(dst + ch, v128.load(src + ch));
  }
}

// ---------------------------------------------------------------------------------------------------------
// For the OpenBLAS engine (models/runtime/openblas.ts), which multiplies matrices natively: the copies around
// its GEMM calls. im2colRows lays out the patches of a convolution's output rows; biasAct adds the bias and
// applies ReLU after the GEMM (sgemm itself has no epilogue).
// ---------------------------------------------------------------------------------------------------------

/**
 * Output rows [row0, row0 + rows) of a kh x kw convolution (stride, padding padH/padW) as patch rows: patch
 * row r holds, tap by tap in row-major order, the cin input channels under the tap (zeros where it falls
 * in the padding), so patch row x HWIO weights [kh * kw * cin, cout] is the output row. Output row numbering
 * as in convStrip (outW wide, outHW per image).
 */
export function im2colRows(
  x: usize,
  inH: i32,
  inW: i32,
  cin: i32,
  outW: i32,
  outHW: i32,
  row0: i32,
  rows: i32,
  kh: i32,
  kw: i32,
  stride: i32,
  padH: i32,
  padW: i32,
  patches: usize,
): void {
  const cin4 = <usize>cin << 2;
  let dst = patches;
  for (let r = row0; r < row0 + rows; r++) {
    const img = r / outHW;
    const pos = r - img * outHW;
    const oy = pos / outW;
    const ox = pos - oy * outW;
    for (let dy = 0; dy < kh; dy++) {
      const iy = oy * stride - padH + dy;
      for (let dx = 0; dx < kw; dx++) {
        const ix = ox * stride - padW + dx;
        if (<u32>iy >= <u32>inH || <u32>ix >= <u32>inW) memory.fill(dst, 0, cin4);
        else memory.copy(dst, x + <usize>((img * inH + iy) * inW + ix) * cin4, cin4);
        dst += cin4;
      }
    }
  }
}

/** y[r][0 .. c) = act(y[r][0 .. c) + bias) for `rows` rows of row stride ldy; act is ReLU when relu != 0. */
export function biasAct(y: usize, rows: i32, c: i32, ldy: i32, bias: usize, relu: i32): void {
  const ldy4 = <usize>ldy << 2;
  const zero = f32x4.splat(0);
  const c4 = c & ~3;
  for (let r = 0; r < rows; r++) {
    const row = y + <usize>r * ldy4;
    for (let ch = 0; ch < c4; ch += 4) {
      const at = row + (<usize>ch << 2);
      let v = f32x4.add(v128.load(at), v128.load(bias + (<usize>ch << 2)));
      if (relu) v = f32x4.max(v, zero);
      v128.store(at, v);
    }
    for (let ch = c4; ch < c; ch++) {
      const at = row + (<usize>ch << 2);
      let v = load<f32>(at) + load<f32>(bias + (<usize>ch << 2));
      if (relu && v < 0) v = 0;
      store<f32>(at, v);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Winograd F(4x4, 3x3) for the 3x3 stride-1 convolutions (Lavin & Gray 2016, interpolation points 0, 1, -1,
// 2, -2 and infinity): a 4x4 output tile from a 6x6 input tile with 36 multiplications per (input, output)
// channel pair instead of 144; with the same points, F(2x2, 5x5) for the 5x5 ones (36 instead of 100). The caller transforms the weights once (U = G g G^T, wasm_network.ts), runs
// winograd6x6Input on a block of tiles, one GEMM per tile position xi (36 of them, convStrip as a 1x1 conv:
// M_xi = V_xi U_xi), then winograd4x4Output (or winograd2x2Output). Each transform runs as two passes of six vectors (columns, then
// rows) through a small scratch area so the working set fits the 16 SIMD registers.
// ---------------------------------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline
function winoPtr(x: usize, rowImg: i32, iy: i32, ix: i32, inH: i32, inW: i32, c4: usize, zero: usize): usize {
  if (<u32>iy >= <u32>inH || <u32>ix >= <u32>inW) return zero;
  return x + <usize>((rowImg + iy) * inW + ix) * c4;
}

/**
 * V = B^T d B for the tiles [tile0, tile0 + count) of 6x6 input tiles, m output pixels apart (tile (ty, tx)
 * reads input rows m ty - pad .. m ty - pad + 5, zero outside): writes v[xi][t][c], 36 matrices of count x c.
 * `tab` is scratch for 36 u32, `tmp` for 36 v128. B depends only on the points, so F(4x4, 3x3) (m = 4) and
 * F(2x2, 5x5) (m = 2) share it.
 */
export function winograd6x6Input(
  x: usize,
  inH: i32,
  inW: i32,
  c: i32,
  tilesH: i32,
  tilesW: i32,
  m: i32,
  pad: i32,
  tile0: i32,
  count: i32,
  zero: usize,
  v: usize,
  tab: usize,
  tmp: usize,
): void {
  const km8 = f32x4.splat(-8.0);
  const km5 = f32x4.splat(-5.0);
  const km4 = f32x4.splat(-4.0);
  const km2 = f32x4.splat(-2.0);
  const k2 = f32x4.splat(2.0);
  const k4 = f32x4.splat(4.0);
  const k8 = f32x4.splat(8.0);
  const c4 = <usize>c << 2;
  const plane = <usize>count * c4;
  const perImage = tilesH * tilesW;
  for (let t = 0; t < count; t++) {
    const tile = tile0 + t;
    const img = tile / perImage;
    const rem = tile - img * perImage;
    const ty = rem / tilesW;
    const rowImg = img * inH;
    const y0 = ty * m - pad;
    const x0 = (rem - ty * tilesW) * m - pad;
    for (let k = 0; k < 6; k++) {
      for (let j = 0; j < 6; j++) {
        store<u32>(tab + (<usize>(6 * k + j) << 2), <u32>winoPtr(x, rowImg, y0 + k, x0 + j, inH, inW, c4, zero));
      }
    }
    for (let ch: usize = 0; ch < c4; ch += 16) {
      for (let j = 0; j < 6; j++) {
        const d0 = v128.load(<usize>load<u32>(tab + ((<usize>(0 + j)) << 2)) + ch);
        const d1 = v128.load(<usize>load<u32>(tab + ((<usize>(6 + j)) << 2)) + ch);
        const d2 = v128.load(<usize>load<u32>(tab + ((<usize>(12 + j)) << 2)) + ch);
        const d3 = v128.load(<usize>load<u32>(tab + ((<usize>(18 + j)) << 2)) + ch);
        const d4 = v128.load(<usize>load<u32>(tab + ((<usize>(24 + j)) << 2)) + ch);
        const d5 = v128.load(<usize>load<u32>(tab + ((<usize>(30 + j)) << 2)) + ch);
        v128.store(tmp + (<usize>(0 + j) << 4), f32x4.add(f32x4.relaxed_madd(d2, km5, f32x4.mul(d0, k4)), d4));
        v128.store(tmp + (<usize>(6 + j) << 4), f32x4.add(f32x4.add(f32x4.relaxed_madd(d2, km4, f32x4.mul(d1, km4)), d3), d4));
        v128.store(tmp + (<usize>(12 + j) << 4), f32x4.add(f32x4.sub(f32x4.relaxed_madd(d2, km4, f32x4.mul(d1, k4)), d3), d4));
        v128.store(tmp + (<usize>(18 + j) << 4), f32x4.add(f32x4.relaxed_madd(d3, k2, f32x4.sub(f32x4.mul(d1, km2), d2)), d4));
        v128.store(tmp + (<usize>(24 + j) << 4), f32x4.add(f32x4.relaxed_madd(d3, km2, f32x4.sub(f32x4.mul(d1, k2), d2)), d4));
        v128.store(tmp + (<usize>(30 + j) << 4), f32x4.add(f32x4.relaxed_madd(d3, km5, f32x4.mul(d1, k4)), d5));
      }
      for (let i = 0; i < 6; i++) {
        const t0 = v128.load(tmp + (<usize>(6 * i + 0) << 4));
        const t1 = v128.load(tmp + (<usize>(6 * i + 1) << 4));
        const t2 = v128.load(tmp + (<usize>(6 * i + 2) << 4));
        const t3 = v128.load(tmp + (<usize>(6 * i + 3) << 4));
        const t4 = v128.load(tmp + (<usize>(6 * i + 4) << 4));
        const t5 = v128.load(tmp + (<usize>(6 * i + 5) << 4));
        const dst = v + <usize>(6 * i) * plane + <usize>t * c4 + ch;
        v128.store(dst + 0 * plane, f32x4.add(f32x4.relaxed_madd(t2, km5, f32x4.mul(t0, k4)), t4));
        v128.store(dst + 1 * plane, f32x4.add(f32x4.add(f32x4.relaxed_madd(t2, km4, f32x4.mul(t1, km4)), t3), t4));
        v128.store(dst + 2 * plane, f32x4.add(f32x4.sub(f32x4.relaxed_madd(t2, km4, f32x4.mul(t1, k4)), t3), t4));
        v128.store(dst + 3 * plane, f32x4.add(f32x4.relaxed_madd(t3, k2, f32x4.sub(f32x4.mul(t1, km2), t2)), t4));
        v128.store(dst + 4 * plane, f32x4.add(f32x4.relaxed_madd(t3, km2, f32x4.sub(f32x4.mul(t1, k2), t2)), t4));
        v128.store(dst + 5 * plane, f32x4.add(f32x4.relaxed_madd(t3, km5, f32x4.mul(t1, k4)), t5));
      }
    }
  }
}

/**
 * F(4x4, 3x3)'s Y = A^T M A + bias (then ReLU when relu != 0) for the tiles [tile0, tile0 + count): reads
 * mat[xi][t][cout], writes the in-bounds pixels of each 4x4 tile to y (row stride ldy). `tmp`: 24 v128 scratch.
 */
export function winograd4x4Output(
  mat: usize,
  count: i32,
  cout: i32,
  tile0: i32,
  tilesH: i32,
  tilesW: i32,
  outH: i32,
  outW: i32,
  bias: usize,
  relu: i32,
  y: usize,
  ldy: i32,
  tmp: usize,
): void {
  const km8 = f32x4.splat(-8.0);
  const km5 = f32x4.splat(-5.0);
  const km4 = f32x4.splat(-4.0);
  const km2 = f32x4.splat(-2.0);
  const k2 = f32x4.splat(2.0);
  const k4 = f32x4.splat(4.0);
  const k8 = f32x4.splat(8.0);
  const c4 = <usize>cout << 2;
  const plane = <usize>count * c4;
  const ldy4 = <usize>ldy << 2;
  const perImage = tilesH * tilesW;
  const zero4 = f32x4.splat(0);
  for (let t = 0; t < count; t++) {
    const tile = tile0 + t;
    const img = tile / perImage;
    const rem = tile - img * perImage;
    const ty = rem / tilesW;
    const oy = ty * 4;
    const ox = (rem - ty * tilesW) * 4;
    const rowsIn = min(4, outH - oy);
    const colsIn = min(4, outW - ox);
    const base = y + <usize>((img * outH + oy) * outW + ox) * ldy4;
    const rowBytes = <usize>outW * ldy4;
    for (let ch: usize = 0; ch < c4; ch += 16) {
      const src = mat + <usize>t * c4 + ch;
      const b = v128.load(bias + ch);
      for (let j = 0; j < 6; j++) {
        const m0 = v128.load(src + <usize>(0 + j) * plane);
        const m1 = v128.load(src + <usize>(6 + j) * plane);
        const m2 = v128.load(src + <usize>(12 + j) * plane);
        const m3 = v128.load(src + <usize>(18 + j) * plane);
        const m4 = v128.load(src + <usize>(24 + j) * plane);
        const m5 = v128.load(src + <usize>(30 + j) * plane);
        v128.store(tmp + (<usize>(0 + j) << 4), f32x4.add(f32x4.add(f32x4.add(f32x4.add(m0, m1), m2), m3), m4));
        v128.store(tmp + (<usize>(6 + j) << 4), f32x4.relaxed_madd(m4, km2, f32x4.relaxed_madd(m3, k2, f32x4.sub(m1, m2))));
        v128.store(tmp + (<usize>(12 + j) << 4), f32x4.relaxed_madd(m4, k4, f32x4.relaxed_madd(m3, k4, f32x4.add(m1, m2))));
        v128.store(tmp + (<usize>(18 + j) << 4), f32x4.add(f32x4.relaxed_madd(m4, km8, f32x4.relaxed_madd(m3, k8, f32x4.sub(m1, m2))), m5));
      }
      for (let i = 0; i < rowsIn; i++) {
        const r0 = v128.load(tmp + (<usize>(6 * i + 0) << 4));
        const r1 = v128.load(tmp + (<usize>(6 * i + 1) << 4));
        const r2 = v128.load(tmp + (<usize>(6 * i + 2) << 4));
        const r3 = v128.load(tmp + (<usize>(6 * i + 3) << 4));
        const r4 = v128.load(tmp + (<usize>(6 * i + 4) << 4));
        const r5 = v128.load(tmp + (<usize>(6 * i + 5) << 4));
        const rowOut = base + <usize>i * rowBytes + ch;
        if (0 < colsIn) {
          let y = f32x4.add(f32x4.add(f32x4.add(f32x4.add(f32x4.add(r0, r1), r2), r3), r4), b);
          if (relu) y = f32x4.max(y, zero4);
          v128.store(rowOut + 0 * ldy4, y);
        }
        if (1 < colsIn) {
          let y = f32x4.add(f32x4.relaxed_madd(r4, km2, f32x4.relaxed_madd(r3, k2, f32x4.sub(r1, r2))), b);
          if (relu) y = f32x4.max(y, zero4);
          v128.store(rowOut + 1 * ldy4, y);
        }
        if (2 < colsIn) {
          let y = f32x4.add(f32x4.relaxed_madd(r4, k4, f32x4.relaxed_madd(r3, k4, f32x4.add(r1, r2))), b);
          if (relu) y = f32x4.max(y, zero4);
          v128.store(rowOut + 2 * ldy4, y);
        }
        if (3 < colsIn) {
          let y = f32x4.add(f32x4.add(f32x4.relaxed_madd(r4, km8, f32x4.relaxed_madd(r3, k8, f32x4.sub(r1, r2))), r5), b);
          if (relu) y = f32x4.max(y, zero4);
          v128.store(rowOut + 3 * ldy4, y);
        }
      }
    }
  }
}

/**
 * F(2x2, 5x5)'s output transform (its A^T is not the first rows of F(4x4, 3x3)'s: the infinity point enters
 * the last output row): as winograd6x6Output for 2x2 tiles, inputs from winograd6x6Input with m = 2.
 */
export function winograd2x2Output(
  mat: usize,
  count: i32,
  cout: i32,
  tile0: i32,
  tilesH: i32,
  tilesW: i32,
  outH: i32,
  outW: i32,
  bias: usize,
  relu: i32,
  y: usize,
  ldy: i32,
  tmp: usize,
): void {
  const km2 = f32x4.splat(-2.0);
  const k2 = f32x4.splat(2.0);
  const c4 = <usize>cout << 2;
  const plane = <usize>count * c4;
  const ldy4 = <usize>ldy << 2;
  const perImage = tilesH * tilesW;
  const zero4 = f32x4.splat(0);
  for (let t = 0; t < count; t++) {
    const tile = tile0 + t;
    const img = tile / perImage;
    const rem = tile - img * perImage;
    const ty = rem / tilesW;
    const oy = ty * 2;
    const ox = (rem - ty * tilesW) * 2;
    const rowsIn = min(2, outH - oy);
    const colsIn = min(2, outW - ox);
    const base = y + <usize>((img * outH + oy) * outW + ox) * ldy4;
    const rowBytes = <usize>outW * ldy4;
    for (let ch: usize = 0; ch < c4; ch += 16) {
      const src = mat + <usize>t * c4 + ch;
      const b = v128.load(bias + ch);
      for (let j = 0; j < 6; j++) {
        const m0 = v128.load(src + <usize>(0 + j) * plane);
        const m1 = v128.load(src + <usize>(6 + j) * plane);
        const m2 = v128.load(src + <usize>(12 + j) * plane);
        const m3 = v128.load(src + <usize>(18 + j) * plane);
        const m4 = v128.load(src + <usize>(24 + j) * plane);
        const m5 = v128.load(src + <usize>(30 + j) * plane);
        v128.store(tmp + (<usize>(0 + j) << 4), f32x4.add(f32x4.add(f32x4.add(f32x4.add(m0, m1), m2), m3), m4));
        v128.store(tmp + (<usize>(6 + j) << 4), f32x4.add(f32x4.relaxed_madd(m4, km2, f32x4.relaxed_madd(m3, k2, f32x4.sub(m1, m2))), m5));
      }
      for (let i = 0; i < rowsIn; i++) {
        const r0 = v128.load(tmp + (<usize>(6 * i + 0) << 4));
        const r1 = v128.load(tmp + (<usize>(6 * i + 1) << 4));
        const r2 = v128.load(tmp + (<usize>(6 * i + 2) << 4));
        const r3 = v128.load(tmp + (<usize>(6 * i + 3) << 4));
        const r4 = v128.load(tmp + (<usize>(6 * i + 4) << 4));
        const r5 = v128.load(tmp + (<usize>(6 * i + 5) << 4));
        const rowOut = base + <usize>i * rowBytes + ch;
        if (0 < colsIn) {
          let y = f32x4.add(f32x4.add(f32x4.add(f32x4.add(f32x4.add(r0, r1), r2), r3), r4), b);
          if (relu) y = f32x4.max(y, zero4);
          v128.store(rowOut + 0 * ldy4, y);
        }
        if (1 < colsIn) {
          let y = f32x4.add(f32x4.add(f32x4.relaxed_madd(r4, km2, f32x4.relaxed_madd(r3, k2, f32x4.sub(r1, r2))), r5), b);
          if (relu) y = f32x4.max(y, zero4);
          v128.store(rowOut + 1 * ldy4, y);
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// 1D Winograd for the 1x7 / 7x1 convs (F(3, 7): 9 multiplications per 3 outputs instead of 21) and the
// 1x3 / 3x1 convs (F(4, 3): 6 per 4 instead of 12), along the kernel's long axis. Matrices from the
// Toom-Cook construction (interpolation at the listed points and infinity, denominators moved into G, which
// the caller applies to the weights in float64); the caller runs one GEMM per position xi as for F(4x4, 3x3).
// ---------------------------------------------------------------------------------------------------------

/**
 * 1D Winograd F(3, 7) input transform (points 0, 1, -1, 2, -2, 1/2, -1/2, 3, infinity) for a 1x7 (alongW
 * != 0) or 7x1 conv at stride 1: tile (ty, tx) covers 3 outputs along that axis; V = B^T d for the 9 input
 * pixels, written as v[xi][t][c] (9 matrices of count x c). `tab`: scratch for 9 u32.
 */
export function winograd3x7Input(
  x: usize,
  inH: i32,
  inW: i32,
  c: i32,
  tilesH: i32,
  tilesW: i32,
  alongW: i32,
  padH: i32,
  padW: i32,
  tile0: i32,
  count: i32,
  zero: usize,
  v: usize,
  tab: usize,
): void {
  const km1120 = f32x4.splat(-1120.0);
  const km800 = f32x4.splat(-800.0);
  const km736 = f32x4.splat(-736.0);
  const km384 = f32x4.splat(-384.0);
  const km64 = f32x4.splat(-64.0);
  const km63 = f32x4.splat(-63.0);
  const km47 = f32x4.splat(-47.0);
  const km31 = f32x4.splat(-31.0);
  const km29 = f32x4.splat(-29.0);
  const km25 = f32x4.splat(-25.0);
  const km21 = f32x4.splat(-21.0);
  const km19 = f32x4.splat(-19.0);
  const km16 = f32x4.splat(-16.0);
  const km12 = f32x4.splat(-12.0);
  const km8 = f32x4.splat(-8.0);
  const km6 = f32x4.splat(-6.0);
  const km5 = f32x4.splat(-5.0);
  const km4 = f32x4.splat(-4.0);
  const k4 = f32x4.splat(4.0);
  const k5 = f32x4.splat(5.0);
  const k6 = f32x4.splat(6.0);
  const k12 = f32x4.splat(12.0);
  const k20 = f32x4.splat(20.0);
  const k21 = f32x4.splat(21.0);
  const k29 = f32x4.splat(29.0);
  const k34 = f32x4.splat(34.0);
  const k55 = f32x4.splat(55.0);
  const k63 = f32x4.splat(63.0);
  const k68 = f32x4.splat(68.0);
  const k160 = f32x4.splat(160.0);
  const k224 = f32x4.splat(224.0);
  const k384 = f32x4.splat(384.0);
  const k416 = f32x4.splat(416.0);
  const k640 = f32x4.splat(640.0);
  const k896 = f32x4.splat(896.0);
  const c4 = <usize>c << 2;
  const plane = <usize>count * c4;
  const perImage = tilesH * tilesW;
  for (let t = 0; t < count; t++) {
    const tile = tile0 + t;
    const img = tile / perImage;
    const rem = tile - img * perImage;
    const ty = rem / tilesW;
    const tx = rem - ty * tilesW;
    const y0 = (alongW ? ty : ty * 3) - padH;
    const x0 = (alongW ? tx * 3 : tx) - padW;
    for (let k = 0; k < 9; k++) {
      const iy = alongW ? y0 : y0 + k;
      const ix = alongW ? x0 + k : x0;
      store<u32>(tab + (<usize>k << 2), <u32>winoPtr(x, img * inH, iy, ix, inH, inW, c4, zero));
    }
    for (let ch: usize = 0; ch < c4; ch += 16) {
      const dst = v + <usize>t * c4 + ch;
      const d0 = v128.load(<usize>load<u32>(tab + 0) + ch);
      const d1 = v128.load(<usize>load<u32>(tab + 4) + ch);
      const d2 = v128.load(<usize>load<u32>(tab + 8) + ch);
      const d3 = v128.load(<usize>load<u32>(tab + 12) + ch);
      const d4 = v128.load(<usize>load<u32>(tab + 16) + ch);
      const d5 = v128.load(<usize>load<u32>(tab + 20) + ch);
      const d6 = v128.load(<usize>load<u32>(tab + 24) + ch);
      const d7 = v128.load(<usize>load<u32>(tab + 28) + ch);
      const d8 = v128.load(<usize>load<u32>(tab + 32) + ch);
      v128.store(dst + 0 * plane, f32x4.relaxed_madd(d7, k4, f32x4.relaxed_madd(d6, km12, f32x4.relaxed_madd(d5, km21, f32x4.relaxed_madd(d4, k63, f32x4.relaxed_madd(d3, k21, f32x4.relaxed_madd(d2, km63, f32x4.relaxed_madd(d1, km4, f32x4.mul(d0, k12)))))))));
      v128.store(dst + 1 * plane, f32x4.relaxed_madd(d7, k4, f32x4.relaxed_madd(d6, km8, f32x4.relaxed_madd(d5, km29, f32x4.relaxed_madd(d4, k34, f32x4.relaxed_madd(d3, k55, f32x4.relaxed_madd(d2, km8, f32x4.mul(d1, km12))))))));
      v128.store(dst + 2 * plane, f32x4.relaxed_madd(d7, k4, f32x4.relaxed_madd(d6, km16, f32x4.relaxed_madd(d5, km5, f32x4.relaxed_madd(d4, k68, f32x4.relaxed_madd(d3, km47, f32x4.relaxed_madd(d2, km16, f32x4.mul(d1, k12))))))));
      v128.store(dst + 3 * plane, f32x4.relaxed_madd(d7, km4, f32x4.relaxed_madd(d6, k4, f32x4.relaxed_madd(d5, k29, f32x4.relaxed_madd(d4, km5, f32x4.relaxed_madd(d3, km31, f32x4.add(f32x4.mul(d1, k6), d2)))))));
      v128.store(dst + 4 * plane, f32x4.relaxed_madd(d7, km4, f32x4.relaxed_madd(d6, k20, f32x4.relaxed_madd(d5, km19, f32x4.relaxed_madd(d4, km25, f32x4.relaxed_madd(d3, k29, f32x4.relaxed_madd(d2, k5, f32x4.mul(d1, km6))))))));
      v128.store(dst + 5 * plane, f32x4.relaxed_madd(d7, km64, f32x4.relaxed_madd(d6, k160, f32x4.relaxed_madd(d5, k416, f32x4.relaxed_madd(d4, km800, f32x4.relaxed_madd(d3, km736, f32x4.relaxed_madd(d2, k640, f32x4.mul(d1, k384))))))));
      v128.store(dst + 6 * plane, f32x4.relaxed_madd(d7, km64, f32x4.relaxed_madd(d6, k224, f32x4.relaxed_madd(d5, k224, f32x4.relaxed_madd(d4, km1120, f32x4.relaxed_madd(d3, k224, f32x4.relaxed_madd(d2, k896, f32x4.mul(d1, km384))))))));
      v128.store(dst + 7 * plane, f32x4.relaxed_madd(d7, k4, f32x4.relaxed_madd(d5, km21, f32x4.relaxed_madd(d3, k21, f32x4.mul(d1, km4)))));
      v128.store(dst + 8 * plane, f32x4.relaxed_madd(d8, k4, f32x4.relaxed_madd(d7, km12, f32x4.relaxed_madd(d6, km21, f32x4.relaxed_madd(d5, k63, f32x4.relaxed_madd(d4, k21, f32x4.relaxed_madd(d3, km63, f32x4.relaxed_madd(d2, km4, f32x4.mul(d1, k12)))))))));
    }
  }
}

/**
 * 1D Winograd F(3, 7) output transform: Y = A^T M + bias (then ReLU when relu != 0) for the tiles
 * [tile0, tile0 + count), the in-bounds of each tile's 3 pixels written to y (row stride ldy).
 */
export function winograd3x7Output(
  m: usize,
  count: i32,
  cout: i32,
  tile0: i32,
  tilesH: i32,
  tilesW: i32,
  outH: i32,
  outW: i32,
  alongW: i32,
  bias: usize,
  relu: i32,
  y: usize,
  ldy: i32,
): void {
  const km2 = f32x4.splat(-2.0);
  const km1_2 = f32x4.splat(-0.5);
  const k1_4 = f32x4.splat(0.25);
  const k1_2 = f32x4.splat(0.5);
  const k2 = f32x4.splat(2.0);
  const k3 = f32x4.splat(3.0);
  const k4 = f32x4.splat(4.0);
  const k9 = f32x4.splat(9.0);
  const c4 = <usize>cout << 2;
  const plane = <usize>count * c4;
  const ldy4 = <usize>ldy << 2;
  const perImage = tilesH * tilesW;
  const zero4 = f32x4.splat(0);
  const step: usize = alongW ? ldy4 : <usize>outW * ldy4;
  for (let t = 0; t < count; t++) {
    const tile = tile0 + t;
    const img = tile / perImage;
    const rem = tile - img * perImage;
    const ty = rem / tilesW;
    const tx = rem - ty * tilesW;
    const oy = alongW ? ty : ty * 3;
    const ox = alongW ? tx * 3 : tx;
    const along = alongW ? min(3, outW - ox) : min(3, outH - oy);
    const base = y + <usize>((img * outH + oy) * outW + ox) * ldy4;
    for (let ch: usize = 0; ch < c4; ch += 16) {
      const src = m + <usize>t * c4 + ch;
      const out = base + ch;
      const b = v128.load(bias + ch);
      const m0 = v128.load(src + 0 * plane);
      const m1 = v128.load(src + 1 * plane);
      const m2 = v128.load(src + 2 * plane);
      const m3 = v128.load(src + 3 * plane);
      const m4 = v128.load(src + 4 * plane);
      const m5 = v128.load(src + 5 * plane);
      const m6 = v128.load(src + 6 * plane);
      const m7 = v128.load(src + 7 * plane);
      const m8 = v128.load(src + 8 * plane);
      if (0 < along) {
        let y = f32x4.add(f32x4.add(f32x4.add(f32x4.add(f32x4.add(f32x4.add(f32x4.add(f32x4.add(m0, m1), m2), m3), m4), m5), m6), m7), b);
        if (relu) y = f32x4.max(y, zero4);
        v128.store(out + <usize>0 * step, y);
      }
      if (1 < along) {
        let y = f32x4.add(f32x4.relaxed_madd(m7, k3, f32x4.relaxed_madd(m6, km1_2, f32x4.relaxed_madd(m5, k1_2, f32x4.relaxed_madd(m4, km2, f32x4.relaxed_madd(m3, k2, f32x4.sub(m1, m2)))))), b);
        if (relu) y = f32x4.max(y, zero4);
        v128.store(out + <usize>1 * step, y);
      }
      if (2 < along) {
        let y = f32x4.add(f32x4.add(f32x4.relaxed_madd(m7, k9, f32x4.relaxed_madd(m6, k1_4, f32x4.relaxed_madd(m5, k1_4, f32x4.relaxed_madd(m4, k4, f32x4.relaxed_madd(m3, k4, f32x4.add(m1, m2)))))), m8), b);
        if (relu) y = f32x4.max(y, zero4);
        v128.store(out + <usize>2 * step, y);
      }
    }
  }
}

/**
 * 1D Winograd F(4, 3) input transform (points 0, 1, -1, 2, -2, infinity) for a 1x3 (alongW
 * != 0) or 3x1 conv at stride 1: tile (ty, tx) covers 4 outputs along that axis; V = B^T d for the 6 input
 * pixels, written as v[xi][t][c] (6 matrices of count x c). `tab`: scratch for 6 u32.
 */
export function winograd4x3Input(
  x: usize,
  inH: i32,
  inW: i32,
  c: i32,
  tilesH: i32,
  tilesW: i32,
  alongW: i32,
  padH: i32,
  padW: i32,
  tile0: i32,
  count: i32,
  zero: usize,
  v: usize,
  tab: usize,
): void {
  const km5 = f32x4.splat(-5.0);
  const km4 = f32x4.splat(-4.0);
  const km2 = f32x4.splat(-2.0);
  const k2 = f32x4.splat(2.0);
  const k4 = f32x4.splat(4.0);
  const c4 = <usize>c << 2;
  const plane = <usize>count * c4;
  const perImage = tilesH * tilesW;
  for (let t = 0; t < count; t++) {
    const tile = tile0 + t;
    const img = tile / perImage;
    const rem = tile - img * perImage;
    const ty = rem / tilesW;
    const tx = rem - ty * tilesW;
    const y0 = (alongW ? ty : ty * 4) - padH;
    const x0 = (alongW ? tx * 4 : tx) - padW;
    for (let k = 0; k < 6; k++) {
      const iy = alongW ? y0 : y0 + k;
      const ix = alongW ? x0 + k : x0;
      store<u32>(tab + (<usize>k << 2), <u32>winoPtr(x, img * inH, iy, ix, inH, inW, c4, zero));
    }
    for (let ch: usize = 0; ch < c4; ch += 16) {
      const dst = v + <usize>t * c4 + ch;
      const d0 = v128.load(<usize>load<u32>(tab + 0) + ch);
      const d1 = v128.load(<usize>load<u32>(tab + 4) + ch);
      const d2 = v128.load(<usize>load<u32>(tab + 8) + ch);
      const d3 = v128.load(<usize>load<u32>(tab + 12) + ch);
      const d4 = v128.load(<usize>load<u32>(tab + 16) + ch);
      const d5 = v128.load(<usize>load<u32>(tab + 20) + ch);
      v128.store(dst + 0 * plane, f32x4.add(f32x4.relaxed_madd(d2, km5, f32x4.mul(d0, k4)), d4));
      v128.store(dst + 1 * plane, f32x4.sub(f32x4.sub(f32x4.relaxed_madd(d2, k4, f32x4.mul(d1, k4)), d3), d4));
      v128.store(dst + 2 * plane, f32x4.sub(f32x4.add(f32x4.relaxed_madd(d2, k4, f32x4.mul(d1, km4)), d3), d4));
      v128.store(dst + 3 * plane, f32x4.add(f32x4.relaxed_madd(d3, k2, f32x4.sub(f32x4.mul(d1, km2), d2)), d4));
      v128.store(dst + 4 * plane, f32x4.add(f32x4.relaxed_madd(d3, km2, f32x4.sub(f32x4.mul(d1, k2), d2)), d4));
      v128.store(dst + 5 * plane, f32x4.add(f32x4.relaxed_madd(d3, km5, f32x4.mul(d1, k4)), d5));
    }
  }
}

/**
 * 1D Winograd F(4, 3) output transform: Y = A^T M + bias (then ReLU when relu != 0) for the tiles
 * [tile0, tile0 + count), the in-bounds of each tile's 4 pixels written to y (row stride ldy).
 */
export function winograd4x3Output(
  m: usize,
  count: i32,
  cout: i32,
  tile0: i32,
  tilesH: i32,
  tilesW: i32,
  outH: i32,
  outW: i32,
  alongW: i32,
  bias: usize,
  relu: i32,
  y: usize,
  ldy: i32,
): void {
  const km8 = f32x4.splat(-8.0);
  const km2 = f32x4.splat(-2.0);
  const k2 = f32x4.splat(2.0);
  const k4 = f32x4.splat(4.0);
  const k8 = f32x4.splat(8.0);
  const c4 = <usize>cout << 2;
  const plane = <usize>count * c4;
  const ldy4 = <usize>ldy << 2;
  const perImage = tilesH * tilesW;
  const zero4 = f32x4.splat(0);
  const step: usize = alongW ? ldy4 : <usize>outW * ldy4;
  for (let t = 0; t < count; t++) {
    const tile = tile0 + t;
    const img = tile / perImage;
    const rem = tile - img * perImage;
    const ty = rem / tilesW;
    const tx = rem - ty * tilesW;
    const oy = alongW ? ty : ty * 4;
    const ox = alongW ? tx * 4 : tx;
    const along = alongW ? min(4, outW - ox) : min(4, outH - oy);
    const base = y + <usize>((img * outH + oy) * outW + ox) * ldy4;
    for (let ch: usize = 0; ch < c4; ch += 16) {
      const src = m + <usize>t * c4 + ch;
      const out = base + ch;
      const b = v128.load(bias + ch);
      const m0 = v128.load(src + 0 * plane);
      const m1 = v128.load(src + 1 * plane);
      const m2 = v128.load(src + 2 * plane);
      const m3 = v128.load(src + 3 * plane);
      const m4 = v128.load(src + 4 * plane);
      const m5 = v128.load(src + 5 * plane);
      if (0 < along) {
        let y = f32x4.add(f32x4.add(f32x4.add(f32x4.add(f32x4.add(m0, m1), m2), m3), m4), b);
        if (relu) y = f32x4.max(y, zero4);
        v128.store(out + <usize>0 * step, y);
      }
      if (1 < along) {
        let y = f32x4.add(f32x4.relaxed_madd(m4, km2, f32x4.relaxed_madd(m3, k2, f32x4.sub(m1, m2))), b);
        if (relu) y = f32x4.max(y, zero4);
        v128.store(out + <usize>1 * step, y);
      }
      if (2 < along) {
        let y = f32x4.add(f32x4.relaxed_madd(m4, k4, f32x4.relaxed_madd(m3, k4, f32x4.add(m1, m2))), b);
        if (relu) y = f32x4.max(y, zero4);
        v128.store(out + <usize>2 * step, y);
      }
      if (3 < along) {
        let y = f32x4.add(f32x4.add(f32x4.relaxed_madd(m4, km8, f32x4.relaxed_madd(m3, k8, f32x4.sub(m1, m2))), m5), b);
        if (relu) y = f32x4.max(y, zero4);
        v128.store(out + <usize>3 * step, y);
      }
    }
  }
}
