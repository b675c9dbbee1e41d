"""Fixtures: a real OpenSPC server (``openspc serve`` in a subprocess, so that it has a core of
its own, as in production) and real WebSocket clients that record what they receive."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import insert
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from openspc.config import Settings
from openspc.db import models as m
from openspc.testing.builders import Plant
from openspc.testing.fixtures import TEST_ADMIN_PASSWORD
from openspc.testing.mosquitto import free_port

STARTUP_TIMEOUT = 30.0


def node(plant: Plant, name: str, type: str, parent_id: int | None) -> int:
    """A hierarchy node, straight in the database."""
    with plant.engine.begin() as conn:
        return int(
            conn.execute(
                insert(m.Hierarchy)
                .values(name=name, type=type, parent_id=parent_id)
                .returning(m.Hierarchy.id)
            ).scalar_one()
        )


@dataclass
class Server:
    settings: Settings
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.settings.port}/api/v1/ws"

    def token(self) -> str:
        """An access token of ``admin``, by logging in."""
        r = httpx.post(
            f"{self.url}/api/v1/auth/login",
            data={"username": "admin", "password": TEST_ADMIN_PASSWORD},
        )
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    async def submit(
        self, token: str, characteristic_id: int, values: list[float], first: datetime
    ) -> dict[str, Any]:
        """POST ``values`` as one batch, timestamped a millisecond apart from ``first``."""
        body = {
            "samples": [
                {"measurements": [v], "timestamp": (first + timedelta(milliseconds=i)).isoformat()}
                for i, v in enumerate(values)
            ]
        }
        async with httpx.AsyncClient(base_url=self.url) as http:
            r = await http.post(
                f"/api/v1/characteristics/{characteristic_id}/samples/batch",
                json=body,
                headers={"Authorization": f"Bearer {token}"},
            )
        assert r.status_code == 201, r.text
        return dict(r.json())

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process has used so far (Linux)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def websocket_health(self) -> dict[str, Any]:
        r = httpx.get(f"{self.url}/health")
        return dict(r.json()["components"]["websocket"])


def _environment(settings: Settings, websocket: dict[str, Any]) -> dict[str, str]:
    """The settings as ``OPENSPC_*`` variables (nothing of the caller's OPENSPC_* leaks in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENSPC_")}
    for name, value in settings.model_dump(mode="json", exclude_none=True).items():
        env[f"OPENSPC_{name.upper()}"] = value if isinstance(value, str) else json.dumps(value)
    env.update({f"OPENSPC_WEBSOCKET_{k.upper()}": str(v) for k, v in websocket.items()})
    return env


def _wait_until_listening(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited: {server.log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", server.settings.port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"the server did not listen: {server.log.read_text()[-3000:]}")


@pytest.fixture
def serve(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> Iterator[Callable[..., Server]]:
    """``serve(database_url, heartbeat_seconds=...)`` runs ``python -m openspc serve`` on a free
    port with ``make_settings(database_url=...)`` and ``OPENSPC_WEBSOCKET_*`` from the keyword
    arguments; stopped (SIGTERM, graceful) at teardown."""
    servers: list[Server] = []

    def start(database_url: str, **websocket: Any) -> Server:
        settings = make_settings(database_url=database_url, port=free_port())
        log = tmp_path / f"server-{settings.port}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "openspc", "serve"],
                env=_environment(settings, websocket),
                cwd=tmp_path,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        server = Server(settings, process, log)
        servers.append(server)
        _wait_until_listening(server)
        return server

    yield start
    for server in servers:
        server.process.terminate()
        try:
            server.process.wait(15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


class Listener:
    """A real WebSocket client that records every message it receives (parsed) and how the
    server closed the connection."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.messages: list[dict[str, Any]] = []
        self.counts: Counter[str] = Counter()  # messages received, by type
        self.arrived_at: list[float] = []  # time.time() of each message
        self.close_code: int | None = None
        self.close_reason = ""
        self._arrived = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def listen(self) -> None:
        self._task = asyncio.create_task(self._receive())

    async def _receive(self) -> None:
        try:
            async for frame in self.connection:
                message = orjson.loads(frame)
                self.messages.append(message)
                self.arrived_at.append(time.time())
                self.counts[message["type"]] += 1
                self._arrived.set()
        except ConnectionClosed:
            pass
        self.close_code = self.connection.close_code
        self.close_reason = self.connection.close_reason or ""
        self._arrived.set()

    async def send(self, message: Any) -> None:
        await self.connection.send(orjson.dumps(message).decode())

    def of_type(self, message_type: str, start: int = 0) -> list[dict[str, Any]]:
        return [m for m in self.messages[start:] if m["type"] == message_type]

    async def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], *, start: int = 0, timeout: float = 5.0
    ) -> int:
        """Index of the first message at or after ``start`` that satisfies ``predicate``."""
        index = start
        async with asyncio.timeout(timeout):
            while True:
                while index < len(self.messages):
                    if predicate(self.messages[index]):
                        return index
                    index += 1
                if self._task is not None and self._task.done():
                    raise AssertionError(f"closed ({self.close_code}) before a matching message")
                self._arrived.clear()
                await self._arrived.wait()

    async def received(self, counts: dict[str, int], timeout: float = 10.0) -> None:
        """Wait until at least ``counts`` messages of each type have arrived."""
        async with asyncio.timeout(timeout):
            while any(self.counts[t] < n for t, n in counts.items()):
                if self._task is not None and self._task.done():
                    raise AssertionError(f"closed ({self.close_code}) with {self.counts}")
                self._arrived.clear()
                await self._arrived.wait()

    async def next_of(self, message_type: str, *, start: int = 0, timeout: float = 5.0) -> int:
        return await self.wait_for(
            lambda m: m["type"] == message_type, start=start, timeout=timeout
        )

    async def settle(self, timeout: float = 5.0) -> None:
        """Wait for the second heartbeat sent after this call: whatever was published before
        the call has arrived by then (one queue per client, in order; the first heartbeat
        could have been queued just ahead of a batch that was being fanned out)."""
        first = await self.next_of("heartbeat", start=len(self.messages), timeout=timeout)
        await self.next_of("heartbeat", start=first + 1, timeout=timeout)

    async def closed(self, timeout: float = 5.0) -> tuple[int | None, str]:
        """The close code and reason, once the server closed the connection."""
        assert self._task is not None
        await asyncio.wait_for(asyncio.shield(self._task), timeout)
        return self.close_code, self.close_reason


@asynccontextmanager
async def listener(url: str, **options: Any) -> AsyncIterator[Listener]:
    async with connect(url, **options) as connection:
        client = Listener(connection)
        client.listen()
        yield client
