"""What the numpy baselines of bench/ share: the JSON object they print, and a timer that records into it."""
import time

out = {}


def timed(name, fn):
    """Runs fn, records its seconds as out[name + "_s"], returns its value."""
    t = time.perf_counter()
    v = fn()
    out[f"{name}_s"] = time.perf_counter() - t
    return v
