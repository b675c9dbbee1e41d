"""A real OpenSPC server process for benchmarks (SQLite in a temporary folder)."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

from openspc.testing.mosquitto import free_port, wait_for_port

ADMIN_PASSWORD = "bench-admin-password"


class Server:
    def __init__(self, **env: str) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="openspc-bench-"))
        self.port = free_port()
        self.database_url = f"sqlite:///{self.dir / 'bench.db'}"
        self.env = {
            **os.environ,
            "OPENSPC_DATABASE_URL": self.database_url,
            "OPENSPC_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "OPENSPC_SECRET_KEY": "benchmark-secret-key-0123456789abcdef",
            "OPENSPC_LOG_LEVEL": "WARNING",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "openspc", "serve", "--port", str(self.port)], env=self.env
        )
        wait_for_port(self.port, timeout=60)
        return self

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(30)

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def token(self) -> str:
        conn = self.connection()
        body = urllib.parse.urlencode({"username": "admin", "password": ADMIN_PASSWORD})
        conn.request(
            "POST",
            "/api/v1/auth/login",
            body,
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        response = conn.getresponse()
        assert response.status == 200, response.read()
        return str(json.loads(response.read())["access_token"])


def request(
    conn: http.client.HTTPConnection, method: str, path: str, body: Any, token: str
) -> tuple[int, Any]:
    conn.request(
        method,
        path,
        json.dumps(body),
        {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    response = conn.getresponse()
    return response.status, json.loads(response.read())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def wait_healthy(server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = server.connection()
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError("server did not become healthy")
