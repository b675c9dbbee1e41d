"""Reliability: the database becomes unavailable while the server runs, then comes back.

PostgreSQL only: a dedicated database is closed to connections (``ALLOW_CONNECTIONS false``
and its backends terminated) and opened again. SQLite is not covered: a read-only file does
not stop a process running as root, and there is no other unprivileged way to take it away."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from openspc.testing.builders import T0, Plant
from openspc.testing.fixtures import PostgresDatabase
from openspc.testing.mosquitto import MosquittoBroker
from tests.faults.conftest import Publisher, Server, count, stored, wait_until

pytestmark = pytest.mark.postgres

TOPIC = "faults/outage/pressure"
T0_MS = int(T0.timestamp() * 1000)


def _set_available(admin_url: str, name: str, available: bool) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"ALTER DATABASE {name} ALLOW_CONNECTIONS {str(available).lower()}"))
            if not available:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                    ),
                    {"n": name},
                )
    finally:
        admin.dispose()


def test_database_outage_gives_503_keeps_mqtt_unacknowledged_and_recovers(
    postgres_database: PostgresDatabase, mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    url, name, admin_url = (
        postgres_database.url,
        postgres_database.name,
        postgres_database.admin_url,
    )
    plant = Plant(url)
    manual = plant.characteristic("manual")
    tag = plant.characteristic("tag", source="TAG", tag=f"mqtt://{TOPIC}#value")
    plant.engine.dispose()
    server = Server(url, mosquitto.url, tmp_path).start()
    publisher = Publisher(mosquitto.port)
    published: dict[int, float] = {}
    created: dict[int, float] = {}

    def sample(k: int) -> dict[str, object]:
        return {"timestamp": (T0 + timedelta(seconds=k)).isoformat(), "measurements": [0.1 * k]}

    def publish(k: int) -> None:
        publisher.publish(TOPIC, T0_MS + k * 1000, 0.5 * k)
        published[T0_MS + k * 1000] = 0.5 * k

    try:
        api = server.api()
        # before: everything works
        assert api.post(f"/characteristics/{manual}/samples", json=sample(0)).status_code == 201
        created[T0_MS] = 0.0
        for k in range(10):
            publish(k)
        wait_until(lambda: count(url, tag) == 10, 20, "the first tag values")

        _set_available(admin_url, name, False)
        # down: a clear 503, nothing stored, /health says why
        r = api.post(f"/characteristics/{manual}/samples", json=sample(1))
        assert r.status_code == 503, r.text
        assert "database is unavailable" in r.json()["detail"]
        assert r.headers["retry-after"]
        r = api.post(
            f"/characteristics/{manual}/samples/batch", json={"samples": [sample(2), sample(3)]}
        )
        assert r.status_code == 503, r.text
        for k in range(10, 30):  # the broker acknowledges them to us and must keep them
            publish(k)
        health = api.get(f"{server.base_url}/health")
        assert health.status_code == 503
        body = health.json()
        assert body["status"] == "degraded"
        assert body["database"]["ok"] is False
        assert body["database"]["reason"] == "the database is unavailable"
        assert "database is unavailable" in body["ingest"]["last_error"]
        wait_until(
            lambda: (
                api.get(f"{server.base_url}/health").json()["components"]["sparkplug"]["pending"]
                > 0
            ),
            10,
            "the tag values to be held, unacknowledged",
        )
        sparkplug = api.get(f"{server.base_url}/health").json()["components"]["sparkplug"]
        assert sparkplug["samples"] == 10  # nothing committed (so nothing acknowledged) since
        assert sparkplug["last_error"]
        time.sleep(1.0)

        _set_available(admin_url, name, True)
        # back: no restart, the held values are committed, submissions work, health is ok
        wait_until(lambda: count(url, tag) == 30, 40, "the tag values held during the outage")
        for k in range(1, 4):
            r = api.post(f"/characteristics/{manual}/samples", json=sample(k))
            assert r.status_code == 201, r.text
            created[T0_MS + k * 1000] = round(0.1 * k, 10)
        for k in range(30, 35):
            publish(k)
        wait_until(lambda: count(url, tag) == 35, 20, "the tag values after the outage")
        health = api.get(f"{server.base_url}/health")
        assert health.status_code == 200, health.text
        assert health.json()["status"] == "ok", health.text
        assert health.json()["ingest"] == {"ok": True, "last_error": None}
        api.close()
    finally:
        publisher.close()
        server.stop()

    assert stored(url, tag) == published
    assert stored(url, manual) == pytest.approx(created)
    assert "Traceback" in server.log  # the failed batches are logged with their cause
