"""Fixtures of the Sparkplug plugin tests.

``mosquitto`` is deliberately small so it can be swapped for the shared broker fixture of
``openspc.testing`` once that exists.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

import aiomqtt
import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select, update

from openspc.db.models import Characteristic, Measurement, Sample
from openspc.testing.builders import Plant
from openspc_sparkplug.provider import SparkplugProvider

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


@dataclass(frozen=True)
class Broker:
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mosquitto exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.02)
    raise RuntimeError(f"mosquitto did not listen on {port} within {timeout} s")


@pytest.fixture(scope="session")
def mosquitto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    if not Path(MOSQUITTO).exists():
        pytest.fail("mosquitto is required (Debian package `mosquitto`)")
    directory = tmp_path_factory.mktemp("mosquitto")
    port = _free_port()
    config = directory / "mosquitto.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\n"
        "allow_anonymous true\n"
        "max_queued_messages 100000\n"
        "persistence false\n"
    )
    with (directory / "mosquitto.log").open("wb") as log:
        process = subprocess.Popen(
            [MOSQUITTO, "-c", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
    try:
        _wait_for_port(port, process)
        yield Broker("127.0.0.1", port)
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class MqttPeer:
    """The test's side of the broker: records every Sparkplug message, publishes STATE/NCMD."""

    def __init__(self, client: aiomqtt.Client) -> None:
        self.client = client
        self.messages: list[tuple[str, bytes]] = []
        self._arrived = asyncio.Event()

    async def collect(self) -> None:
        async for message in self.client.messages:
            payload = message.payload
            self.messages.append(
                (message.topic.value, payload if isinstance(payload, bytes) else b"")
            )
            self._arrived.set()

    async def wait_for(
        self, predicate: Callable[[str, bytes], bool], *, start: int = 0, timeout: float = 5.0
    ) -> int:
        """Index of the first message at or after ``start`` that satisfies ``predicate``."""
        deadline = asyncio.get_running_loop().time() + timeout
        index = start
        while True:
            while index < len(self.messages):
                if predicate(*self.messages[index]):
                    return index
                index += 1
            self._arrived.clear()
            remaining = deadline - asyncio.get_running_loop().time()
            try:
                await asyncio.wait_for(self._arrived.wait(), max(remaining, 0.0))
            except TimeoutError:
                raise AssertionError(
                    f"no matching message within {timeout} s; got {len(self.messages)}: "
                    f"{sorted({topic for topic, _ in self.messages})}"
                ) from None

    async def wait_for_topic(self, topic: str, *, start: int = 0, timeout: float = 5.0) -> int:
        return await self.wait_for(lambda t, _: t == topic, start=start, timeout=timeout)


@pytest_asyncio.fixture
async def mqtt_peer(mosquitto: Broker) -> AsyncIterator[MqttPeer]:
    async with aiomqtt.Client(
        mosquitto.host, mosquitto.port, identifier=f"test-peer-{uuid.uuid4().hex[:8]}"
    ) as client:
        await client.subscribe("spBv1.0/#", qos=1)
        peer = MqttPeer(client)
        collector = asyncio.create_task(peer.collect())
        yield peer
        collector.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await collector


@pytest.fixture
def group() -> str:
    """A group id of its own per test: retained STATE and wills cannot leak across tests."""
    return f"G{uuid.uuid4().hex[:8]}"


# --- the provider inside a real app ---------------------------------------------------------


class RunningApp:
    """A started OpenSPC app (lifespan run in the test's event loop) with its HTTP client."""

    def __init__(self, app: Any, http: Any) -> None:
        self.app = app
        self.http = http

    @property
    def provider(self) -> SparkplugProvider:
        (provider,) = self.app.state.kernel.providers
        return provider

    async def health(self) -> dict[str, Any]:
        response = await self.http.get("/health")
        return dict(response.json()["components"]["sparkplug"])

    async def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10.0
    ) -> dict[str, Any]:
        """The provider's health once ``predicate`` holds for it."""
        deadline = time.monotonic() + timeout
        while True:
            health = await self.health()
            if predicate(health):
                return health
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout} s: {health}")
            await asyncio.sleep(0.02)


class Harness:
    """A test database with a plant, a broker, and apps whose provider is configured with
    ``OPENSPC_SPARKPLUG_*`` options; each harness has its own host id and MQTT session."""

    def __init__(self, database_url: str, broker_url: str) -> None:
        self.database_url = database_url
        self.broker_url = broker_url
        self.plant = Plant(database_url)
        self.host_id = f"openspc-{uuid.uuid4().hex[:8]}"

    def characteristic(self, tag: str, n: int = 1, **columns: Any) -> int:
        """A characteristic with source TAG bound to ``tag`` (limits 0 ± 1 sigma)."""
        chart_type = "imr" if n == 1 else "xbar_r"
        cid = self.plant.characteristic(f"c{uuid.uuid4().hex[:6]}", chart_type, n, **columns)
        self.bind(cid, tag)
        return cid

    def bind(self, characteristic_id: int, tag: str | None) -> None:
        with self.plant.engine.begin() as conn:
            conn.execute(
                update(Characteristic)
                .where(Characteristic.id == characteristic_id)
                .values(source="TAG" if tag else "MANUAL", tag=tag)
            )

    def samples(self, characteristic_id: int) -> list[tuple[int, list[float]]]:
        """``(timestamp in ms, measurements)`` of the stored samples, by timestamp."""
        query = (
            select(Sample.id, Sample.timestamp, Measurement.value)
            .join(Measurement, Measurement.sample_id == Sample.id)
            .where(Sample.characteristic_id == characteristic_id)
            .order_by(Sample.timestamp, Measurement.position)
        )
        out: dict[int, tuple[int, list[float]]] = {}
        with self.plant.engine.connect() as conn:
            for sample_id, timestamp, value in conn.execute(query):
                millis = round(timestamp.replace(tzinfo=UTC).timestamp() * 1000)
                out.setdefault(sample_id, (millis, []))[1].append(value)
        return sorted(out.values())

    async def wait_samples(
        self, characteristic_id: int, count: int, timeout: float = 10.0
    ) -> list[tuple[int, list[float]]]:
        deadline = time.monotonic() + timeout
        while True:
            samples = self.samples(characteristic_id)
            if len(samples) >= count:
                return samples
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(samples)} of {count} samples after {timeout} s")
            await asyncio.sleep(0.05)

    @contextlib.asynccontextmanager
    async def app(
        self, settings: dict[str, Any] | None = None, *, online: bool = True, **options: Any
    ) -> AsyncIterator[RunningApp]:
        """The app (kernel ``settings`` and provider ``options`` on top of the test defaults),
        with the provider started and, when ``online``, its STATE online; stopped on exit."""
        options = {"host_id": self.host_id, "shutdown_grace": 0.2, **options}
        with pytest.MonkeyPatch.context() as env:  # the options hold for this app only
            for key, value in options.items():
                text = json.dumps(value) if isinstance(value, list) else str(value)
                env.setenv(f"OPENSPC_SPARKPLUG_{key.upper()}", text)
            app = self._create_app(settings or {})
            async with (
                app.router.lifespan_context(app),
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://t"
                ) as http,
            ):
                running = RunningApp(app, http)
                if online:
                    await running.wait_for(lambda h: h["state"] == "online")
                yield running

    def _create_app(self, settings: dict[str, Any]) -> Any:
        from openspc.app import create_app
        from openspc.config import Settings

        values: dict[str, Any] = {
            "database_url": self.database_url,
            "mqtt_url": self.broker_url,
            "secret_key": "test-secret-key-with-enough-entropy-0123456789",
            "admin_password": "admin-test-password",
            "log_json": False,
            "web_dir": Path("/nonexistent/openspc-web"),  # API only
            "plugins": ["sparkplug", "nelson"],
            **settings,
        }
        return create_app(Settings(_env_file=None, **values))  # type: ignore[call-arg]


@pytest.fixture
def harness(sqlite_url: str, mosquitto: Broker) -> Iterator[Harness]:
    built = Harness(sqlite_url, mosquitto.url)
    yield built
    built.plant.engine.dispose()


@pytest.fixture
def db_harness(database_url: str, mosquitto: Broker) -> Iterator[Harness]:
    """A harness on SQLite, and on PostgreSQL too when ``OPENSPC_TEST_POSTGRES_URL`` is set."""
    built = Harness(database_url, mosquitto.url)
    yield built
    built.plant.engine.dispose()


@pytest.fixture
def make_harness(sqlite_url: str) -> Iterator[Callable[[str], Harness]]:
    """Harnesses on the test's SQLite database for brokers of the test's own."""
    made: list[Harness] = []

    def make(broker_url: str) -> Harness:
        made.append(Harness(sqlite_url, broker_url))
        return made[-1]

    yield make
    for built in made:
        built.plant.engine.dispose()
