"""Writes fid_infinity.json: what numpy itself computes for FID-infinity's sample plan, so the TypeScript tests
(tests/stats/fid_infinity_test.ts) compare against numpy without Python at test time.

  python3 tests/stats/_numpy_fixture/make_fixture.py

- permutations: numpy.random.RandomState(0).permutation(N) (the legacy Fisher-Yates shuffle) for several N,
  as the SHA-256 of its little-endian uint32 bytes plus its first and last entries.
- schedules: np.linspace(N // 10, N, 15).astype(np.int32) for many N (every N from 150 to 1,199, random N up
  to 2^31 - 1 and edge cases), as the SHA-256 of every schedule's little-endian int32 bytes in order, plus a few
  schedules written out.
"""
import hashlib
import json
import pathlib

import numpy as np

HERE = pathlib.Path(__file__).parent


def perm_entry(n: int) -> dict:
    p = np.random.RandomState(0).permutation(n)
    return {
        "n": n,
        "sha256": hashlib.sha256(p.astype("<u4").tobytes()).hexdigest(),
        "head": p[:8].tolist(),
        "tail": p[-8:].tolist(),
    }


def schedule(n: int) -> np.ndarray:
    return np.linspace(n // 10, n, 15).astype(np.int32)


def main() -> None:
    rng = np.random.RandomState(14)
    ns = list(range(150, 1200))
    ns += sorted(set(int(v) for v in rng.randint(1200, 2**31 - 1, size=300)))
    ns += [49999, 50000, 50001, 65536, 100000, 1000000, 2**24 + 1, 2**31 - 1]
    digest = hashlib.sha256()
    for n in ns:
        digest.update(schedule(n).astype("<i4").tobytes())
    out = {
        "numpy": np.__version__,
        "permutations": [perm_entry(n) for n in [1, 2, 3, 10, 150, 1000, 2049, 50000, 65537, 123457, 1000003]],
        "schedule_ns": ns,
        "schedules_sha256": digest.hexdigest(),
        "schedules": {str(n): schedule(n).tolist() for n in [150, 151, 999, 50000, 123457, 2**31 - 1]},
    }
    # Then `deno fmt` it (the repository's JSON style); the data are the same.
    (HERE / "fid_infinity.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
