"""Fixtures: a real HTTP endpoint on a free local port that records what it receives and
answers as told, and a started OpenSPC app with the webhook plugin (and the Nelson rules)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openspc.app import create_app
from openspc.config import Settings
from openspc.testing.fixtures import RoleClients

# Fast retries for tests; each test may override them.
TEST_SETTINGS = {"backoff_base_seconds": 0.05, "backoff_max_seconds": 0.2, "max_attempts": 3}


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: float  # time.monotonic()

    @property
    def json(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


class Receiver:
    """A real HTTP server (``ThreadingHTTPServer`` in a thread) that records every POST.

    It answers with the codes in ``statuses`` in turn, then ``default_status``; with
    ``hang_seconds`` it holds each request that long before answering (released at close).
    """

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.statuses: list[int] = []
        self.default_status = 200
        self.hang_seconds = 0.0
        self.active = 0
        self.max_active = 0
        self._changed = threading.Condition()
        self._released = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._changed:
                    receiver.requests.append(
                        Received(
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            time.monotonic(),
                        )
                    )
                    receiver.active += 1
                    receiver.max_active = max(receiver.max_active, receiver.active)
                    status = (
                        receiver.statuses.pop(0) if receiver.statuses else receiver.default_status
                    )
                    receiver._changed.notify_all()
                try:
                    if receiver.hang_seconds:
                        receiver._released.wait(receiver.hang_seconds)
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:  # the client gave up (timed out) and closed the connection
                    pass
                finally:
                    with receiver._changed:
                        receiver.active -= 1

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The first ``count`` requests, once they have arrived."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.requests) >= count, timeout):
                raise AssertionError(f"{len(self.requests)} requests arrived, not {count}")
            return self.requests[:count]

    def close(self) -> None:
        self._released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def another_receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


class App:
    """A started OpenSPC app (``client``) with helpers for the webhook API."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.roles = RoleClients(client)

    @property
    def admin(self) -> dict[str, str]:
        return self.roles.headers("admin")

    def create_webhook(self, url: str, **fields: Any) -> dict[str, Any]:
        body = {"name": f"hook-{time.monotonic_ns()}", "url": url, **fields}
        r = self.client.post("/api/v1/webhooks", json=body, headers=self.admin)
        assert r.status_code == 201, r.text
        return dict(r.json())

    def submit(self, characteristic_id: int, value: float) -> dict[str, Any]:
        r = self.client.post(
            f"/api/v1/characteristics/{characteristic_id}/samples",
            json={"measurements": [value]},
            headers=self.roles.headers("operator"),
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    def deliveries(self, webhook_id: int, **params: Any) -> list[dict[str, Any]]:
        r = self.client.get(
            f"/api/v1/webhooks/{webhook_id}/deliveries", params=params, headers=self.admin
        )
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    def wait_deliveries(
        self,
        webhook_id: int,
        done: Callable[[list[dict[str, Any]]], bool],
        timeout: float = 10.0,
    ) -> list[dict[str, Any]]:
        """The delivery log (newest first), once it is not empty and ``done(log)`` holds
        (deliveries are queued in the background, after the submission's response)."""
        deadline = time.monotonic() + timeout
        while True:
            log = self.deliveries(webhook_id)
            if log and done(log):
                return log
            if time.monotonic() > deadline:
                raise AssertionError(f"delivery log never got there: {log}")
            time.sleep(0.02)


@pytest.fixture
def start_app(
    make_settings: Callable[..., Settings],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[..., App]]:
    """``start_app(max_attempts=...)`` starts the app on the test database with the Nelson
    rules and this plugin only, and ``OPENSPC_WEBHOOK_*`` from ``TEST_SETTINGS`` and the
    keyword arguments; stopped at teardown (or when the next one starts: one at a time)."""
    with ExitStack() as stack:

        def start(**webhook: Any) -> App:
            stack.close()
            for name, value in {**TEST_SETTINGS, **webhook}.items():
                monkeypatch.setenv(f"OPENSPC_WEBHOOK_{name.upper()}", str(value))
            settings = make_settings(database_url=database_url, plugins=["nelson", "webhook"])
            return App(stack.enter_context(TestClient(create_app(settings))))

        yield start


@pytest.fixture
def app(start_app: Callable[..., App]) -> App:
    return start_app()
