"""Reliability: API reads, manual submissions (single and batch) and QoS 1 tag ingestion at
the same time against one server process on a SQLite file: no ``database is locked`` anywhere
and no lost or doubled writes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx

from openspc.testing.builders import T0, Plant
from openspc.testing.mosquitto import MosquittoBroker
from tests.faults.conftest import Publisher, Server, stored, wait_until

DURATION = 4.0
PUBLISH_PAUSE = 0.005  # about 150 tag values a second on a loaded machine
TOPIC = "faults/contention/temperature"
T0_MS = int(T0.timestamp() * 1000)


def test_concurrent_reads_submissions_and_tags_on_sqlite(
    sqlite_url: str, mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    plant = Plant(sqlite_url)
    single = plant.characteristic("single")
    batch = plant.characteristic("batch")
    tag = plant.characteristic("tag", source="TAG", tag=f"mqtt://{TOPIC}#value")
    plant.engine.dispose()
    server = Server(sqlite_url, mosquitto.url, tmp_path).start()
    failures: list[str] = []  # any 5xx or unexpected status, with what was asked
    created: dict[int, dict[int, float]] = {single: {}, batch: {}}
    published: dict[int, float] = {}
    reads = [0]
    stop = threading.Event()

    def worker(body: Callable[[httpx.Client], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                api = server.api()
                try:
                    while not stop.is_set():
                        body(api)
                finally:
                    api.close()
            except Exception as exc:  # recorded, so that the test fails with it
                failures.append(f"{type(exc).__name__}: {exc}")

        return run

    def read(api: httpx.Client) -> None:
        for path in (
            f"/characteristics/{tag}/chart",
            f"/characteristics/{single}/samples?limit=200",
            f"/characteristics/{batch}/samples?limit=200",
            "/violations?limit=200",
        ):
            r = api.get(path)
            if r.status_code != 200:
                failures.append(f"GET {path} -> {r.status_code}: {r.text[:200]}")
            reads[0] += 1

    def submit_single(api: httpx.Client) -> None:
        k = len(created[single])
        ts = T0 + timedelta(seconds=k)
        value = round(0.01 * (k % 50), 3)
        r = api.post(
            f"/characteristics/{single}/samples",
            json={"timestamp": ts.isoformat(), "measurements": [value]},
        )
        if r.status_code == 201:
            created[single][int(ts.timestamp() * 1000)] = value
        else:
            failures.append(f"POST single -> {r.status_code}: {r.text[:200]}")
            stop.set()

    def submit_batch(api: httpx.Client) -> None:
        start = len(created[batch])
        stamps = [T0 + timedelta(seconds=start + i) for i in range(25)]
        values = [round(0.02 * ((start + i) % 40), 3) for i in range(25)]
        body = {
            "samples": [
                {"timestamp": ts.isoformat(), "measurements": [v]}
                for ts, v in zip(stamps, values, strict=True)
            ]
        }
        r = api.post(f"/characteristics/{batch}/samples/batch", json=body)
        if r.status_code == 201 and not r.json()["duplicates"]:
            for ts, v in zip(stamps, values, strict=True):
                created[batch][int(ts.timestamp() * 1000)] = v
        else:
            failures.append(f"POST batch -> {r.status_code}: {r.text[:200]}")
            stop.set()

    def publish() -> None:
        publisher = Publisher(mosquitto.port)
        try:
            k = 0
            while not stop.is_set():
                value = round(0.03 * (k % 30), 3)
                publisher.publish(TOPIC, T0_MS + k * 1000, value)  # returns on PUBACK
                published[T0_MS + k * 1000] = value
                k += 1
                time.sleep(PUBLISH_PAUSE)
        finally:
            publisher.close()

    threads = [
        threading.Thread(target=t)
        for t in (
            worker(read),
            worker(read),
            worker(submit_single),
            worker(submit_batch),
            publish,
        )
    ]
    try:
        for t in threads:
            t.start()
        time.sleep(DURATION)
        stop.set()
        for t in threads:
            t.join(60)
        wait_until(lambda: len(stored(sqlite_url, tag)) >= len(published), 30, "the tag values")
        time.sleep(0.5)  # a redelivered value would arrive now, and must not be stored twice
        log = server.log
    finally:
        stop.set()
        server.stop()

    print(
        f"reads={reads[0]} single={len(created[single])} batch={len(created[batch])} "
        f"mqtt={len(published)}"
    )
    assert not failures, failures[:10]
    assert "database is locked" not in log
    assert "Traceback" not in log, log[-3000:]
    assert reads[0] > 0 and len(created[single]) > 0 and len(created[batch]) > 0
    assert len(published) > 0
    assert stored(sqlite_url, single) == created[single]
    assert stored(sqlite_url, batch) == created[batch]
    assert stored(sqlite_url, tag) == published
