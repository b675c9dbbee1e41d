"""Helpers of the fault tests: a real server process (``python -m openspc serve``), an API
client logged in as the admin, a QoS 1 publisher, and the samples stored in the database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from openspc.db import models as m
from openspc.db.engine import make_engine
from openspc.testing.mosquitto import free_port

ADMIN_PASSWORD = "admin-fault-password"


class Server:
    """``python -m openspc serve`` on a free port; its log goes to ``log_path``."""

    def __init__(self, database_url: str, mqtt_url: str, directory: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = directory / f"server-{self.port}.log"
        self.env = {
            **os.environ,
            "OPENSPC_DATABASE_URL": database_url,
            "OPENSPC_MQTT_URL": mqtt_url,
            "OPENSPC_SECRET_KEY": "fault-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "OPENSPC_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "OPENSPC_HOST": "127.0.0.1",
            "OPENSPC_PORT": str(self.port),
            "OPENSPC_PLUGINS": json.dumps(["nelson", "sparkplug"]),
            "OPENSPC_LOG_JSON": "false",
            "OPENSPC_LOG_LEVEL": "INFO",
            "OPENSPC_WEB_DIR": str(directory / "no-web"),
            "OPENSPC_SPARKPLUG_CLIENT_ID": f"openspc-fault-{directory.name}",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> Server:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "openspc", "serve"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the server exited:\n{self.log}"
            try:
                health = httpx.get(f"{self.base_url}/health", timeout=2).json()
                if health["components"].get("sparkplug", {}).get("ok"):
                    return self  # subscribed (STATE online) with the bindings loaded
            except (httpx.HTTPError, ValueError, KeyError):
                pass
            time.sleep(0.1)
        raise AssertionError(f"the server did not start:\n{self.log}")

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def api(self) -> httpx.Client:
        client = httpx.Client(base_url=f"{self.base_url}/api/v1", timeout=60)
        r = client.post("/auth/login", data={"username": "admin", "password": ADMIN_PASSWORD})
        assert r.status_code == 200, r.text
        client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        return client


class Publisher:
    """A plain MQTT client publishing QoS 1 values; ``publish`` returns once the broker
    acknowledged the message (PUBACK): from then on the broker is responsible for it."""

    def __init__(self, port: int) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"fault-pub-{port}")
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def publish(self, topic: str, timestamp_ms: int, value: float) -> None:
        payload = json.dumps({"timestamp": timestamp_ms, "value": value})
        self.client.publish(topic, payload, qos=1).wait_for_publish(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def stored(database_url: str, characteristic_id: int) -> dict[int, float]:
    """The samples of a characteristic: epoch milliseconds → value."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(m.Sample.timestamp, m.Sample.value).where(
                    m.Sample.characteristic_id == characteristic_id
                )
            ).all()
    finally:
        engine.dispose()
    out = {_ms(ts): float(value) for ts, value in rows}
    assert len(out) == len(rows), "a timestamp is stored twice"
    return out


def count(database_url: str, characteristic_id: int) -> int:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(m.Sample)
                    .where(m.Sample.characteristic_id == characteristic_id)
                ).scalar_one()
            )
    finally:
        engine.dispose()


def wait_until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _ms(ts: datetime) -> int:
    ts = ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts
    return round(ts.timestamp() * 1000)
