"""The scale-out relay against a real Mosquitto: events and invalidations reach the other
processes (not the sender), and whatever may have been missed drops the whole cache.

The two-process test on PostgreSQL is ``tests/scaleout``."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from openspc.config import Settings
from openspc.db.engine import make_engine
from openspc.engine.pipeline import BatchEvents, Pipeline
from openspc.kernel import Kernel
from openspc.relay import EventRelay
from openspc.testing.mosquitto import MosquittoBroker, free_port


class RecordingPipeline(Pipeline):
    """A real (unstarted) pipeline that records what it was told to forget."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(make_engine(settings.database_url), {}, settings)
        self.remote: list[int] = []
        self.everything = 0

    def invalidate(self, characteristic_id: int, *, remote: bool = False) -> None:
        if remote:
            self.remote.append(characteristic_id)
        super().invalidate(characteristic_id, remote=remote)

    def invalidate_all(self) -> None:
        self.everything += 1
        super().invalidate_all()


class Process:
    def __init__(self, settings: Settings) -> None:
        self.pipeline = RecordingPipeline(settings)
        self.delivered: list[BatchEvents] = []
        self.relay = EventRelay(settings, self.pipeline, deliver=self._deliver)

    async def _deliver(self, events: BatchEvents) -> None:
        self.delivered.append(events)


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met"
        await asyncio.sleep(0.02)


@pytest.fixture
def settings(sqlite_url: str, mosquitto: MosquittoBroker) -> Callable[..., Settings]:
    topic = f"test/relay-{uuid.uuid4().hex[:8]}"

    def make(process_id: str, **overrides: Any) -> Settings:
        values = {
            "database_url": sqlite_url,
            "mqtt_url": mosquitto.url,
            "relay_topic": topic,
            "process_id": process_id,
            **overrides,
        }
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return make


@pytest.fixture
async def processes(settings: Callable[..., Settings]) -> AsyncIterator[dict[str, Process]]:
    started = {name: Process(settings(name)) for name in ("A", "B")}
    for p in started.values():
        await p.relay.start()
    await until(lambda: all(p.relay.connected for p in started.values()))
    yield started
    for p in started.values():
        await p.relay.stop()
        p.pipeline.engine.dispose()


def sample(cid: int, sample_id: int) -> dict[str, Any]:
    return {"id": sample_id, "characteristic_id": cid, "value": 1.0}


async def test_events_and_invalidations_reach_the_others_only(
    processes: dict[str, Process],
) -> None:
    a, b = processes["A"], processes["B"]
    a.pipeline.invalidate(7)  # e.g. new rules configured through A's API
    a.relay.forward(BatchEvents(samples=[sample(5, 1)]))
    a.relay.forward(BatchEvents(acks=[{"violation_id": 3, "characteristic_id": 6}]))
    await until(lambda: len(b.delivered) == 2)
    assert [e.samples for e in b.delivered] == [[sample(5, 1)], []]
    assert b.delivered[1].acks == [{"violation_id": 3, "characteristic_id": 6}]
    assert sorted(b.pipeline.remote) == [5, 7]  # the relayed sample's window, the rules
    assert b.pipeline.invalidation_listeners == [b.relay.invalidated]
    await asyncio.sleep(0.2)
    assert a.delivered == [] and a.pipeline.remote == []  # no echo
    assert b.relay.health()["peers"] == ["A"] and b.relay.health().get("gaps", 0) == 0


async def test_a_gap_a_restart_or_a_death_drops_the_whole_cache(
    processes: dict[str, Process], mosquitto: MosquittoBroker
) -> None:
    b = processes["B"]
    processes["A"].relay.forward(BatchEvents(samples=[sample(5, 1)]))
    await until(lambda: len(b.delivered) == 1)
    topic = processes["A"].relay.topic
    session = processes["A"].relay.session
    peer = mqtt.Client(CallbackAPIVersion.VERSION2)
    peer.connect("127.0.0.1", mosquitto.port)
    peer.loop_start()

    def send(**message: Any) -> None:
        body = {"v": 1, "origin": "A", "session": session, **message}
        peer.publish(topic, orjson.dumps(body), qos=1).wait_for_publish(5)

    try:
        before = b.pipeline.everything
        send(kind="data", seq=5, invalidate=[], batches=[])  # 2..4 lost
        await until(lambda: b.relay.counts["gaps"] == 1)
        assert b.pipeline.everything == before + 1
        send(kind="hello", session="restarted")
        await until(lambda: b.pipeline.everything == before + 2)
        send(kind="gone", session="restarted")  # the broker publishes the will on a crash
        await until(lambda: b.pipeline.everything == before + 3)
        assert b.relay.health()["peers"] == []
    finally:
        peer.disconnect()
        peer.loop_stop()


async def test_without_the_broker_nothing_cached_is_trusted(
    settings: Callable[..., Settings],
) -> None:
    lonely = Process(settings("C", mqtt_url=f"mqtt://127.0.0.1:{free_port()}"))
    await lonely.relay.start()
    try:
        for expected in (1, 2):
            lonely.relay.forward(BatchEvents(samples=[sample(5, expected)]))
            assert lonely.pipeline.everything == expected  # after each committed batch
        assert not lonely.relay.health()["ok"] and lonely.relay.health()["queued"] == 2
    finally:
        await lonely.relay.stop(timeout=1)
        lonely.pipeline.engine.dispose()


def test_a_relay_not_started_forwards_nothing(settings: Callable[..., Settings]) -> None:
    idle = Process(settings("D"))
    idle.relay.forward(BatchEvents(samples=[sample(5, 1)]))
    assert idle.pipeline.everything == 0 and idle.relay.health()["queued"] == 0
    idle.pipeline.engine.dispose()


def test_invalidation_listeners_hear_local_changes_only(settings: Callable[..., Settings]) -> None:
    pipeline = RecordingPipeline(settings("E"))
    heard: list[int] = []
    pipeline.invalidation_listeners.append(heard.append)
    pipeline.invalidate(1)
    pipeline.invalidate(2, remote=True)
    assert heard == [1]
    pipeline.engine.dispose()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("process_id", "a/b"),
        ("process_id", "a+"),
        ("process_id", ""),
        ("relay_topic", "relay/#"),
        ("relay_topic", "/relay"),
        ("relay_topic", "relay/"),
    ],
)
def test_ids_and_topics_are_checked(field: str, value: str) -> None:
    with pytest.raises(ValueError, match="topic"):
        Settings(_env_file=None, **{field: value})  # type: ignore[arg-type, call-arg]


def test_the_relay_needs_a_broker(sqlite_url: str) -> None:
    with pytest.raises(ValueError, match="OPENSPC_MQTT_URL"):
        Kernel(Settings(_env_file=None, database_url=sqlite_url, relay_topic="openspc/relay"))  # type: ignore[call-arg]
