"""Load: 200 subscribed clients while samples arrive at 1,000 per second (from another
process, through the batch endpoint). Every client gets exactly the messages it subscribed
to, and the pipeline keeps its pace."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections import defaultdict
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from openspc.testing.builders import Plant

from .conftest import Listener, Server, listener, node

LINES = 4
PER_LINE = 10  # characteristics per line: 40 in all
CLIENTS = 200
LINE_WATCHERS = 10  # clients subscribed to a line (hierarchy); the others to a characteristic
TICK = 0.1  # seconds
PER_TICK = 100  # samples per tick: 1,000 samples/s
REQUESTS_PER_TICK = 4  # batch requests per tick, each to another characteristic (in rotation)
TICKS = 30  # 3 s
T0 = datetime(2026, 2, 1, tzinfo=UTC)


@dataclass
class Submission:
    sample_ids: dict[int, list[int]]  # stored, by characteristic
    violations: dict[int, int]  # caused, by characteristic
    elapsed: float  # from the first request until the last response


async def submit(
    server: Server, token: str, characteristics: list[int], start: datetime
) -> Submission:
    """Offer ``PER_TICK`` samples every ``TICK`` for ``TICKS`` ticks from another process."""
    arguments = {
        "url": server.url,
        "token": token,
        "characteristics": characteristics,
        "start": start.isoformat(),
        "ticks": TICKS,
        "tick": TICK,
        "per_tick": PER_TICK,
        "requests_per_tick": REQUESTS_PER_TICK,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).with_name("submitter.py")),
        json.dumps(arguments),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()[-3000:]
    result = json.loads(out)
    return Submission(
        {int(c): ids for c, ids in result["sample_ids"].items()},
        defaultdict(int, {int(c): n for c, n in result["violations"].items()}),
        result["elapsed"],
    )


async def test_200_clients_receive_everything_at_1000_samples_per_second(serve, sqlite_url):
    plant = Plant(sqlite_url)
    lines: dict[int, list[int]] = {}
    for n in range(LINES):
        plant.line = node(plant, f"Line {n}", "line", None)
        lines[plant.line] = [plant.characteristic(f"c{k}") for k in range(PER_LINE)]
    characteristics = [cid for members in lines.values() for cid in members]
    server = serve(sqlite_url)
    token = server.token()

    # the same load without any WebSocket client: how fast this machine is right now
    cpu_before = server.cpu_seconds()
    baseline = await submit(server, token, characteristics, T0)
    baseline_cpu = server.cpu_seconds() - cpu_before

    # what each client subscribes to, and so which characteristics it must receive
    subscriptions: list[dict[str, object]] = []
    wanted: list[list[int]] = []
    for i in range(CLIENTS - LINE_WATCHERS):
        cid = characteristics[i % len(characteristics)]
        subscriptions.append({"type": "subscribe", "characteristic_ids": [cid]})
        wanted.append([cid])
    for i in range(LINE_WATCHERS):
        line = list(lines)[i % LINES]
        subscriptions.append({"type": "subscribe", "hierarchy_id": line})
        wanted.append(lines[line])

    async with AsyncExitStack() as stack:
        clients: list[Listener] = await asyncio.gather(
            *(
                stack.enter_async_context(
                    listener(f"{server.ws_url}?token={token}", open_timeout=30)
                )
                for _ in range(CLIENTS)
            )
        )
        for client, subscription in zip(clients, subscriptions, strict=True):
            await client.send(subscription)
        for client in clients:
            await client.next_of("subscribed", timeout=30)
        assert server.websocket_health()["clients"] == CLIENTS

        cpu_before = server.cpu_seconds()
        submitter = await submit(server, token, characteristics, T0 + timedelta(days=1))
        finished = time.time()
        for client, cids in zip(clients, wanted, strict=True):
            await client.received(
                {
                    "sample": sum(len(submitter.sample_ids[c]) for c in cids),
                    "violation": sum(submitter.violations[c] for c in cids),
                },
                timeout=30,
            )
        drained = time.time() - finished
        server_cpu = server.cpu_seconds() - cpu_before
        await asyncio.sleep(0.2)  # nothing more may come

        delivered = 0
        latencies: list[float] = []
        for client, cids in zip(clients, wanted, strict=True):
            events = [m for m in client.messages if "payload" in m]
            for cid in cids:  # every sample, once, in commit (= id) order
                received = [
                    m["payload"]["id"]
                    for m in events
                    if m["type"] == "sample" and m["payload"]["characteristic_id"] == cid
                ]
                assert received == sorted(submitter.sample_ids[cid])
            assert client.counts["violation"] == sum(submitter.violations[c] for c in cids)
            assert {m["payload"]["characteristic_id"] for m in events} <= set(cids)
            assert client.close_code is None and "overflow" not in client.counts
            delivered += len(events)
            latencies += [
                arrived - datetime.fromisoformat(m["payload"]["received_at"]).timestamp()
                for m, arrived in zip(client.messages, client.arrived_at, strict=True)
                if m["type"] == "sample"
            ]

    submitted = sum(len(ids) for ids in submitter.sample_ids.values())
    paced = TICKS * TICK
    latencies.sort()
    print(
        f"\n{CLIENTS} clients, {submitted} samples offered at {PER_TICK / TICK:.0f}/s for "
        f"{paced:.1f} s: all committed after {submitter.elapsed:.2f} s "
        f"(without clients {baseline.elapsed:.2f} s); server CPU {server_cpu:.2f} s "
        f"(without clients {baseline_cpu:.2f} s); {delivered} messages delivered, all within "
        f"{drained:.2f} s of the last response; sample latency commit to client: p50 "
        f"{statistics.median(latencies) * 1000:.0f} ms, "
        f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.0f} ms"
    )
    assert submitted == TICKS * PER_TICK
    assert server_cpu < paced, "the server needs more than one core for this rate"
    # the pace is kept: the submissions end about when the pacing does, unless this machine
    # is too busy to keep it even without clients (a shared CI runner), then about as late
    assert submitter.elapsed < 1.5 * max(paced, baseline.elapsed), "the pace was not kept"
