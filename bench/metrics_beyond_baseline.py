"""The metrics of bench/metrics_beyond_bench.ts computed with numpy/scipy as their reference code does.

    python3 bench/metrics_beyond_baseline.py vendi ROWS.npy N [N ...]
    python3 bench/metrics_beyond_baseline.py cmmd X.npy Y.npy
    python3 bench/metrics_beyond_baseline.py fid_infinity RUN.npy REF.npy [--sqrtm-points K]

- vendi: dgm-eval's compute_vendi_score(X, q=1, normalize=True, kernel="linear") on the first N rows:
  sklearn-style normalize, S = X X^T (n x n), w = scipy.linalg.eigvalsh(S / n), exp(-sum_{w>0} w log w).
- cmmd: google-research/cmmd's mmd() in float64 numpy: x_sqnorms, exp(-gamma (-2 x.y + |x|^2 + |y|^2)), the
  means of the three kernel matrices over every pair, 1000 (kxx + kyy - 2 kxy); the matrices in row blocks of
  2,000 (the same sums; the full 10,000 x 10,000 float64 matrices would take 2.4 GB).
- fid_infinity: the issue's recipe with numpy: p = RandomState(0).permutation(N), N_k = np.linspace(N // 10, N,
  15).astype(np.int32), np.cov of each prefix p[:N_k] from scratch (as Chong & Forsyth's and dgm-eval's code
  do), FID_k, then the least-squares line in 1 / N (np.polyfit). FID_k here takes numpy's fastest exact route,
  not scipy's sqrtm: sqrt(S_ref) once by eigh, then tr sqrt(S_ref^1/2 S_k S_ref^1/2) by eigvalsh. The reference
  implementations call pytorch-fid's scipy.linalg.sqrtm per point instead: --sqrtm-points K times that on the
  first K prefixes, so the sqrtm route's cost per point is measured too (0 skips it). At N_k <= D both routes
  lose accuracy (the covariance is singular: sqrtm, and square roots of eigenvalues that rounding left near
  eps x the largest); the first point is therefore also computed exactly from the data, tr sqrt(S_ref S_k) =
  sum of the singular values of Y_c X_c^T / sqrt((n_ref - 1)(N_k - 1)) (exact_first).
Prints one JSON object: the values and each step's seconds (numpy uses all cores, as the service does).
"""
import argparse
import json
import time
import warnings

import numpy as np
from scipy import linalg

from baseline_timing import out, timed

warnings.filterwarnings("ignore")
p = argparse.ArgumentParser()
p.add_argument("metric", choices=["vendi", "cmmd", "fid_infinity"])
p.add_argument("files", nargs="+")
p.add_argument("--sqrtm-points", type=int, default=1)
a = p.parse_args()


def vendi(x):
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1  # sklearn.preprocessing.normalize keeps zero rows at zero
    x = x / norms
    n = x.shape[0]
    w = linalg.eigvalsh(x @ x.T / n)
    w = w[w > 0]
    return float(np.exp(-(w * np.log(w)).sum()))


def cmmd(x, y, block=2000):
    gamma = 1 / (2 * 10**2)
    xs, ys = (x * x).sum(1), (y * y).sum(1)

    def mean_k(a, an, b, bn):
        total = 0.0
        for i in range(0, a.shape[0], block):
            d2 = -2 * a[i:i + block] @ b.T + an[i:i + block, None] + bn[None, :]
            total += np.exp(-gamma * d2).sum()
        return total / (a.shape[0] * b.shape[0])

    return float(1000 * (mean_k(x, xs, x, xs) + mean_k(y, ys, y, ys) - 2 * mean_k(x, xs, y, ys)))


def fid_sqrtm(mu1, s1, mu2, s2):
    covmean, _ = linalg.sqrtm(s1.dot(s2), disp=False)
    d = mu1 - mu2
    return float(d.dot(d) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean.real))


def exact_first(x, y, perm, n0, mu1, tr1):
    t = time.perf_counter()
    rows = x[perm[:n0]].astype(np.float64)
    xc, yc = rows - rows.mean(0), y.astype(np.float64) - mu1
    trace_sqrt = linalg.svdvals(xc @ yc.T).sum() / np.sqrt((n0 - 1) * (y.shape[0] - 1))
    d = mu1 - rows.mean(0)
    out["exact_first"] = float(d.dot(d) + tr1 + np.trace(np.cov(rows, rowvar=False)) - 2 * trace_sqrt)
    out["exact_first_s"] = time.perf_counter() - t


def fid_infinity(x, y):
    n = x.shape[0]
    mu1, s1 = y.mean(0, dtype=np.float64), np.cov(y, rowvar=False)
    w, v = np.linalg.eigh(s1)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    tr1 = np.trace(s1)
    perm = np.random.RandomState(0).permutation(n)
    counts = np.linspace(n // 10, n, 15).astype(np.int32)
    fids, cov_s, fid_s, sqrtm_s = [], 0.0, 0.0, []
    for k, nk in enumerate(counts):
        t = time.perf_counter()
        rows = x[perm[:nk]].astype(np.float64)
        mu2, s2 = rows.mean(0), np.cov(rows, rowvar=False)
        cov_s += time.perf_counter() - t
        t = time.perf_counter()
        ev = linalg.eigvalsh(root1 @ s2 @ root1)
        d = mu1 - mu2
        fids.append(float(d.dot(d) + tr1 + np.trace(s2) - 2 * np.sqrt(np.clip(ev, 0, None)).sum()))
        fid_s += time.perf_counter() - t
        if k < a.sqrtm_points:
            t = time.perf_counter()
            out.setdefault("sqrtm_fids", []).append(fid_sqrtm(mu1, s1, mu2, s2))
            sqrtm_s.append(time.perf_counter() - t)
    if counts[0] <= x.shape[1]:  # the first point is rank deficient: its exact value, from the data
        exact_first(x, y, perm, counts[0], mu1, tr1)
    slope, value = np.polyfit(1 / counts, fids, 1)
    out.update(covariances_s=cov_s, fids_s=fid_s, sqrtm_per_point_s=sqrtm_s)
    return {"value": float(value), "slope": float(slope), "points": [[int(c), f] for c, f in zip(counts, fids)]}


if a.metric == "vendi":
    rows = timed("reading", lambda: np.load(a.files[0]))
    out["vendi"] = {}
    for n in map(int, a.files[1:]):
        t = time.perf_counter()
        out["vendi"][str(n)] = {"value": vendi(rows[:n].astype(np.float64)), "seconds": time.perf_counter() - t}
elif a.metric == "cmmd":
    x, y = timed("reading", lambda: (np.load(a.files[0]).astype(np.float64), np.load(a.files[1]).astype(np.float64)))
    out["cmmd"] = timed("cmmd", lambda: cmmd(x, y))
else:
    x, y = timed("reading", lambda: (np.load(a.files[0]), np.load(a.files[1])))
    out["fid_infinity"] = timed("fid_infinity", lambda: fid_infinity(x, y))
print(json.dumps(out))
