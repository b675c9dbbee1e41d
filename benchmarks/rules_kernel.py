"""Throughput of the eight Nelson rules: vectorized kernels vs the plain-loop reference.

    python benchmarks/rules_kernel.py            # 10,000 x 1,000 batch, 1,000 x 25 streaming
    python benchmarks/rules_kernel.py --quick    # a smaller smoke run

Prints one JSON object. "Points" are array cells, each evaluated by all eight rules. In the
streaming shape every call also yields one new point per series (the last column), reported
as ``new_points_per_s``. The reference is ``openspc_nelson.reference`` (one Python loop per
point) over a subset, timed in the same run; ``speedup_batch`` is what the 100x floor is
about. Timings are the best of a few repeats, so a busy machine skews them less.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable

import numpy as np
from openspc_nelson import RULES, reference

FLOOR = 100.0


def workload(rng: np.random.Generator, rows: int, width: int) -> np.ndarray:
    """In-control noise with sustained shifts of 1.5 sigma in blocks, so every rule fires."""
    block = 25
    shifts = rng.choice([0.0, 0.0, 0.0, 1.5, -1.5], (rows, -(-width // block)))
    return rng.normal(0.0, 1.0, (rows, width)) + np.repeat(shifts, block, axis=1)[:, :width]


def best_seconds(run: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def evaluate_all(z: np.ndarray, n: np.ndarray) -> list[np.ndarray]:
    return [rule.fire(z, n) for rule in RULES]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    rows, width, stream_rows, window, calls, ref_rows = (
        (500, 1000, 100, 25, 20, 2) if args.quick else (10_000, 1000, 1000, 25, 200, 20)
    )
    rng = np.random.default_rng(20240101)

    z = workload(rng, rows, width)
    n = np.full(rows, width, dtype=np.int64)
    evaluate_all(z[:10], n[:10])  # warm-up
    batch_s = best_seconds(lambda: evaluate_all(z, n), repeat=3)
    firings = {
        rule.key: int(out.sum()) for rule, out in zip(RULES, evaluate_all(z, n), strict=True)
    }

    zs = workload(rng, stream_rows, window)
    ns = np.full(stream_rows, window, dtype=np.int64)
    stream_s = best_seconds(lambda: [evaluate_all(zs, ns) for _ in range(calls)], repeat=3)

    subset = z[:ref_rows].tolist()
    ref_s = best_seconds(
        lambda: [reference.fires(rule.rule_id, row) for row in subset for rule in RULES], repeat=1
    )
    agrees = all(
        out[r].tolist() == reference.fires(rule.rule_id, subset[r])
        for rule, out in zip(RULES, evaluate_all(z[:ref_rows], n[:ref_rows]), strict=True)
        for r in range(ref_rows)
    )

    batch_rate = rows * width / batch_s
    stream_rate = calls * stream_rows * window / stream_s
    stream_new = calls * stream_rows / stream_s
    ref_rate = ref_rows * width / ref_s
    result = {
        "benchmark": "rules_kernel",
        "rules": [rule.key for rule in RULES],
        "batch": {
            "series": rows,
            "points_per_series": width,
            "seconds": round(batch_s, 4),
            "points_per_s": round(batch_rate),
            "firings": firings,
        },
        "streaming": {
            "series": stream_rows,
            "window": window,
            "calls": calls,
            "seconds": round(stream_s, 4),
            "points_per_s": round(stream_rate),
            "new_points_per_s": round(stream_new),
            "ms_per_call": round(1000 * stream_s / calls, 3),
        },
        "reference": {
            "points": ref_rows * width,
            "seconds": round(ref_s, 4),
            "points_per_s": round(ref_rate),
            "agrees_with_vectorized": agrees,
        },
        "speedup_batch": round(batch_rate / ref_rate, 1),
        "speedup_streaming": round(stream_rate / ref_rate, 1),
        "speedup_streaming_new_points": round(stream_new / ref_rate, 1),
        "floor": FLOOR,
        "meets_floor": batch_rate / ref_rate >= FLOOR,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result, indent=2))
    if not agrees:
        sys.exit("the vectorized rules disagree with the reference")


if __name__ == "__main__":
    main()
