"""Fixtures: the app with the publisher on a real Mosquitto, an independent MQTT subscriber
(paho, in its own thread) that records every message, and a TCP proxy that can cut the
publisher's connection the way a crash or a broken network does."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from fastapi.testclient import TestClient

from openspc.app import create_app
from openspc.config import Settings
from openspc.testing.fixtures import TEST_ADMIN_PASSWORD
from openspc.testing.mosquitto import MosquittoBroker

from .wire import WirePayload, parse

ONLY_US = ["nelson", "mqtt_publisher"]


def topic(kind: str) -> str:
    """A topic of the publisher's edge node (default group and node ids)."""
    return f"spBv1.0/OpenSPC/{kind}/SPC"


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    qos: int
    retain: bool


class Recorder:
    """Subscribes (QoS 1) before the app starts and records everything, in order."""

    def __init__(self, port: int, topics: list[str]) -> None:
        self.messages: list[Received] = []
        self._changed = threading.Condition()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="test-recorder")
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.connect("127.0.0.1", port)
        self.client.subscribe([(topic, 1) for topic in topics])
        self.client.loop_start()
        assert self._subscribed.wait(5), "no SUBACK"

    def _on_message(self, _client: Any, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self._changed:
            self.messages.append(
                Received(message.topic, bytes(message.payload), message.qos, bool(message.retain))
            )
            self._changed.notify_all()

    def wait_for(
        self, predicate: Callable[[Received], bool], *, start: int = 0, timeout: float = 5.0
    ) -> int:
        """Index of the first message at or after ``start`` that satisfies ``predicate``."""
        deadline = time.monotonic() + timeout
        index = start
        with self._changed:
            while True:
                while index < len(self.messages):
                    if predicate(self.messages[index]):
                        return index
                    index += 1
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    topics = [m.topic for m in self.messages[start:]]
                    raise AssertionError(f"no matching message in {timeout} s after {topics}")
                self._changed.wait(remaining)

    def decoded(self, index: int) -> WirePayload:
        """A Sparkplug payload received, read with the independent wire reader."""
        return parse(self.messages[index].payload)

    def next_on(self, topic: str, *, start: int = 0, timeout: float = 5.0) -> int:
        return self.wait_for(lambda m: m.topic == topic, start=start, timeout=timeout)

    def publish(self, topic: str, payload: bytes, qos: int = 0) -> None:
        self.client.publish(topic, payload, qos).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def recorder(mosquitto: MosquittoBroker) -> Iterator[Callable[..., Recorder]]:
    """``recorder("spBv1.0/#", ...)``: an independent subscriber on the test broker."""
    made: list[Recorder] = []

    def make(*topics: str) -> Recorder:
        made.append(Recorder(mosquitto.port, list(topics)))
        return made[-1]

    yield make
    for r in made:
        r.close()


class Proxy:
    """Forwards TCP connections to the broker. ``cut()`` resets every forwarded connection (no
    MQTT DISCONNECT reaches the broker, so it publishes the client's will); between
    ``pause()`` and ``resume()`` connections are refused, as by an unreachable broker."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.connections: list[socket.socket] = []
        self._lock = threading.Lock()
        self.resume()

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def resume(self) -> None:
        self.server = socket.create_server(("127.0.0.1", self.port))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, args=(self.server,), daemon=True).start()

    def pause(self) -> None:
        self.server.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread (Linux)
        self.server.close()
        self.cut()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                downstream, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                self.connections += [downstream, upstream]
            for source, target in ((downstream, upstream), (upstream, downstream)):
                threading.Thread(target=_pump, args=(source, target), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            connections, self.connections = self.connections, []
        for s in connections:
            _reset(s)


def _reset(s: socket.socket) -> None:
    """Close without any MQTT goodbye, with a TCP reset (SO_LINGER 0) as a crashed peer
    would; the shutdown first wakes the thread that is reading it."""
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        s.shutdown(socket.SHUT_RDWR)
    s.close()


def _pump(source: socket.socket, target: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            target.sendall(data)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


@pytest.fixture
def proxy(mosquitto: MosquittoBroker) -> Iterator[Proxy]:
    p = Proxy(mosquitto.port)
    yield p
    p.pause()


@dataclass
class App:
    client: TestClient
    running: bool = True

    @cached_property
    def headers(self) -> dict[str, str]:
        """The admin's authorization."""
        r = self.client.post(
            "/api/v1/auth/login", data={"username": "admin", "password": TEST_ADMIN_PASSWORD}
        )
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def stop(self) -> None:
        """Shut the app down gracefully (the lifespan's shutdown runs)."""
        if self.running:
            self.client.__exit__(None, None, None)
            self.running = False

    @property
    def kernel(self) -> Any:
        return self.client.app.state.kernel  # type: ignore[attr-defined]

    def post_sample(self, characteristic_id: int, value: float) -> dict[str, Any]:
        r = self.client.post(
            f"/api/v1/characteristics/{characteristic_id}/samples",
            json={"measurements": [value]},
            headers=self.headers,
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    def acknowledge(self, violation_id: int) -> None:
        r = self.client.post(
            f"/api/v1/violations/{violation_id}/acknowledge",
            json={"reason_code": "TOOL_WEAR", "comment": "insert changed"},
            headers=self.headers,
        )
        assert r.status_code == 200, r.text


@pytest.fixture
def start_app(
    make_settings: Callable[..., Settings],
    database_url: str,
    mosquitto: MosquittoBroker,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[..., App]]:
    """``start_app(mode="json", ...)``: the app on the test database and broker, with
    ``OPENSPC_MQTT_PUBLISH_<NAME>`` set from the keyword arguments; stopped at teardown
    unless the test stopped it. Only the Nelson rules and this plugin are loaded unless
    ``plugins`` (entry-point names) says otherwise."""
    apps: list[App] = []

    def start(plugins: list[str] = ONLY_US, **publisher: Any) -> App:
        for name, value in {"enabled": True, "reconnect_min_seconds": 0.1, **publisher}.items():
            monkeypatch.setenv(f"OPENSPC_MQTT_PUBLISH_{name.upper()}", str(value))
        settings = make_settings(database_url=database_url, mqtt_url=mosquitto.url, plugins=plugins)
        client = TestClient(create_app(settings))
        client.__enter__()
        apps.append(App(client))
        return apps[-1]

    yield start
    for app in apps:
        app.stop()
