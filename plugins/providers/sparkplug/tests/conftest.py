"""Fixtures of the Sparkplug plugin tests.

``mosquitto`` is deliberately small so it can be swapped for the shared broker fixture of
``openspc.testing`` once that exists.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiomqtt
import pytest
import pytest_asyncio

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
