"""A real OpenSPC server for the browser tests: uvicorn running ``create_app`` on a free port
in a background thread, a SQLite file, the built SPA, and a small plant seeded through the API.

Run it by hand to look at the UI with data in it::

    .venv/bin/python -m tests.e2e.server [--port 8765] [--mqtt]
"""

from __future__ import annotations

import argparse
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from openspc.app import PACKAGED_WEB, create_app
from openspc.config import Settings
from openspc.testing.mosquitto import free_port

ADMIN_PASSWORD = "admin-e2e-password"
PASSWORDS = {"admin": ADMIN_PASSWORD, "engineer": "engineer-e2e-pw", "operator": "operator-e2e-pw"}
WEB_DIR = PACKAGED_WEB
#: The plugins the UI flows exercise (rules, live events, the MQTT provider); an allow-list
#: keeps the browser tests independent of other notifiers.
PLUGINS = ["nelson", "westgard", "websocket", "sparkplug"]


def web_built() -> bool:
    return (WEB_DIR / "index.html").is_file()


@dataclass
class LiveServer:
    base_url: str
    server: uvicorn.Server
    thread: threading.Thread
    app: Any

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@contextmanager
def live_server(tmp_path: Path, **settings: Any) -> Iterator[LiveServer]:
    port = free_port()
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path / 'openspc.db'}",
        "secret_key": "e2e-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "admin_password": ADMIN_PASSWORD,
        "web_dir": WEB_DIR,
        "log_level": "WARNING",
        "host": "127.0.0.1",
        "port": port,
        "plugins": PLUGINS,
    }
    values.update(settings)
    app = create_app(Settings(_env_file=None, **values))  # type: ignore[call-arg]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="auto")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="openspc-e2e-server", daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if server.started and httpx.get(f"{base_url}/health", timeout=1).status_code < 500:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the OpenSPC server did not start")
        time.sleep(0.1)
    live = LiveServer(base_url, server, thread, app)
    try:
        yield live
    finally:
        live.stop()


class Api:
    """A small API client for seeding and checking (logged in as one user)."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.http = httpx.Client(base_url=f"{base_url}/api/v1", timeout=30)
        r = self.http.post("/auth/login", data={"username": username, "password": password})
        r.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"

    def __call__(self, method: str, path: str, **kwargs: Any) -> Any:
        r = self.http.request(method, path, **kwargs)
        if r.status_code >= 400:
            raise AssertionError(f"{method} {path} -> {r.status_code}: {r.text}")
        return r.json() if r.content else None


@dataclass
class Plant:
    """What ``seed`` built: ids by name."""

    nodes: dict[str, int] = field(default_factory=dict)
    characteristics: dict[str, int] = field(default_factory=dict)


def seed(base_url: str, *, tag_broker: bool = False, rng_seed: int = 7) -> Plant:
    """Users for every role, a plant, characteristics with history and limits."""
    admin = Api(base_url, "admin", ADMIN_PASSWORD)
    for role in ("engineer", "operator"):
        admin("POST", "/users", json={"username": role, "password": PASSWORDS[role], "role": role})
    plant = Plant()

    def node(name: str, type_: str, parent: str | None = None) -> int:
        body = {
            "name": name,
            "type": type_,
            "parent_id": plant.nodes.get(parent) if parent else None,
        }
        plant.nodes[name] = admin("POST", "/hierarchy", json=body)["id"]
        return plant.nodes[name]

    node("Acme Plant", "site")
    node("Machining", "area", "Acme Plant")
    node("Line 1", "line", "Machining")
    node("Line 2", "line", "Machining")
    node("Filling", "area", "Acme Plant")
    node("Filler A", "line", "Filling")

    def characteristic(name: str, where: str, **config: Any) -> int:
        body = {"hierarchy_id": plant.nodes[where], "name": name, **config}
        plant.characteristics[name] = admin("POST", "/characteristics", json=body)["id"]
        return plant.characteristics[name]

    rng = random.Random(rng_seed)
    now = datetime.now(UTC)

    def history(cid: int, n: int, count: int, mean: float, sd: float, minutes: int) -> None:
        start = now - timedelta(minutes=minutes * (count + 1))
        samples = [
            {
                "timestamp": (start + timedelta(minutes=minutes * k)).isoformat(),
                "measurements": [round(rng.gauss(mean, sd), 4) for _ in range(n)],
            }
            for k in range(count)
        ]
        admin("POST", f"/characteristics/{cid}/samples/batch", json={"samples": samples})

    bore = characteristic(
        "Bore diameter",
        "Line 1",
        description="Main bore, station 20",
        unit="mm",
        decimal_places=3,
        chart_type="xbar_r",
        subgroup_size=5,
        usl=10.15,
        lsl=9.85,
        target=10.0,
        sampling_interval_minutes=60,
        limits={"center_line": 10.0, "sigma": 0.03},
    )
    history(bore, 5, 40, 10.0, 0.03, 70)
    weight = characteristic(
        "Fill weight",
        "Filler A",
        unit="g",
        decimal_places=1,
        chart_type="imr",
        subgroup_size=1,
        usl=506.0,
        lsl=494.0,
        target=500.0,
        sampling_interval_minutes=30,
        limits={"center_line": 500.0, "sigma": 1.2},
    )
    history(weight, 1, 45, 500.0, 1.2, 20)
    shaft = characteristic(
        "Shaft length",
        "Line 2",
        unit="mm",
        decimal_places=2,
        chart_type="xbar_s",
        subgroup_size=4,
        usl=120.5,
        lsl=119.5,
        sampling_interval_minutes=240,
    )
    history(shaft, 4, 30, 120.02, 0.08, 200)
    characteristic(
        "Surface roughness",
        "Line 2",
        unit="µm",
        decimal_places=2,
        chart_type="imr",
        subgroup_size=1,
        usl=1.6,
        sampling_interval_minutes=120,
    )
    if tag_broker:
        characteristic(
            "Spindle temperature",
            "Line 1",
            unit="°C",
            decimal_places=1,
            chart_type="imr",
            subgroup_size=1,
            source="TAG",
            tag="mqtt://plant/line1/spindle#temperature",
            limits={"center_line": 45.0, "sigma": 0.8},
        )
    return plant


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/openspc-e2e-dev"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    for f in args.dir.glob("openspc.db*"):
        f.unlink()
    with live_server(args.dir, log_level="INFO") as live:
        seed(live.base_url)
        print(f"OpenSPC at {live.base_url} (admin / {ADMIN_PASSWORD})", flush=True)
        try:
            while live.thread.is_alive():
                time.sleep(1)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
