"""torch's side of bench/extraction_bench.ts: pytorch-fid's InceptionV3 (models/fid-inception/torch_reference.py)
at 299 x 299, one JSON line per batch size: {"batch", "images", "seconds", "threads", "device", "tf32", "torch",
"peak_bytes"}.

    /usr/bin/python3 bench/torch_baseline.py --threads 2 --plan 1x3,8x1,32x1
    python3 bench/torch_baseline.py --device cuda --plan 1x20,32x10,128x5,256x3           # strict fp32
    python3 bench/torch_baseline.py --device cuda --tf32 --plan 128x5                     # torch's default

Weights are torchvision's default initialisation (speed does not depend on the values); inputs are uniform in
[0, 1] and go through the same resize and 2x - 1 as in pytorch-fid. Each batch size is warmed up once first.
On CUDA the input is made on the device (no upload is timed), every run ends with a synchronize, convolutions
and matmuls are strict fp32 unless --tf32 (torch's default: TF32 convolutions), and peak_bytes is
torch.cuda.max_memory_allocated for that batch size.
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
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    p.add_argument("--tf32", action="store_true", help="CUDA: allow TF32 (torch's default), not strict fp32")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cuda = args.device == "cuda"
    if cuda:
        if not torch.cuda.is_available():
            sys.exit("torch has no CUDA device here")
        torch.backends.cudnn.allow_tf32 = args.tf32
        torch.backends.cuda.matmul.allow_tf32 = args.tf32
        torch.backends.cudnn.benchmark = True
    model = FidInceptionV3().to(args.device)
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    for item in args.plan.split(","):
        batch, runs = (int(v) for v in item.split("x"))
        x = torch.rand(batch, 3, 299, 299, device=args.device)
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        model(x)  # warm-up: allocator and kernel selection
        sync()
        t = time.perf_counter()
        for _ in range(runs):
            model(x)
        sync()
        seconds = time.perf_counter() - t
        print(json.dumps({"batch": batch, "images": batch * runs, "seconds": seconds, "threads": args.threads,
                          "device": args.device, "tf32": bool(cuda and args.tf32), "torch": torch.__version__,
                          "peak_bytes": torch.cuda.max_memory_allocated() if cuda else None}), flush=True)


if __name__ == "__main__":
    main()
