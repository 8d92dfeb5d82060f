"""torch-fidelity's KID (kid_features_to_metric) in float32 numpy, as a whole command: the yardstick of
`deno task cli kid` (bench/cli_bench.ts runs both on the same files).

    python3 bench/kid_baseline.py A.npy B.npy [--subsets 100] [--subset-size 1000] [--seed 2020]
"""
import argparse
import json

import numpy as np

p = argparse.ArgumentParser()
p.add_argument("a")
p.add_argument("b")
p.add_argument("--subsets", type=int, default=100)
p.add_argument("--subset-size", type=int, default=1000)
p.add_argument("--seed", type=int, default=2020)
a = p.parse_args()
x = np.load(a.a).astype(np.float32)
y = np.load(a.b).astype(np.float32)
d = x.shape[1]
m = min(a.subset_size, len(x), len(y))
rng = np.random.RandomState(a.seed)
vals = []
for _ in range(a.subsets):
    fx = x[rng.choice(len(x), m, replace=False)]
    fy = y[rng.choice(len(y), m, replace=False)]
    kxx = (fx @ fx.T / d + 1) ** 3
    kyy = (fy @ fy.T / d + 1) ** 3
    kxy = (fx @ fy.T / d + 1) ** 3
    vals.append((kxx.sum() - np.diag(kxx).sum() + kyy.sum() - np.diag(kyy).sum()) / (m * (m - 1)) - 2 * kxy.sum() / m**2)
print(json.dumps({"kid_mean": float(np.mean(vals)), "kid_std": float(np.std(vals))}))
