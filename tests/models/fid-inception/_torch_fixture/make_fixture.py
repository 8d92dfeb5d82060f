"""Writes features.npz beside this file: pytorch-fid's network in real torch (models/fid-inception/
torch_reference.py) on weights and images that torch_parity_test.ts regenerates bit for bit from the same integer
formulas, so CI compares the TypeScript network with torch without Python, torch or the 91 MiB weights.

    /usr/bin/python3 tests/models/fid-inception/_torch_fixture/make_fixture.py [--pth-zip F] [--pth-legacy F]

--pth-zip / --pth-legacy also save the full state dict with torch.save in the zip (PyTorch >= 1.6) and the legacy
format, for the end-to-end check `deno task cli features ... --weights F` (files too large to commit).
"""

import argparse
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "..", "models", "fid-inception"))
from torch_reference import OUTPUTS, FidInceptionV3  # noqa: E402

# (name, n, height, width, channels, seed): the same table as CASES in torch_parity_test.ts.
CASES = (("square", 2, 299, 299, 3, 11), ("gray_up", 2, 64, 48, 1, 12), ("down", 1, 341, 317, 3, 13))


def mulberry32(seed, n):
    """The first n values of mulberry32(seed) (tools/arrays.ts seededRandom), vectorised."""
    a = (np.uint64(seed) + np.arange(1, n + 1, dtype=np.uint64) * np.uint64(0x6D2B79F5)) & np.uint64(0xFFFFFFFF)
    t = a.astype(np.uint32)
    t = (t ^ (t >> np.uint32(15))) * (t | np.uint32(1))
    t ^= t + (t ^ (t >> np.uint32(7))) * (t | np.uint32(61))
    return (t ^ (t >> np.uint32(14))).astype(np.float64) / 4294967296.0


def fnv1a(text):
    """32-bit FNV-1a of the UTF-8 bytes: each tensor's seed, so values do not depend on key order."""
    h = 0x811C9DC5
    for b in text.encode():
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def weight_values(name, shape):
    """One state-dict tensor's values, computed in float64 and rounded once to float32."""
    r = mulberry32(fnv1a(name), int(np.prod(shape)))
    if name.endswith("conv.weight"):
        v = (2 * r - 1) * np.sqrt(6 / int(np.prod(shape[1:])))
    elif name.endswith("bn.weight"):
        v = 0.6 + 0.8 * r
    elif name.endswith("running_var"):
        v = 0.5 + r
    elif name == "fc.weight":
        v = (2 * r - 1) / np.sqrt(2048)
    else:  # bn.bias, bn.running_mean, fc.bias
        v = 0.2 * r - 0.1
    return v.astype(np.float32).reshape(shape)


def case_images(n, h, w, c, seed):
    """uint8 NHWC: a diagonal ramp per image and channel plus noise, wrapped at 256 (integers only)."""
    i, y, x, ch = np.meshgrid(np.arange(n), np.arange(h), np.arange(w), np.arange(c), indexing="ij")
    noise = np.floor(mulberry32(seed, n * h * w * c) * 64).astype(np.int64).reshape(n, h, w, c)
    return ((x * 255 // (w - 1) // 2 + y * 255 // (h - 1) // 4 + ch * 40 + i * 17 + noise) % 256).astype(np.uint8)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--pth-zip")
    p.add_argument("--pth-legacy")
    args = p.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    model = FidInceptionV3()
    state = model.net.state_dict()
    with torch.no_grad():
        for name, t in state.items():
            if t.dtype == torch.float32:
                t.copy_(torch.from_numpy(weight_values(name, tuple(t.shape))))
    if args.pth_zip:
        torch.save(state, args.pth_zip)
    if args.pth_legacy:
        torch.save(state, args.pth_legacy, _use_new_zipfile_serialization=False)
    arrays = {}
    for name, n, h, w, c, seed in CASES:
        u8 = case_images(n, h, w, c, seed)
        arrays[f"{name}.pixel_sum"] = np.array(float(u8.sum(dtype=np.int64)))  # float64: exact, and .npz readers all take it
        x = torch.from_numpy(u8).permute(0, 3, 1, 2).float().div(255)  # as ToTensor does
        if c == 1:
            x = x.repeat(1, 3, 1, 1)  # as PIL's convert("RGB") does in pytorch-fid's loader
        out = model(x)
        for k in OUTPUTS:
            arrays[f"{name}.{k}"] = out[k].numpy().astype(np.float32)
    np.savez_compressed(os.path.join(HERE, "features.npz"), **arrays)
    for k, v in arrays.items():
        print(k, v.shape, float(np.abs(v).max()))


if __name__ == "__main__":
    main()
