"""End-to-end latency: from submission to the ``violation`` message at a WebSocket client.

    python benchmarks/latency.py [--seconds 10] [--rate 1000]

A real server (SQLite, all 8 Nelson rules), a real Mosquitto, and one WebSocket client
subscribed to two characteristics: one fed over REST (batches of 10 every 10 ms from one
keep-alive ``http.client`` connection), one fed over plain MQTT (QoS 1 JSON messages with
their own timestamps). Each path carries ``--rate`` samples/s; every 20th sample breaks
Nelson rule 1. Reports p50/p99 of the time from sending a sample to receiving its first
violation message, per path, as JSON. Floor: p99 <= 50 ms. The REST client waits for each
response before it sends the next batch, so a slow response delays the batches after it
and they are timed from when they were actually sent. ``rest.from_due`` times them from when
they were due, the way a client that does not wait would see them.

The load of each path runs in its own process (this file with ``--load``), so that neither
the publisher nor the WebSocket client (this process) waits for the other's GIL. Both read
``CLOCK_MONOTONIC``, one clock for every process of the machine. The MQTT publisher has no
network thread: ``publish`` writes to the socket at once, and the PUBACKs are read while it
waits for the next message's time.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt
import websockets
from _server import Server, percentile, request, wait_healthy

from openspc.testing.builders import Plant
from openspc.testing.mosquitto import MosquittoBroker

TOPIC = "bench/latency"
EVERY = 20  # every 20th sample breaks rule 1
GRACE = 5.0  # seconds the client keeps listening after the load ended


def clock() -> float:
    """Seconds of ``CLOCK_MONOTONIC``: comparable between processes on one machine."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def value(i: int, rng: random.Random) -> float:
    return 5.0 if i % EVERY == EVERY - 1 else max(-2.0, min(2.0, rng.gauss(0, 0.5)))


# --- the loads (each in its own process) ----------------------------------------------------


def rest_load(args: argparse.Namespace) -> dict[str, Any]:
    """A batch every ``10 / rate`` s: when each violating sample was sent, and when it was due
    (a batch is sent late when the previous response came late: one synchronous client)."""
    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
    rng = random.Random(1)
    t0 = datetime(2030, 1, 1, tzinfo=UTC)
    per_tick, tick = 10, 10 / args.rate
    sent: dict[str, float] = {}
    due: dict[str, float] = {}
    start = clock()
    for batch in range(round(args.seconds / tick)):
        time.sleep(max(0.0, start + batch * tick - clock()))
        now = clock()
        samples = []
        for i in range(batch * per_tick, (batch + 1) * per_tick):
            ts = (t0 + timedelta(milliseconds=i)).isoformat()
            samples.append({"measurements": [value(i, rng)], "timestamp": ts})
            if i % EVERY == EVERY - 1:
                sent[ts], due[ts] = now, start + batch * tick
        status, body = request(
            conn,
            "POST",
            f"/api/v1/characteristics/{args.cid}/samples/batch",
            {"samples": samples},
            args.token,
        )
        assert status == 201, body
    return {"sent": sent, "due": due}


def mqtt_load(args: argparse.Namespace) -> dict[str, Any]:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="latency-bench-publisher")
    client.connect("127.0.0.1", args.port)
    rng = random.Random(2)
    t0 = datetime(2031, 1, 1, tzinfo=UTC)
    sent: dict[str, float] = {}
    start = clock()
    i = 0
    while clock() - start < args.seconds:
        ts = (t0 + timedelta(milliseconds=i)).isoformat()
        payload = json.dumps({"value": value(i, rng), "timestamp": ts})
        if i % EVERY == EVERY - 1:
            sent[ts] = clock()
        client.publish(TOPIC, payload, qos=1)  # written to the socket now (no network thread)
        i += 1
        while (left := start + i / args.rate - clock()) > 0:
            client.loop(timeout=left)  # PUBACKs
    end = clock() + 1
    while clock() < end:
        client.loop(timeout=0.1)
    client.disconnect()
    return {"sent": sent}


# --- the WebSocket client (this process) ----------------------------------------------------


async def run_path(
    path: str, server: Server, broker: MosquittoBroker, token: str, cids: list[int], args: Any
) -> dict[str, Any]:
    """Subscribe, run the path's load process, and listen until it ended (and a grace)."""
    url = f"ws://127.0.0.1:{server.port}/api/v1/ws?token={token}"
    timestamps: dict[int, str] = {}
    received: dict[str, float] = {}
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send(json.dumps({"type": "subscribe", "characteristic_ids": cids}))
        port, cid = (server.port, cids[0]) if path == "rest" else (broker.port, cids[1])
        load = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--load",
            path,
            "--port",
            str(port),
            "--cid",
            str(cid),
            "--token",
            token,
            "--seconds",
            str(args.seconds),
            "--rate",
            str(args.rate),
            stdout=asyncio.subprocess.PIPE,
        )
        output = asyncio.ensure_future(load.communicate())
        deadline: float | None = None
        while deadline is None or clock() < deadline:
            if deadline is None and output.done():
                deadline = clock() + GRACE
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=0.5)
            except TimeoutError:
                continue
            now = clock()
            message: Any = json.loads(raw)
            if message["type"] == "sample":
                timestamps[message["payload"]["id"]] = message["payload"]["timestamp"]
            elif message["type"] == "violation":
                ts = timestamps.get(message["payload"]["sample_id"])
                if ts is not None and ts not in received:
                    received[ts] = now
        stdout, _ = await output
    assert load.returncode == 0, f"the {path} load failed"
    times = json.loads(stdout)
    result = summary(times["sent"], received)
    if "due" in times:  # what a client that does not wait for the previous response would see
        from_due = summary(times["due"], received)
        result["from_due"] = {k: from_due[k] for k in ("p50_ms", "p99_ms", "max_ms")}
    return result


def summary(sent: dict[str, float], received: dict[str, float]) -> dict[str, Any]:
    latencies = [received[ts] - sent[ts] for ts in sent if ts in received]
    return {
        "violations_sent": len(sent),
        "violations_received": len(latencies),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2) if latencies else None,
        "p99_ms": round(percentile(latencies, 99) * 1000, 2) if latencies else None,
        "max_ms": round(max(latencies) * 1000, 2) if latencies else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--load", choices=["rest", "mqtt"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--cid", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        print(json.dumps((rest_load if args.load == "rest" else mqtt_load)(args)))
        return

    broker = MosquittoBroker().start()
    server = Server(OPENSPC_MQTT_URL=broker.url).start()
    try:
        wait_healthy(server)
        plant = Plant(server.database_url)
        rest_cid = plant.characteristic("rest")
        mqtt_cid = plant.characteristic("mqtt", source="TAG", tag=f"mqtt://{TOPIC}#value")
        token = server.token()
        time.sleep(12)  # the provider picks up the new binding (it reloads bindings every 10 s)
        results = {
            path: asyncio.run(run_path(path, server, broker, token, [rest_cid, mqtt_cid], args))
            for path in ("rest", "mqtt")
        }
        print(
            json.dumps(
                {
                    "benchmark": "latency",
                    "database": "sqlite",
                    "rate_per_path": args.rate,
                    "seconds": args.seconds,
                    **results,
                    "load_average": [round(x, 2) for x in os.getloadavg()],
                    "floor_p99_ms": 50,
                },
                indent=2,
            )
        )
    finally:
        server.stop()
        broker.close()


if __name__ == "__main__":
    main()
