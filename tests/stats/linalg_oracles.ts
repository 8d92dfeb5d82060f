/**
 * Naive, obviously-correct linear algebra for the stats tests: seeded random matrices, dense products,
 * cyclic Jacobi eigenvalues and the Denman-Beavers matrix square root. Written independently of src/stats.
 */

import { seededRandom } from "../../tools/arrays.ts";

/** Seeded standard normal generator (Box-Muller). */
export function normal(seed: number): () => number {
  const u = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** rows x cols matrix of standard normals, row-major. */
export function randomMatrix(rows: number, cols: number, seed: number): Float64Array {
  const g = normal(seed);
  return Float64Array.from({ length: rows * cols }, () => g());
}

/** C = A B for A (n x k) and B (k x m), row-major. */
export function matmul(a: Float64Array, b: Float64Array, n: number, k: number, m: number): Float64Array {
  const c = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += a[i * k + t] * b[t * m + j];
      c[i * m + j] = s;
    }
  }
  return c;
}

/** Transpose of a rows x cols matrix. */
export function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
  return t;
}

/** Random symmetric n x n matrix with N(0, 1) entries. */
export function randomSymmetric(n: number, seed: number): Float64Array {
  const x = randomMatrix(n, n, seed);
  const s = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) s[i * n + j] = 0.5 * (x[i * n + j] + x[j * n + i]);
  return s;
}

/** Covariance (divisor N - 1) of `samples` rows of a (samples x dim) matrix, as numpy.cov(rowvar=False). */
export function covariance(
  x: Float64Array,
  samples: number,
  dim: number,
): { mu: Float64Array; sigma: Float64Array } {
  const mu = new Float64Array(dim);
  for (let s = 0; s < samples; s++) for (let i = 0; i < dim; i++) mu[i] += x[s * dim + i] / samples;
  const sigma = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j <= i; j++) {
      let acc = 0;
      for (let s = 0; s < samples; s++) acc += (x[s * dim + i] - mu[i]) * (x[s * dim + j] - mu[j]);
      sigma[i * dim + j] = sigma[j * dim + i] = acc / (samples - 1);
    }
  }
  return { mu, sigma };
}

/** Random n x n orthogonal matrix: Gram-Schmidt (twice, for accuracy) on a Gaussian matrix. */
export function randomOrthogonal(n: number, seed: number): Float64Array {
  const q = randomMatrix(n, n, seed); // rows become orthonormal
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) {
        let d = 0;
        for (let k = 0; k < n; k++) d += q[i * n + k] * q[j * n + k];
        for (let k = 0; k < n; k++) q[i * n + k] -= d * q[j * n + k];
      }
      let norm = 0;
      for (let k = 0; k < n; k++) norm += q[i * n + k] ** 2;
      norm = Math.sqrt(norm);
      for (let k = 0; k < n; k++) q[i * n + k] /= norm;
    }
  }
  return q;
}

/** Q diag(values) Q^T for a random orthogonal Q: a symmetric matrix with a known spectrum. */
export function withSpectrum(values: number[], seed: number): Float64Array {
  const n = values.length;
  const q = randomOrthogonal(n, seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += q[i * n + k] * values[k] * q[j * n + k];
      a[i * n + j] = s;
    }
  }
  // Exact symmetry, so the reference cannot disagree with itself about which triangle it holds.
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[j * n + i] = a[i * n + j];
  return a;
}

/** Eigenvalues (ascending) of a symmetric matrix by cyclic Jacobi rotations until off-diagonal mass vanishes. */
export function jacobiEigenvalues(input: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(input);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[j * n + i] = a[i * n + j];
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let total = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        total += a[i * n + j] ** 2;
        if (i !== j) off += a[i * n + j] ** 2;
      }
    }
    if (off <= 1e-30 * total || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        // Rotation angle that zeroes a[p][q]: tan(2 theta) = 2 apq / (aqq - app).
        const theta = 0.5 * Math.atan2(2 * apq, a[q * n + q] - a[p * n + p]);
        const c = Math.cos(theta);
        const s = Math.sin(theta);
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  return Float64Array.from({ length: n }, (_, i) => a[i * n + i]).sort();
}

/** Inverse by Gauss-Jordan elimination with partial pivoting. */
export function inverse(input: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(input);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]) > Math.abs(a[piv * n + col])) piv = r;
    for (let k = 0; k < n; k++) {
      [a[col * n + k], a[piv * n + k]] = [a[piv * n + k], a[col * n + k]];
      [inv[col * n + k], inv[piv * n + k]] = [inv[piv * n + k], inv[col * n + k]];
    }
    const d = a[col * n + col];
    for (let k = 0; k < n; k++) {
      a[col * n + k] /= d;
      inv[col * n + k] /= d;
    }
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r * n + col];
      if (f === 0) continue;
      for (let k = 0; k < n; k++) {
        a[r * n + k] -= f * a[col * n + k];
        inv[r * n + k] -= f * inv[col * n + k];
      }
    }
  }
  return inv;
}

/**
 * Principal square root of a (generally non-symmetric) matrix with positive real spectrum by Denman-Beavers:
 * Y <- (Y + Z^-1)/2, Z <- (Z + Y^-1)/2 from Y = A, Z = I; Y converges to sqrt(A).
 */
export function denmanBeaversSqrt(a: Float64Array, n: number): Float64Array {
  let y = Float64Array.from(a);
  let z = new Float64Array(n * n);
  for (let i = 0; i < n; i++) z[i * n + i] = 1;
  for (let iter = 0; iter < 100; iter++) {
    const yi = inverse(y, n);
    const zi = inverse(z, n);
    const yNext = new Float64Array(n * n);
    const zNext = new Float64Array(n * n);
    let change = 0;
    let size = 0;
    for (let k = 0; k < n * n; k++) {
      yNext[k] = 0.5 * (y[k] + zi[k]);
      zNext[k] = 0.5 * (z[k] + yi[k]);
      change += (yNext[k] - y[k]) ** 2;
      size += yNext[k] ** 2;
    }
    y = yNext;
    z = zNext;
    if (change <= 1e-28 * size) break;
  }
  return y;
}

/** Relative difference |a - b| / max(|b|, floor). */
export function relDiff(a: number, b: number, floor = 1e-300): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), floor);
}

/**
 * Singular values (descending) of a row-major m x n matrix by one-sided Jacobi rotations (Hestenes): columns are
 * rotated pairwise until all are orthogonal; the singular values are then their norms. Slow, but accurate to
 * a few ulps relative to the largest, and independent of any bidiagonalization.
 */
export function jacobiSingularValues(input: Float64Array, m: number, n: number): Float64Array {
  // Work on columns of the taller orientation, stored contiguously.
  const rows = Math.max(m, n), cols = Math.min(m, n);
  const c = new Float64Array(rows * cols); // c[j * rows + i]: column j
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      if (m >= n) c[j * rows + i] = input[i * n + j];
      else c[i * rows + j] = input[i * n + j];
    }
  }
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < cols; p++) {
      for (let q = p + 1; q < cols; q++) {
        let alpha = 0, beta = 0, gamma = 0;
        for (let i = 0; i < rows; i++) {
          const x = c[p * rows + i], y = c[q * rows + i];
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const cs = 1 / Math.sqrt(1 + t * t), sn = cs * t;
        for (let i = 0; i < rows; i++) {
          const x = c[p * rows + i], y = c[q * rows + i];
          c[p * rows + i] = cs * x - sn * y;
          c[q * rows + i] = sn * x + cs * y;
        }
      }
    }
    if (!rotated) break;
  }
  const s = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    let ss = 0;
    for (let i = 0; i < rows; i++) ss += c[j * rows + i] ** 2;
    s[j] = Math.sqrt(ss);
  }
  return s.sort().reverse();
}
