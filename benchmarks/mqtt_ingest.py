"""Sparkplug B ingest through Mosquitto into OpenSPC (SQLite, Nelson rules evaluated).

    python benchmarks/mqtt_ingest.py [--characteristics 1000] [--per-message 20]
        [--rounds 100] [--latency-seconds 15]

An edge-node process (this file with ``--edge``) publishes NBIRTH and then NDATA carrying
``--per-message`` metrics each, for ``--characteristics`` metrics bound to as many
characteristics (limits 0 ± 1, all Nelson rules on). The OpenSPC kernel (pipeline and MQTT
provider, as ``openspc serve`` runs them) runs in this process with a notifier that records
when each committed batch is published. Three runs, each with a fresh edge-node session:

1. throughput: ``--rounds`` values of every metric, published as fast as the broker takes
   them; samples/s from the first publish to the last commit;
2. latency: 1,000 samples/s paced for ``--latency-seconds``; p50/p99 from the metric
   timestamp to the commit;
3. ceiling: the throughput stream again, drained by a bare paho subscriber (no OpenSPC).

Prints JSON. Floors: >= 20,000 samples/s and p99 <= 50 ms at 1,000 samples/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import paho.mqtt.client as mqtt
from openspc_sparkplug.codec import DataType, Metric, encode_nbirth, encode_payload
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import update

from openspc.config import Settings
from openspc.db.models import Characteristic
from openspc.hookspecs import hookimpl
from openspc.kernel import Kernel
from openspc.plugins import create_plugin_manager
from openspc.testing.builders import Plant
from openspc.testing.mosquitto import MosquittoBroker

GROUP, NODE = "Bench", "Edge"
NDATA = f"spBv1.0/{GROUP}/NDATA/{NODE}"


# --- the edge node (a separate process) -----------------------------------------------------


def edge(args: argparse.Namespace) -> None:
    """Publish NBIRTH, then NDATA (QoS 0): ``--rounds`` as fast as possible, or ``--rate``
    samples/s for ``--seconds``. Prints the publish start time (s since the epoch)."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-edge-{os.getpid()}")
    client.connect("127.0.0.1", args.port)
    client.loop_start()
    n, per = args.characteristics, args.per_message
    rng = random.Random(os.getpid())
    now = int(time.time() * 1000)
    births = [
        Metric(name=f"m{i}", alias=i, datatype=DataType.Double, value=0.0, timestamp=now - 10_000)
        for i in range(n)
    ]
    client.publish(f"spBv1.0/{GROUP}/NBIRTH/{NODE}", encode_nbirth(births, bd_seq=0, timestamp=now))
    seq = 1
    if args.rate:  # let the births be committed before the paced stream starts
        time.sleep(3.0)
    started = time.time()
    print(json.dumps({"started": started}), flush=True)

    def message(first: int, timestamp: int) -> bytes:
        nonlocal seq
        metrics = [
            Metric(alias=i, datatype=DataType.Double, value=rng.gauss(0, 1), timestamp=timestamp)
            for i in range(first, min(first + per, n))
        ]
        payload = encode_payload(metrics, timestamp=timestamp, seq=seq % 256)
        seq += 1
        return payload

    info: mqtt.MQTTMessageInfo | None = None
    if args.rate:  # paced: one round of all metrics per n / rate seconds
        period = per / args.rate
        due = time.monotonic()
        end = due + args.seconds
        first = 0
        while due < end:
            due += period
            time.sleep(max(0.0, due - time.monotonic()))
            info = client.publish(NDATA, message(first, int(time.time() * 1000)))
            first = (first + per) % n
    else:
        base = now - 10_000_000  # unique, past timestamps: one ms per round
        for round_ in range(args.rounds):
            for first in range(0, n, per):
                info = client.publish(NDATA, message(first, base + round_))
            if info is not None:
                info.wait_for_publish()  # a round at a time: as fast as the broker takes them
    if info is not None:
        info.wait_for_publish()
    client.disconnect()
    client.loop_stop()


def run_edge(port: int, args: argparse.Namespace, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--edge",
            "--port",
            str(port),
            "--characteristics",
            str(args.characteristics),
            "--per-message",
            str(args.per_message),
            *extra,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )


def started_at(process: subprocess.Popen[str]) -> float:
    assert process.stdout is not None
    return float(json.loads(process.stdout.readline())["started"])


# --- OpenSPC in this process ----------------------------------------------------------------


class Recorder:
    """A notifier: when each committed batch was published, and its sample timestamps."""

    name = "bench-recorder"
    instance: Recorder | None = None

    def __init__(self, app: Any) -> None:
        Recorder.instance = self
        self.count = 0
        self.first: float | None = None
        self.last = 0.0
        self.latencies: list[tuple[float, float]] | None = None  # (commit, sample time)

    async def send(self, events: Any) -> None:
        now = time.time()
        self.count += len(events.samples)
        self.first = self.first or now
        self.last = now
        if self.latencies is not None:
            for sample in events.samples:
                stamp = datetime.fromisoformat(sample["timestamp"]).timestamp()
                self.latencies.append((now, stamp))

    def reset(self, *, latencies: bool = False) -> None:
        self.count, self.first, self.last = 0, None, 0.0
        self.latencies = [] if latencies else None


class BenchPlugin:
    @hookimpl
    def register_notifiers(self) -> list[type]:
        return [Recorder]


async def wait_count(recorder: Recorder, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while recorder.count < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{recorder.count} of {count} samples committed")
        await asyncio.sleep(0.01)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


async def bench_openspc(broker: MosquittoBroker, args: argparse.Namespace) -> dict[str, Any]:
    directory = Path(tempfile.mkdtemp(prefix="openspc-bench-"))
    url = f"sqlite:///{directory / 'bench.db'}"
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=url,
        mqtt_url=broker.url,
        admin_password="bench-admin-password",
        log_level="WARNING",
    )
    kernel = Kernel(
        settings, create_plugin_manager(allow=["sparkplug", "nelson"], extra=[BenchPlugin()])
    )
    kernel.migrate()
    plant = Plant(url)
    ids = [plant.characteristic(f"m{i}") for i in range(args.characteristics)]
    with plant.engine.begin() as conn:
        for i, cid in enumerate(ids):
            conn.execute(
                update(Characteristic)
                .where(Characteristic.id == cid)
                .values(source="TAG", tag=f"sparkplug://{GROUP}/{NODE}/m{i}")
            )
    plant.engine.dispose()
    app = SimpleNamespace(state=SimpleNamespace(kernel=kernel))
    await kernel.start(app)
    recorder = Recorder.instance
    assert recorder is not None
    (provider,) = kernel.providers
    try:
        while not provider.health()["ok"]:
            await asyncio.sleep(0.05)
        n = args.characteristics
        # 1. throughput
        recorder.reset()
        total = n * args.rounds
        edge_process = run_edge(broker.port, args, "--rounds", str(args.rounds))
        start = await asyncio.to_thread(started_at, edge_process)
        await wait_count(recorder, n + total, timeout=600)  # the births' values too
        throughput = total / (recorder.last - start)
        await asyncio.to_thread(edge_process.wait)
        # 2. latency at 1,000 samples/s
        recorder.reset(latencies=True)
        edge_process = run_edge(
            broker.port, args, "--rate", "1000", "--seconds", str(args.latency_seconds)
        )
        start = await asyncio.to_thread(started_at, edge_process)
        await asyncio.to_thread(edge_process.wait)
        await wait_count(recorder, n + int(1000 * args.latency_seconds * 0.99), timeout=60)
        # the paced samples (not the births' values)
        latencies = [commit - stamp for commit, stamp in recorder.latencies or [] if stamp >= start]
        health = provider.health()
    finally:
        await kernel.stop(app)
    return {
        "samples_per_s": round(throughput, 1),
        "samples": total,
        "latency_at_1000_per_s": {
            "samples": len(latencies),
            "p50_ms": round(percentile(latencies, 50) * 1000, 2),
            "p99_ms": round(percentile(latencies, 99) * 1000, 2),
            "max_ms": round(max(latencies) * 1000, 2),
        },
        "dropped": health["dropped"],
    }


def bench_ceiling(broker: MosquittoBroker, args: argparse.Namespace) -> dict[str, Any]:
    """The same stream drained by a bare paho subscriber (network thread, QoS 0)."""
    messages = args.rounds * -(-args.characteristics // args.per_message)
    received = 0
    done = threading.Event()
    last = 0.0

    def on_message(client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        nonlocal received, last
        if message.topic == NDATA:
            received += 1
            last = time.time()
            if received == messages:
                done.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-bare")
    client.on_message = on_message
    client.connect("127.0.0.1", broker.port)
    client.subscribe(f"spBv1.0/{GROUP}/#", 1)
    client.loop_start()
    time.sleep(0.5)
    edge_process = run_edge(broker.port, args, "--rounds", str(args.rounds))
    start = started_at(edge_process)
    done.wait(600)
    edge_process.wait()
    client.disconnect()
    client.loop_stop()
    return {
        "messages_per_s": round(messages / (last - start), 1),
        "samples_per_s": round(messages * args.per_message / (last - start), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--characteristics", type=int, default=1000)
    parser.add_argument("--per-message", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--latency-seconds", type=float, default=15.0)
    parser.add_argument("--edge", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--rate", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.edge:
        edge(args)
        return
    broker = MosquittoBroker().start()
    try:
        openspc = asyncio.run(bench_openspc(broker, args))
        ceiling = bench_ceiling(broker, args)
    finally:
        broker.close()
    print(
        json.dumps(
            {
                "benchmark": "mqtt_ingest",
                "database": "sqlite",
                "rules": "nelson (8)",
                "characteristics": args.characteristics,
                "metrics_per_message": args.per_message,
                "throughput": {
                    "samples": openspc["samples"],
                    "samples_per_s": openspc["samples_per_s"],
                },
                "latency_at_1000_samples_per_s": openspc["latency_at_1000_per_s"],
                "bare_subscriber_ceiling": ceiling,
                "dropped": openspc["dropped"],
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "floors": {"samples_per_s": 20000, "p99_ms_at_1000_per_s": 50},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
