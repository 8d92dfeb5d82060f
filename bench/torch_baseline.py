"""torch's side of bench/extraction_bench.ts: pytorch-fid's InceptionV3 (models/fid-inception/torch_reference.py)
at 299 x 299 on the CPU, one JSON line per batch size: {"batch", "images", "seconds", "threads", "torch"}.

    /usr/bin/python3 bench/torch_baseline.py --threads 2 --plan 1x3,8x1,32x1

Weights are torchvision's default initialisation (speed does not depend on the values); inputs are uniform in
[0, 1] and go through the same resize and 2x - 1 as in pytorch-fid. Each batch size is warmed up once first.
"""

import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "fid-inception"))
from torch_reference import FidInceptionV3  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--plan", default="1x3,8x1,32x1", help="batch x runs, comma separated")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = FidInceptionV3()
    for item in args.plan.split(","):
        batch, runs = (int(v) for v in item.split("x"))
        x = torch.rand(batch, 3, 299, 299)
        model(x)  # warm-up: allocator and kernel selection
        t = time.perf_counter()
        for _ in range(runs):
            model(x)
        seconds = time.perf_counter() - t
        print(json.dumps({"batch": batch, "images": batch * runs, "seconds": seconds, "threads": args.threads,
                          "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
