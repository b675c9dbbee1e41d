"""Manual-entry throughput over HTTP against a running server (SQLite, all 8 rules enabled).

    python benchmarks/rest_ingest.py [--sequential 3000] [--batches 30]

One keep-alive connection of the standard library's ``http.client`` (so the client is not
the bottleneck): sequential single-sample submissions (samples/s, p50/p99 latency), then
batch submissions of 1,000 (samples/s). Prints JSON. Floors: >= 600 samples/s with
p99 <= 10 ms sequential, >= 20,000 samples/s in batches.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import UTC, datetime, timedelta

from _server import Server, percentile, request, wait_healthy

from openspc.testing.builders import Plant


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sequential", type=int, default=3000)
    parser.add_argument("--batches", type=int, default=30)
    args = parser.parse_args()

    server = Server().start()
    try:
        wait_healthy(server)
        plant = Plant(server.database_url)
        single = plant.characteristic("sequential")
        batched = plant.characteristic("batched")
        token = server.token()
        conn = server.connection()
        rng = random.Random(1)

        for _ in range(200):  # warm-up
            request(
                conn,
                "POST",
                f"/api/v1/characteristics/{single}/samples",
                {"measurements": [rng.gauss(0, 1)]},
                token,
            )
        latencies = []
        started = time.perf_counter()
        for _ in range(args.sequential):
            t = time.perf_counter()
            status, _ = request(
                conn,
                "POST",
                f"/api/v1/characteristics/{single}/samples",
                {"measurements": [rng.gauss(0, 1)]},
                token,
            )
            latencies.append(time.perf_counter() - t)
            assert status == 201
        sequential_seconds = time.perf_counter() - started

        t0 = datetime(2025, 1, 1, tzinfo=UTC)
        batch_seconds = 0.0
        violations = 0
        for b in range(args.batches):
            body = {
                "samples": [
                    {
                        "measurements": [rng.gauss(0, 1)],
                        "timestamp": (t0 + timedelta(seconds=b * 1000 + i)).isoformat(),
                    }
                    for i in range(1000)
                ]
            }
            t = time.perf_counter()
            status, result = request(
                conn, "POST", f"/api/v1/characteristics/{batched}/samples/batch", body, token
            )
            batch_seconds += time.perf_counter() - t
            assert status == 201, result
            violations += len(result["violations"])

        print(
            json.dumps(
                {
                    "benchmark": "rest_ingest",
                    "database": "sqlite",
                    "rules_enabled": 8,
                    "sequential": {
                        "samples": args.sequential,
                        "samples_per_s": round(args.sequential / sequential_seconds, 1),
                        "p50_ms": round(percentile(latencies, 50) * 1000, 3),
                        "p99_ms": round(percentile(latencies, 99) * 1000, 3),
                    },
                    "batch": {
                        "batch_size": 1000,
                        "batches": args.batches,
                        "samples_per_s": round(args.batches * 1000 / batch_seconds, 1),
                        "violations": violations,
                    },
                    "floors": {
                        "sequential_samples_per_s": 600,
                        "sequential_p99_ms": 10,
                        "batch_samples_per_s": 20000,
                    },
                },
                indent=2,
            )
        )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
