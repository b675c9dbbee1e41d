"""Scale-out: two ``openspc serve`` processes on one PostgreSQL database and one Mosquitto.

Process A ingests Sparkplug group G1 and the plain topics under ``scaleout/A/``, process B
group G2 and ``scaleout/B/``; both relay their events and cache invalidations through the
broker. A WebSocket client on each process must see every sample, violation, limits version
and acknowledgment of both, each once; every published value must be stored exactly once;
and a characteristic written through both processes must be judged on its whole history
(the remote sample drops the local window) and against limits set through the other process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
from openspc_sparkplug.process_data import parse_special_causes
from openspc_sparkplug.simulator import EdgeNodeSimulator, SimulatorConfig
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select
from websockets.asyncio.client import ClientConnection, connect

from openspc.db import models as m
from openspc.db.engine import make_engine
from openspc.testing.builders import Plant
from openspc.testing.fixtures import PostgresDatabase
from openspc.testing.mosquitto import MosquittoBroker, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(120)]

ADMIN_PASSWORD = "admin-scaleout-password"
SECRET_KEY = "scaleout-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
PARTITIONS = {"A": "G1", "B": "G2"}  # process -> its Sparkplug group
METRICS = 3
SAMPLES_PER_METRIC = 250  # per edge node, at 50 messages/s
PLAIN_VALUES = 100  # per plain topic
CAUSES = "outlier:0@60,outlier:0@160,shift:1@80:2.5,trend:2@100:0.15:40"


class Server:
    """``python -m openspc serve`` owning one partition, with the relay on."""

    def __init__(
        self, name: str, database_url: str, broker: MosquittoBroker, relay: str, log: Path
    ):
        self.name = name
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self.env = {
            **os.environ,
            "OPENSPC_DATABASE_URL": database_url,
            "OPENSPC_MQTT_URL": broker.url,
            "OPENSPC_SECRET_KEY": SECRET_KEY,  # one key: a token is valid on every process
            "OPENSPC_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "OPENSPC_PORT": str(self.port),
            "OPENSPC_PLUGINS": json.dumps(["nelson", "sparkplug", "websocket"]),
            "OPENSPC_LOG_JSON": "false",
            "OPENSPC_LOG_LEVEL": "WARNING",
            "OPENSPC_WEB_DIR": str(log.parent / "no-web"),
            "OPENSPC_PROCESS_ID": name,
            "OPENSPC_RELAY_TOPIC": relay,
            "OPENSPC_SPARKPLUG_HOST_ID": f"openspc-{name}",
            "OPENSPC_SPARKPLUG_GROUPS": PARTITIONS[name],
            "OPENSPC_SPARKPLUG_PLAIN_TOPICS": f"scaleout/{name}/#",
            "OPENSPC_SPARKPLUG_SHUTDOWN_GRACE": "0.2",
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.token = ""

    @property
    def host_id(self) -> str:
        return f"openspc-{self.name}"

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def spawn(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "openspc", "serve"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def ready(self, timeout: float = 60.0) -> None:
        """Serving, Sparkplug STATE online and the relay subscribed; then logged in."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.base_url, timeout=5) as http:
            while True:
                assert self.process.poll() is None, f"server {self.name} exited:\n{self.log}"
                with contextlib.suppress(httpx.HTTPError, KeyError, ValueError):
                    components = (await http.get("/health")).json()["components"]
                    if components["sparkplug"]["state"] == "online" and components["relay"]["ok"]:
                        break
                assert time.monotonic() < deadline, f"server {self.name} not ready:\n{self.log}"
                await asyncio.sleep(0.1)
            r = await http.post(
                "/api/v1/auth/login", data={"username": "admin", "password": ADMIN_PASSWORD}
            )
            assert r.status_code == 200, r.text
            self.token = r.json()["access_token"]

    def api(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=f"{self.base_url}/api/v1",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )

    async def health(self) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=5) as http:
            return (await http.get("/health")).json()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


class LiveClient:
    """A WebSocket client of one process, subscribed to every characteristic; keeps every
    event it receives."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.events: list[tuple[str, dict[str, Any]]] = []
        self._ws: ClientConnection | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, characteristic_ids: list[int]) -> None:
        url = f"ws://127.0.0.1:{self.server.port}/api/v1/ws?token={self.server.token}"
        self._ws = await connect(url, max_size=None)
        await self._ws.send(
            json.dumps({"type": "subscribe", "characteristic_ids": characteristic_ids})
        )
        while json.loads(await self._ws.recv())["type"] != "subscribed":
            pass
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self._ws is not None
        async for raw in self._ws:
            message = json.loads(raw)
            if "payload" in message:
                self.events.append((message["type"], message["payload"]))

    def ids(self, kind: str, key: str = "id") -> list[int]:
        return [p[key] for t, p in self.events if t == kind]

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._ws is not None:
            await self._ws.close()


def has(client: LiveClient, kind: str, event_id: int) -> bool:
    return event_id in client.ids(kind)


def saw_everything(client: LiveClient, acked: set[int], samples: int, violations: int) -> bool:
    return (
        set(client.ids("ack_update", "violation_id")) == acked
        and len(client.ids("sample")) >= samples
        and len(client.ids("violation")) >= violations
    )


async def until(condition: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def plain_publish(port: int, topic: str, count: int) -> None:
    """QoS 1 values ``{"v": i}`` without a timestamp (each process stamps the arrival, so a
    topic taken by both processes would be stored twice)."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"scaleout-{uuid.uuid4().hex[:8]}")
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        for i in range(count):
            client.publish(topic, json.dumps({"v": i}), qos=1).wait_for_publish(10)
            time.sleep(0.005)
    finally:
        client.disconnect()
        client.loop_stop()


class Database:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)

    def samples(self, cid: int) -> list[tuple[int, float]]:
        """(epoch ms, value) of a characteristic's samples, in arrival order."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(m.Sample.timestamp, m.Sample.value)
                .where(m.Sample.characteristic_id == cid)
                .order_by(m.Sample.id)
            ).all()
        return [
            (round(ts.replace(tzinfo=ts.tzinfo or UTC).timestamp() * 1000), v) for ts, v in rows
        ]

    def ids(self, model: Any, *where: Any) -> set[int]:
        with self.engine.connect() as conn:
            return set(conn.execute(select(model.id).where(*where)).scalars())

    def doubled_violations(self) -> int:
        v = m.Violation
        with self.engine.connect() as conn:
            groups = (
                select(func.count().label("n"))
                .select_from(v)
                .group_by(v.sample_id, v.rule_key, v.chart)
                .subquery()
            )
            return int(conn.execute(select(func.count()).where(groups.c.n > 1)).scalar_one())


async def settled(database: Database, cids: list[int], expected: Callable[[int], int]) -> None:
    """Until every characteristic holds its expected samples and no more arrive for 0.5 s."""
    await until(
        lambda: all(len(database.samples(c)) >= expected(c) for c in cids), "the samples", 20
    )
    counts = [len(database.samples(c)) for c in cids]
    while True:
        await asyncio.sleep(0.5)
        again = [len(database.samples(c)) for c in cids]
        if again == counts:
            return
        counts = again


async def test_two_processes_on_one_database(
    postgres_database: PostgresDatabase, mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    postgres_url = postgres_database.url
    relay = f"openspc/relay-{uuid.uuid4().hex[:8]}"
    servers = {
        name: Server(name, postgres_url, mosquitto, relay, tmp_path / f"server-{name}.log")
        for name in PARTITIONS
    }
    taken: dict[str, list[tuple[int, list[float]]]] = {name: [] for name in PARTITIONS}
    edges = {
        name: EdgeNodeSimulator(
            SimulatorConfig(
                group=group,
                node="N",
                mqtt_url=mosquitto.url,
                metrics=METRICS,
                rate=50.0,
                primary_host=servers[name].host_id,
                special_causes=parse_special_causes(CAUSES),
                seed=7 if name == "A" else 11,
            ),
            on_sample=lambda ts, values, name=name: taken[name].append((ts, values)),  # type: ignore[misc]
        )
        for name, group in PARTITIONS.items()
    }
    plant = Plant(postgres_url)
    tags: dict[str, list[int]] = {
        name: [
            plant.characteristic(
                f"{group}-{metric}",
                center=None,  # a baseline: limits versions come from the streams
                source="TAG",
                tag=f"sparkplug://{group}/N/{metric}",
            )
            for metric in edges[name].metric_names
        ]
        for name, group in PARTITIONS.items()
    }
    plain = {
        name: plant.characteristic(
            f"plain-{name}",
            center=0.0,
            sigma=100.0,
            source="TAG",
            tag=f"mqtt://scaleout/{name}/x#v",
        )
        for name in PARTITIONS
    }
    manual = plant.characteristic("manual", center=0.0, sigma=1.0)
    plant.engine.dispose()
    everything = [*tags["A"], *tags["B"], *plain.values(), manual]
    database = Database(postgres_url)
    seeded_limits = database.ids(m.ControlLimits)
    clients: dict[str, LiveClient] = {}
    try:
        for server in servers.values():
            server.spawn()
        await asyncio.gather(*(server.ready() for server in servers.values()))
        for name, server in servers.items():
            clients[name] = LiveClient(server)
            await clients[name].start(everything)

        # 1. each process ingests its partition; the other process's client sees it all
        for edge in edges.values():
            await edge.start()
        await asyncio.gather(
            *(
                asyncio.to_thread(plain_publish, mosquitto.port, f"scaleout/{name}/x", PLAIN_VALUES)
                for name in PARTITIONS
            )
        )
        await until(
            lambda: all(len(t) >= SAMPLES_PER_METRIC for t in taken.values()), "the edge nodes", 30
        )
        for edge in edges.values():
            await edge.stop()
        expected = {c: len(taken[name]) - 2 for name in PARTITIONS for c in tags[name]}
        await settled(
            database, [*expected, *plain.values()], lambda c: expected.get(c, PLAIN_VALUES)
        )

        # 2. a characteristic written through both processes, alternately: each waits until
        # the other's sample reached it, then its window must hold the other's points too
        async with servers["A"].api() as api_a, servers["B"].api() as api_b:
            apis = {"A": api_a, "B": api_b}
            t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
            responses = []
            for i in range(9):
                name = "AB"[i % 2]
                body = {"measurements": [1.5], "timestamp": (t0 + timedelta(seconds=i)).isoformat()}
                r = await apis[name].post(f"/characteristics/{manual}/samples", json=body)
                assert r.status_code == 201, r.text
                responses.append(r.json())
                sample_id = r.json()["sample"]["id"]
                other = clients["B" if name == "A" else "A"]
                await until(partial(has, other, "sample", sample_id), "the relayed sample")
            rules = [{v["rule_key"] for v in r["violations"]} for r in responses]
            assert "nelson.6" in rules[4]  # 4 of 5 beyond 1 sigma: 3 of them via the other
            assert "nelson.2" in rules[8]  # 9 on one side: 4 of them via process B

            # limits set through B are in force at A once the change reached it
            r = await api_b.put(
                f"/characteristics/{manual}/limits", json={"center_line": 0.0, "sigma": 0.1}
            )
            assert r.status_code == 201, r.text
            version = r.json()["id"]
            await until(lambda: version in clients["A"].ids("limits_update"), "the new limits")
            body = {"measurements": [1.5], "timestamp": (t0 + timedelta(seconds=9)).isoformat()}
            r = await api_a.post(f"/characteristics/{manual}/samples", json=body)
            assert r.status_code == 201, r.text
            assert r.json()["sample"]["limits_id"] == version
            assert r.json()["sample"]["z"] == pytest.approx(15.0)
            # (against the old limits z would be 1.5: no rule 1)
            assert ("nelson.1", "primary") in {
                (v["rule_key"], v["chart"]) for v in r.json()["violations"]
            }

            # 3. an acknowledgment made on either process reaches both clients
            first = database.ids(m.Violation, m.Violation.characteristic_id.in_(tags["A"]))
            second = database.ids(m.Violation, m.Violation.characteristic_id.in_(tags["B"]))
            assert first and second, "the special causes gave no violations"
            acked = {min(first): api_b, min(second): api_a}  # each through the other process
            for violation_id, api in acked.items():
                r = await api.post(
                    f"/violations/{violation_id}/acknowledge", json={"reason_code": "SETUP"}
                )
                assert r.status_code == 200, r.text

        # 4. every event of both processes reached both clients, once
        samples = database.ids(m.Sample)
        violations = database.ids(m.Violation)
        limits = database.ids(m.ControlLimits) - seeded_limits
        for client in clients.values():
            await until(
                partial(saw_everything, client, set(acked), len(samples), len(violations)),
                f"the events at process {client.server.name}",
            )
        health = {name: await server.health() for name, server in servers.items()}
        check(database, clients, health, taken, tags, plain, samples, violations, limits, acked)
    finally:
        for client in clients.values():
            await client.close()
        for server in servers.values():
            server.stop()
        database.engine.dispose()


def check(
    database: Database,
    clients: dict[str, LiveClient],
    health: dict[str, Any],
    taken: dict[str, list[tuple[int, list[float]]]],
    tags: dict[str, list[int]],
    plain: dict[str, int],
    samples: set[int],
    violations: set[int],
    limits: set[int],
    acked: dict[int, Any],
) -> None:
    for name, client in clients.items():
        for kind, expected_ids, key in (
            ("sample", samples, "id"),
            ("violation", violations, "id"),
            ("limits_update", limits, "id"),
            ("ack_update", set(acked), "violation_id"),
        ):
            seen = client.ids(kind, key)
            doubles = [i for i, n in Counter(seen).items() if n > 1]
            assert not doubles, f"client of {name} got {kind} events twice: {doubles[:5]}"
            assert set(seen) == expected_ids, f"client of {name}: {kind} events differ"
    assert len(limits) == len(tags["A"]) + len(tags["B"]) + 1  # the baselines and B's version

    # every published value stored exactly once, by the process owning its partition
    for name in PARTITIONS:
        for k, cid in enumerate(tags[name]):
            stored = dict(database.samples(cid))  # (a timestamp is unique per characteristic)
            published = {ts: values[k] for ts, values in taken[name]}
            assert stored == {ts: published[ts] for ts in stored}
            missing = set(published) - set(stored)
            assert missing <= {ts for ts, _ in taken[name][-2:]}  # taken while stopping
        values = sorted(v for _, v in database.samples(plain[name]))
        assert values == [float(i) for i in range(PLAIN_VALUES)]
        sparkplug = health[name]["components"]["sparkplug"]
        owned = sum(len(database.samples(c)) for c in (*tags[name], plain[name]))
        assert sparkplug["samples"] == owned  # the other partition never reached it
        assert sparkplug["dropped"] == {}
        relay_health = health[name]["components"]["relay"]
        assert relay_health.get("gaps", 0) == 0 and relay_health.get("dropped_batches", 0) == 0
    assert database.doubled_violations() == 0
