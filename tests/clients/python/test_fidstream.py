"""The Python client (clients/python/fidstream.py) against a real fidstream server.

Run by tests/clients/python/fidstream_test.ts, which starts the server and sets FIDSTREAM_URL and
FIDSTREAM_API_KEY (and FIDSTREAM_RATE_LIMITED_URL: a second server allowing 60 requests a minute).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid
from pathlib import Path

import numpy as np

import fidstream
from fidstream import Client, FidstreamError, Run

REPO = Path(fidstream.__file__).resolve().parents[2]
D = 8


def offline_fid(real: np.ndarray, fake: np.ndarray) -> float:
    """pytorch-fid's formula in plain numpy: eigenvalues of S1 S2 instead of scipy's sqrtm."""
    a, b = real.astype(np.float64), fake.astype(np.float64)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    eig = np.linalg.eigvals(s1 @ s2)
    return float(((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(s1) + np.trace(s2)
                 - 2 * np.sqrt(np.clip(eig.real, 0, None)).sum())


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class TensorLike:
    """What the client needs of a torch tensor (detach, cpu, numpy, dtype), for machines without torch."""

    def __init__(self, array: np.ndarray) -> None:
        self.array = array
        self.dtype = f"torch.{array.dtype}"
        self.calls: list = []

    def detach(self) -> "TensorLike":
        self.calls.append("detach")
        return self

    def cpu(self) -> "TensorLike":
        self.calls.append("cpu")
        return self

    def numpy(self) -> np.ndarray:
        return self.array


class ClientTest(unittest.TestCase):
    client: Client
    real: np.ndarray
    ref: dict

    @classmethod
    def setUpClass(cls) -> None:
        cls.client = Client()
        cls.real = np.random.default_rng(1).standard_normal((400, D)).astype(np.float32)
        cls.ref = cls.client.create_reference(unique("real"), cls.real)

    def fresh_run(self, **kwargs) -> Run:
        return self.client.create_run(unique("run"), self.ref, **kwargs)

    def test_references_from_features_in_parts_stats_and_npz_files(self) -> None:
        self.assertEqual((self.ref["dim"], self.ref["n"], self.ref["source"]), (D, 400, "features"))
        big = np.random.default_rng(2).standard_normal((1000, D)).astype(np.float32)
        before = fidstream._MAX_PART_BYTES
        fidstream._MAX_PART_BYTES = 300 * D * 4  # parts of 300 rows: one POST and three batches
        try:
            parts = self.client.create_reference(unique("parts"), big)
        finally:
            fidstream._MAX_PART_BYTES = before
        self.assertEqual(parts["n"], 1000)
        self.assertEqual(self.client.reference(parts["id"])["n"], 1000)

        mu, sigma = big.mean(0).astype(np.float64), np.cov(big, rowvar=False)
        stats = self.client.create_reference(unique("stats"), {"mu": mu, "sigma": sigma}, n=1000)
        self.assertEqual((stats["source"], stats["n"]), ("stats", 1000))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "fid_stats.npz"
            np.savez(path, mu=mu, sigma=sigma)
            from_file = self.client.create_reference(unique("npz"), path)
            self.assertEqual((from_file["source"], from_file["n"]), ("stats", None))
            npy = Path(tmp) / "real.npy"
            np.save(npy, big[:50])
            self.assertEqual(self.client.create_reference(unique("npy"), str(npy))["n"], 50)
        self.assertEqual(self.client.reference(stats["name"])["id"], stats["id"], "found by name")
        self.assertIn(stats["id"], [r["id"] for r in self.client.references()])

    def test_runs_by_reference_name_run_id_and_run_name(self) -> None:
        name = unique("named")
        run = self.client.create_run(name, self.ref["name"], tags=["a", "seed:1"], config={"kid": False})
        self.assertEqual(run.info["reference"], self.ref["id"])
        self.assertEqual(run.info["tags"], ["a", "seed:1"])
        self.assertEqual(self.client.run(run.id).name, name)
        self.assertEqual(self.client.run(name).id, run.id)
        self.client.create_run(name, self.ref)
        with self.assertRaises(FidstreamError) as ctx:
            self.client.run(name)
        self.assertEqual((ctx.exception.status, ctx.exception.code), (422, "run_ambiguous"))
        with self.assertRaises(FidstreamError) as missing:
            self.client.create_run("x", unique("no-such-reference"))
        self.assertEqual(missing.exception.code, "reference_not_found")

    def test_automatic_keys_make_a_rerun_replay_instead_of_counting_twice(self) -> None:
        run = self.fresh_run()
        rng = np.random.default_rng(3)
        batches = [rng.standard_normal((20, D)).astype(np.float32) for _ in range(3)]
        answers = [run.upload(b) for b in batches]
        self.assertEqual([a["n"] for a in answers], [20, 40, 60])
        self.assertFalse(any(a["replayed"] for a in answers))
        again = self.client.run(run.id)  # the same script run again: the same keys in the same order
        replays = [again.upload(b) for b in batches]
        self.assertEqual([(r["batch"], r["n"], r["replayed"]) for r in replays],
                         [(a["batch"], a["n"], True) for a in answers])
        self.assertEqual(run.refresh()["n"], 60)
        with self.assertRaises(FidstreamError) as ctx:
            self.client.run(run.id).upload(batches[1])  # key py-0 with another body
        self.assertEqual(ctx.exception.status, 409)
        self.assertEqual(run.upload(batches[0], key="explicit")["n"], 80)

    def test_upload_async_returns_at_once_and_finalize_is_exact(self) -> None:
        run = self.fresh_run()
        run.max_pending = 4
        rng = np.random.default_rng(4)
        batches = [(rng.standard_normal((25, D)) * 1.2 + 0.1).astype(np.float32) for _ in range(24)]
        for b in batches:
            run.upload_async(b)
            b[:] = np.nan  # the caller may reuse its buffer: the client copied it
        flushed = run.flush()
        self.assertEqual(flushed, {"batches": 24, "n": 600})
        final = run.finalize()
        self.assertEqual(final["n"], 600)
        rng = np.random.default_rng(4)
        gen = np.concatenate([(rng.standard_normal((25, D)) * 1.2 + 0.1).astype(np.float32)
                              for _ in range(24)])
        expected = offline_fid(self.real, gen)
        self.assertAlmostEqual(final["fid"], expected, delta=1e-6 * max(1.0, expected))
        self.assertIn("mean", final["kid"])
        self.assertEqual(run.info["status"], "finalized")

    def test_a_failed_background_upload_surfaces_at_flush_and_others_still_land(self) -> None:
        run = self.fresh_run()
        run.upload_async(np.zeros((5, D + 1), np.float32))  # wrong dimension: 422
        run.upload_async(np.ones((5, D), np.float32))
        with self.assertRaises(FidstreamError) as ctx:
            run.flush()
        self.assertEqual(ctx.exception.status, 422)
        self.assertEqual(run.flush()["batches"], 1, "the error is reported once; the good batch landed")
        self.assertEqual(run.refresh()["n"], 5)

    def test_torch_style_tensors_and_float16_are_accepted(self) -> None:
        run = self.fresh_run()
        tensor = TensorLike(np.random.default_rng(5).standard_normal((6, D)).astype(np.float32))
        self.assertEqual(run.upload(tensor)["n"], 6)
        self.assertEqual(tensor.calls, ["detach", "cpu"])
        self.assertEqual(run.upload(np.ones((4, D), np.float16))["n"], 10)
        try:
            import torch  # noqa: F401 (only where installed)
        except ImportError:
            return
        self.assertEqual(run.upload(torch.ones((3, D), dtype=torch.bfloat16))["n"], 13)

    def test_events_stream_partial_metrics_then_final(self) -> None:
        run = self.fresh_run(config={"kid": False, "prdc": False})
        seen: list = []
        watcher = threading.Thread(target=lambda: seen.extend(run.events()))
        watcher.start()
        rng = np.random.default_rng(6)
        for _ in range(5):
            run.upload(rng.standard_normal((30, D)).astype(np.float32))
            time.sleep(0.6)  # a training step: the server evaluates meanwhile
        final = run.finalize()
        watcher.join(60)
        self.assertFalse(watcher.is_alive(), "the iterator ends after final")
        kinds = [e["event"] for e in seen]
        self.assertEqual(kinds[-1], "final")
        self.assertEqual(seen[-1]["n"], final["n"])
        partial = [e for e in seen if e["event"] == "metrics"]
        self.assertGreaterEqual(len(partial), 2, f"partial FID streamed: {seen}")
        self.assertEqual([e["n"] for e in partial], sorted({e["n"] for e in partial}), "no snapshot twice")
        self.assertTrue(all(isinstance(e["fid"], float) for e in partial))
        self.assertEqual(set(kinds), {"metrics", "final"}, "finalize's progress only when asked")

    def test_events_with_progress_show_finalize_phases_before_final(self) -> None:
        run = self.fresh_run(config={"kid": False, "prdc": False})
        run.upload(np.random.default_rng(7).standard_normal((40, D)).astype(np.float32))
        seen: list = []
        watcher = threading.Thread(target=lambda: seen.extend(run.events(progress=True)))
        watcher.start()
        time.sleep(0.5)
        run.finalize()
        watcher.join(60)
        kinds = [e["event"] for e in seen]
        self.assertEqual(kinds[-1], "final")
        phases = [e["phase"] for e in seen if e["event"] == "progress"]
        self.assertIn("fid", phases, f"progress events: {seen}")

    def test_fid_infinity_follows_finalize_in_a_second_final_event(self) -> None:
        run = self.fresh_run(config={"kid": False, "prdc": False})
        run.upload(np.random.default_rng(8).standard_normal((300, D)).astype(np.float32))
        first: list = []
        whole: list = []
        watchers = [threading.Thread(target=lambda: first.extend(run.events())),
                    threading.Thread(target=lambda: whole.extend(run.events(complete=True)))]
        for w in watchers:
            w.start()
        time.sleep(0.5)
        answer = run.finalize()
        self.assertEqual(answer["pending"], ["fid_infinity"], "finalize answers before FID-infinity")
        for w in watchers:
            w.join(60)
        self.assertEqual([e["event"] for e in first][-1], "final")
        self.assertEqual(first[-1]["pending"], ["fid_infinity"], "by default the iterator ends at the first final")
        finals = [e for e in whole if e["event"] == "final"]
        self.assertEqual([f.get("pending") for f in finals], [["fid_infinity"], None])
        fi = finals[-1]["fid_infinity"]
        self.assertEqual(len(fi["points"]), 15)
        self.assertEqual([p[0] for p in fi["points"]], np.linspace(30, 300, 15).astype(np.int32).tolist())
        self.assertEqual(run.refresh()["final"]["fid_infinity"], fi)
        # finalize(complete=True) on the finalized run answers the completed final.
        self.assertEqual(run.finalize(complete=True)["fid_infinity"], fi)
        other = self.fresh_run(config={"kid": False, "prdc": False})
        other.upload(np.random.default_rng(9).standard_normal((200, D)).astype(np.float32))
        done = other.finalize(complete=True)
        self.assertNotIn("pending", done)
        self.assertEqual(len(done["fid_infinity"]["points"]), 15)

    def test_reconstructions_and_latents(self) -> None:
        run = self.fresh_run()
        rng = np.random.default_rng(7)
        x = rng.uniform(0, 1, (10, 4, 4)).astype(np.float32)
        self.assertEqual(run.upload_reconstructions(x, np.clip(x + 0.1, 0, 1))["n"], 10)
        z = rng.standard_normal((10, 3))
        self.assertEqual(run.upload_latents(z, np.zeros_like(z))["n"], 10)

    def test_vae_models_grids_images_and_generate(self) -> None:
        digits = np.random.default_rng(8).integers(0, 256, (64, 28, 28), dtype=np.uint8)
        ref = self.client.create_reference(unique("digits"), digits, features="mnist-lenet")
        self.assertEqual((ref["dim"], ref["features"]), (128, "mnist-lenet"))
        run = self.client.create_run(unique("vae"), ref, config={"kid": False, "prdc": False})
        weights = REPO / "models" / "mnist-vae" / "weights"
        decoder = run.upload_model("decoder", weights / "decoder")
        self.assertEqual((decoder["role"], decoder["latent_dim"]), ("decoder", 8))
        self.assertEqual(run.upload_model("encoder", weights / "encoder")["role"], "encoder")
        self.assertEqual(sorted(m["role"] for m in run.models()), ["decoder", "encoder"])
        grid = run.grid("samples", n=16, seed=1)
        self.assertFalse(grid["replayed"])
        same = run.grid("samples", n=16, seed=1)
        self.assertEqual((same["id"], same["replayed"]), (grid["id"], True), "same request, same image")
        pair = digits[:2].astype(np.float32) / 255
        interpolation = run.grid("interpolation", x=pair, steps=5)
        self.assertEqual(len(run.images()), 2)
        self.assertEqual(run.image(interpolation)[:8], b"\x89PNG\r\n\x1a\n")
        generated = run.generate(200, seed=1, chunk=100)
        self.assertEqual((generated["generated"], generated["n"]), (200, 200))
        self.assertEqual(run.generate(200, seed=1, chunk=100)["n"], 200, "a retry counts nothing twice")

    def test_command_line_upload_watch_finalize(self) -> None:
        run = self.fresh_run(config={"kid": False})
        rng = np.random.default_rng(9)
        with tempfile.TemporaryDirectory() as tmp:
            files = []
            for i, rows in enumerate([17, 10]):
                path = Path(tmp) / f"gen{i}.npy"
                np.save(path, rng.standard_normal((rows, D)).astype(np.float32))
                files.append(str(path))
            cli = [sys.executable, fidstream.__file__]
            watch = subprocess.Popen([*cli, "watch", "--run", run.id], stdout=subprocess.PIPE, text=True)
            up = subprocess.run([*cli, "upload", "--run", run.id, "--chunk", "7", *files],
                                capture_output=True, text=True, check=True)
            self.assertEqual(json.loads(up.stdout.splitlines()[-1]),
                             {"run": run.id, "files": 2, "batches": 5, "n": 27})
            again = subprocess.run([*cli, "upload", "--run", run.name, "--chunk", "7", *files],
                                   capture_output=True, text=True, check=True)
            self.assertEqual(json.loads(again.stdout)["n"], 27, "the same upload again replays")
            fin = subprocess.run([*cli, "finalize", "--run", run.id],
                                 capture_output=True, text=True, check=True)
            self.assertEqual(json.loads(fin.stdout)["n"], 27)
            out, _ = watch.communicate(timeout=60)
            last = json.loads(out.splitlines()[-1])
            self.assertEqual((last["event"], last["n"]), ("final", 27))
            bad = subprocess.run([*cli, "upload", "--run", "no-such-run", files[0]],
                                 capture_output=True, text=True)
            self.assertEqual(bad.returncode, 1)
            self.assertIn("run_not_found", bad.stderr)
            helped = subprocess.run([*cli, "upload", "--help"], capture_output=True, text=True)
            self.assertEqual(helped.returncode, 0)
            self.assertIn("--chunk", helped.stdout)


class RateLimitTest(unittest.TestCase):
    def test_429_answers_are_retried_after_their_retry_after(self) -> None:
        url = os.environ.get("FIDSTREAM_RATE_LIMITED_URL")
        if not url:
            self.skipTest("needs FIDSTREAM_RATE_LIMITED_URL (a server with FIDSTREAM_REQUESTS_PER_MINUTE=60)")
        client = Client(url)
        ref = client.create_reference(unique("rl"), np.random.default_rng(10).standard_normal((20, D)))
        run = client.create_run(unique("rl"), ref, config={"kid": False, "prdc": False})
        start = time.monotonic()
        for _ in range(70):  # with the calls above, well over the 60-request burst
            run.upload_async(np.ones((1, D), np.float32))
        self.assertEqual(run.flush()["n"], 70)
        self.assertGreater(time.monotonic() - start, 5, "some uploads waited for their Retry-After")
        self.assertEqual(run.refresh()["n"], 70)


if __name__ == "__main__":
    unittest.main()
