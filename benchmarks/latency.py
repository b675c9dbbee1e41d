"""End-to-end latency: from submission to the ``violation`` message at a WebSocket client.

    python benchmarks/latency.py [--seconds 10] [--rate 1000]

A real server (SQLite, all 8 Nelson rules), a real Mosquitto, and one WebSocket client
subscribed to two characteristics: one fed over REST (batches of 10 every 10 ms from one
keep-alive ``http.client`` connection), one fed over plain MQTT (QoS 1 JSON messages with
their own timestamps). Each path carries ``--rate`` samples/s; every 20th sample breaks
Nelson rule 1. Reports p50/p99 of the time from sending a sample to receiving its first
violation message, per path, as JSON. Floor: p99 <= 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import threading
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


def value(i: int, rng: random.Random) -> float:
    return 5.0 if i % EVERY == EVERY - 1 else max(-2.0, min(2.0, rng.gauss(0, 0.5)))


def rest_load(
    server: Server, token: str, cid: int, seconds: float, rate: float, sent: dict[str, float]
) -> None:
    conn = server.connection()
    rng = random.Random(1)
    t0 = datetime(2030, 1, 1, tzinfo=UTC)
    per_tick, tick = 10, 10 / rate
    start = time.perf_counter()
    i = 0
    while time.perf_counter() - start < seconds:
        samples = []
        now = time.perf_counter()
        for _ in range(per_tick):
            ts = (t0 + timedelta(milliseconds=i)).isoformat()
            samples.append({"measurements": [value(i, rng)], "timestamp": ts})
            if i % EVERY == EVERY - 1:
                sent[ts] = now
            i += 1
        status, body = request(
            conn,
            "POST",
            f"/api/v1/characteristics/{cid}/samples/batch",
            {"samples": samples},
            token,
        )
        assert status == 201, body
        time.sleep(max(0.0, start + (i / per_tick) * tick - time.perf_counter()))


def mqtt_load(broker: MosquittoBroker, seconds: float, rate: float, sent: dict[str, float]) -> None:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="latency-bench-publisher")
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    rng = random.Random(2)
    t0 = datetime(2031, 1, 1, tzinfo=UTC)
    start = time.perf_counter()
    i = 0
    while time.perf_counter() - start < seconds:
        ts = t0 + timedelta(milliseconds=i)
        if i % EVERY == EVERY - 1:
            sent[ts.isoformat()] = time.perf_counter()
        payload = {"value": value(i, rng), "timestamp": ts.isoformat()}
        client.publish(TOPIC, json.dumps(payload), qos=1)
        i += 1
        time.sleep(max(0.0, start + i / rate - time.perf_counter()))
    time.sleep(1)
    client.loop_stop()
    client.disconnect()


async def listen(
    server: Server,
    token: str,
    cids: list[int],
    seconds: float,
    received: dict[str, float],
    ready: threading.Event,
) -> None:
    url = f"ws://127.0.0.1:{server.port}/api/v1/ws?token={token}"
    timestamps: dict[int, str] = {}
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send(json.dumps({"type": "subscribe", "characteristic_ids": cids}))
        ready.set()
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            try:
                message: Any = json.loads(await asyncio.wait_for(ws.recv(), timeout=1))
            except TimeoutError:
                continue
            if message["type"] == "sample":
                timestamps[message["payload"]["id"]] = message["payload"]["timestamp"]
            elif message["type"] == "violation":
                ts = timestamps.get(message["payload"]["sample_id"])
                if ts is not None and ts not in received:
                    received[ts] = time.perf_counter()


def summary(sent: dict[str, float], received: dict[str, float]) -> dict[str, Any]:
    latencies = [received[ts] - sent[ts] for ts in sent if ts in received]
    return {
        "violations_sent": len(sent),
        "violations_received": len(latencies),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2) if latencies else None,
        "p99_ms": round(percentile(latencies, 99) * 1000, 2) if latencies else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rate", type=float, default=1000)
    args = parser.parse_args()

    broker = MosquittoBroker().start()
    server = Server(OPENSPC_MQTT_URL=broker.url).start()
    try:
        wait_healthy(server)
        plant = Plant(server.database_url)
        rest_cid = plant.characteristic("rest")
        mqtt_cid = plant.characteristic("mqtt", source="TAG", tag=f"mqtt://{TOPIC}#value")
        token = server.token()
        time.sleep(12)  # the provider picks up the new binding (it reloads bindings every 10 s)
        results = {}
        for path in ("rest", "mqtt"):
            sent: dict[str, float] = {}
            received: dict[str, float] = {}
            ready = threading.Event()
            listener = threading.Thread(
                target=asyncio.run,
                args=(
                    listen(server, token, [rest_cid, mqtt_cid], args.seconds + 5, received, ready),
                ),
            )
            listener.start()
            ready.wait(10)
            if path == "rest":
                rest_load(server, token, rest_cid, args.seconds, args.rate, sent)
            else:
                mqtt_load(broker, args.seconds, args.rate, sent)
            listener.join()
            results[path] = summary(sent, received)
        print(
            json.dumps(
                {
                    "benchmark": "latency",
                    "database": "sqlite",
                    "rate_per_path": args.rate,
                    "seconds": args.seconds,
                    **results,
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
