"""The finalize metrics of bench/finalize_bench.ts computed with numpy/scipy, as the reference tools do.

    python3 bench/finalize_baseline.py RUN.npy REF.npy [--prdc-rows 2000] [--kid-subsets 100] [--kid-size 1000]

- FID: numpy means and covariances (np.cov, float64), then pytorch-fid's calculate_frechet_distance
  (scipy.linalg.sqrtm of sigma1 @ sigma2).
- KID: torch-fidelity's kid_features_to_metric in float32 numpy (one RandomState(2020), per subset
  choice(nx) then choice(ny), polynomial kernel (x.y / d + 1)^3).
- PRDC: prdc.py's compute_prdc with numpy float64 distances on at most --prdc-rows rows per side, drawn as the
  service draws them (one RandomState(2020): real side first, then fake, each only when over the limit).
- Mean pairwise distance of at most --prdc-rows run rows (RandomState(2020).choice when over).
Prints one JSON object: each metric and each step's seconds (numpy uses all cores, as the service does).
"""
import argparse
import json
import time
import warnings

import numpy as np
from scipy import linalg

from baseline_timing import out, timed

p = argparse.ArgumentParser()
p.add_argument("run")
p.add_argument("ref")
p.add_argument("--prdc-rows", type=int, default=2000)
p.add_argument("--kid-subsets", type=int, default=100)
p.add_argument("--kid-size", type=int, default=1000)
p.add_argument("--k", type=int, default=5)
a = p.parse_args()
warnings.filterwarnings("ignore")  # scipy's sqrtm `disp` deprecation: pytorch-fid still passes it


x = timed("reading", lambda: np.load(a.run))
y = timed("reading_ref", lambda: np.load(a.ref))


def fid():
    mu1, s1 = y.mean(0, dtype=np.float64), np.cov(y, rowvar=False)
    mu2, s2 = x.mean(0, dtype=np.float64), np.cov(x, rowvar=False)
    t = time.perf_counter()
    covmean, _ = linalg.sqrtm(s1.dot(s2), disp=False)
    if not np.isfinite(covmean).all():
        off = np.eye(s1.shape[0]) * 1e-6
        covmean = linalg.sqrtm((s1 + off).dot(s2 + off))
    covmean = covmean.real
    out["sqrtm_s"] = time.perf_counter() - t
    d = mu1 - mu2
    return float(d.dot(d) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


out["fid"] = timed("fid", fid)


def kid():
    rng = np.random.RandomState(2020)
    n, d = x.shape
    m = min(a.kid_size, len(x), len(y))
    vals = []
    for _ in range(a.kid_subsets):
        fx = x[rng.choice(len(x), m, replace=False)].astype(np.float32)
        fy = y[rng.choice(len(y), m, replace=False)].astype(np.float32)
        kxx = (fx @ fx.T / d + 1) ** 3
        kyy = (fy @ fy.T / d + 1) ** 3
        kxy = (fx @ fy.T / d + 1) ** 3
        vals.append(
            (kxx.sum() - np.diag(kxx).sum() + kyy.sum() - np.diag(kyy).sum()) / (m * (m - 1)) - 2 * kxy.sum() / m**2
        )
    return {"mean": float(np.mean(vals)), "std": float(np.std(vals))}


out["kid"] = timed("kid", kid)


def distances(u, v):
    uu = (u * u).sum(1)[:, None]
    vv = (v * v).sum(1)[None, :]
    return np.sqrt(np.maximum(uu + vv - 2 * (u @ v.T), 0))


def prdc():
    rng = np.random.RandomState(2020)
    real, fake = y.astype(np.float64), x.astype(np.float64)
    if len(real) > a.prdc_rows:
        real = real[rng.choice(len(real), a.prdc_rows, replace=False)]
    if len(fake) > a.prdc_rows:
        fake = fake[rng.choice(len(fake), a.prdc_rows, replace=False)]
    k = a.k
    rr = distances(real, real)
    ff = distances(fake, fake)
    r_radius = np.partition(rr, k, axis=-1)[:, k]
    f_radius = np.partition(ff, k, axis=-1)[:, k]
    rf = distances(real, fake)
    precision = float((rf < r_radius[:, None]).any(axis=0).mean())
    recall = float((rf < f_radius[None, :]).any(axis=1).mean())
    density = float((1.0 / k) * (rf < r_radius[:, None]).sum(axis=0).mean())
    coverage = float((rf.min(axis=1) < r_radius).mean())
    return {"precision": precision, "recall": recall, "density": density, "coverage": coverage}


out["prdc"] = timed("prdc", prdc)


def pairwise():
    rows = x
    if len(rows) > a.prdc_rows:
        rows = rows[np.random.RandomState(2020).choice(len(rows), a.prdc_rows, replace=False)]
    d = distances(rows.astype(np.float64), rows.astype(np.float64))
    n = len(rows)
    return float(d[np.triu_indices(n, 1)].mean())


out["mean_pairwise_distance"] = timed("pairwise", pairwise)
print(json.dumps(out))
