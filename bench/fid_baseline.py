"""pytorch-fid's calculate_frechet_distance on two stats files, as a whole command, timing its scipy sqrtm step:
the yardstick of `deno task cli fid A.npz B.npz` (bench/cli_bench.ts runs both on the same files).

    python3 bench/fid_baseline.py A.npz B.npz     -> {"fid", "sqrtm_s"}
"""
import json
import sys
import time
import warnings

import numpy as np
from scipy import linalg

warnings.filterwarnings("ignore")
f1, f2 = np.load(sys.argv[1]), np.load(sys.argv[2])
mu1, s1, mu2, s2 = f1["mu"], f1["sigma"], f2["mu"], f2["sigma"]
t = time.perf_counter()
covmean, _ = linalg.sqrtm(s1.dot(s2), disp=False)
if not np.isfinite(covmean).all():
    off = np.eye(s1.shape[0]) * 1e-6
    covmean = linalg.sqrtm((s1 + off).dot(s2 + off))
sqrtm_s = time.perf_counter() - t
d = mu1 - mu2
fid = d.dot(d) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean.real)
print(json.dumps({"fid": float(fid), "sqrtm_s": sqrtm_s}))
