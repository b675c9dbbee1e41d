"""Offers samples at a fixed rate through the batch endpoint, as an external client with an
interpreter of its own (so that the clients under test cannot slow it down).

Run as a script: ``python submitter.py '<json arguments>'``; prints the outcome as JSON. Each
tick's requests start on schedule whether or not earlier ones have returned (open loop), so a
server that cannot sustain the rate falls ever further behind, and ``elapsed`` shows it.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import httpx


async def submit(
    url: str,
    token: str,
    characteristics: list[int],
    start: str,
    ticks: int,
    tick: float,
    per_tick: int,
    requests_per_tick: int,
) -> dict[str, Any]:
    rng = random.Random(11)
    sample_ids: dict[int, list[int]] = defaultdict(list)
    violations: dict[int, int] = defaultdict(int)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:

        async def post(cid: int, first: datetime, values: list[float]) -> None:
            body = {
                "samples": [
                    {
                        "measurements": [v],
                        "timestamp": (first + timedelta(milliseconds=i)).isoformat(),
                    }
                    for i, v in enumerate(values)
                ]
            }
            r = await http.post(f"/api/v1/characteristics/{cid}/samples/batch", json=body)
            if r.status_code != 201:
                raise RuntimeError(f"{r.status_code}: {r.text}")
            sample_ids[cid] += r.json()["sample_ids"]
            violations[cid] += len(r.json()["violations"])

        requests = []
        started = time.perf_counter()
        for n in range(ticks):
            delay = started + n * tick - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            first = datetime.fromisoformat(start) + timedelta(seconds=n)
            for k in range(requests_per_tick):
                cid = characteristics[(n * requests_per_tick + k) % len(characteristics)]
                values = [rng.gauss(0, 1) for _ in range(per_tick // requests_per_tick)]
                requests.append(asyncio.create_task(post(cid, first, values)))
        await asyncio.gather(*requests)
        elapsed = time.perf_counter() - started
    return {"sample_ids": sample_ids, "violations": violations, "elapsed": elapsed}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(submit(**json.loads(sys.argv[1])))))
