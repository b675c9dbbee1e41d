"""``make demo``: a real Mosquitto, the server on an embedded SQLite database, a demo plant
with history, and live simulated Sparkplug B tag data. Ctrl-C stops everything.

The plant is created through the public REST API (as an integrator would), once: a second
``make demo`` finds it in the database and just starts everything again.
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from openspc.testing.mosquitto import MosquittoBroker, wait_for_port

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
GROUP, NODE = "Demo", "Line2"
SIM_METRICS = 4  # Cell 1/Fill Weight, Cell 1/Bore Diameter, Cell 1/Torque, Cell 1/Oven Temperature
SPECIAL_CAUSES = "shift:0@90:2,outlier:2@40:5,trend:3@150:0.3:20"
USERS = {"operator": "operator", "engineer": "engineer"}


def _csv(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(newline="") as handle:
        return list(csv.DictReader(handle))


def _history(
    api: Api, characteristic: dict[str, Any], samples: list[dict[str, Any]], every: timedelta
) -> None:
    """Submit ``samples`` as a history that ends now, one every ``every``."""
    start = datetime.now(UTC) - every * (len(samples) + 1)
    stamped = [
        {**sample, "timestamp": (start + every * i).isoformat()} for i, sample in enumerate(samples)
    ]
    api.post(f"/characteristics/{characteristic['id']}/samples/batch", {"samples": stamped})


class Api:
    """The REST API as the admin (``client``'s base URL ends in ``/api/v1``)."""

    def __init__(self, client: httpx.Client, password: str) -> None:
        self.client = client
        token = self.client.post("/auth/login", data={"username": "admin", "password": password})
        token.raise_for_status()
        self.client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    def post(self, path: str, body: dict[str, Any]) -> Any:
        r = self.client.post(path, json=body)
        if r.status_code >= 400:
            raise RuntimeError(f"POST {path} -> {r.status_code}: {r.text}")
        return r.json()

    def get(self, path: str) -> Any:
        r = self.client.get(path)
        r.raise_for_status()
        return r.json()


def seed(api: Api) -> None:
    """The demo plant: an ISA-95 tree, manual characteristics of each chart type with textbook
    history (so there are limits and violations to see), and tag characteristics bound to the
    simulator's metrics."""
    if api.get("/hierarchy"):
        return
    node = None
    for name, kind in [
        ("Acme Manufacturing", "enterprise"),
        ("Springfield Plant", "site"),
        ("Machining", "area"),
    ]:
        node = api.post("/hierarchy", {"name": name, "type": kind, "parent_id": node})["id"]
    line1 = api.post("/hierarchy", {"name": "Line 1", "type": "line", "parent_id": node})["id"]
    line2 = api.post(
        "/hierarchy", {"name": "Line 2 (automated)", "type": "line", "parent_id": node}
    )["id"]
    lab = api.post("/hierarchy", {"name": "QC Lab", "type": "cell", "parent_id": line1})["id"]

    rings = api.post(
        "/characteristics",
        {
            "hierarchy_id": line1,
            "name": "Piston ring diameter",
            "unit": "mm",
            "decimal_places": 3,
            "chart_type": "xbar_r",
            "subgroup_size": 5,
            "usl": 74.05,
            "lsl": 73.95,
            "target": 74.0,
            "source": "MANUAL",
            "sampling_interval_minutes": 30,
        },
    )
    by_sample: dict[str, list[float]] = {}
    for row in _csv("pistonrings.csv"):
        by_sample.setdefault(row["sample"], []).append(float(row["diameter"]))
    _history(api, rings, [{"measurements": m} for m in by_sample.values()], timedelta(minutes=30))

    thickness = api.post(
        "/characteristics",
        {
            "hierarchy_id": line1,
            "name": "Ring diameter (gauge 2)",
            "unit": "mm",
            "decimal_places": 3,
            "chart_type": "xbar_s",
            "subgroup_size": 5,
            "usl": 74.04,
            "lsl": 73.96,
            "source": "MANUAL",
            "sampling_interval_minutes": 60,
        },
    )
    wide = _csv("pistonrings_wide.csv")
    subgroups = [{"measurements": [float(r[f"x{i}"]) for i in range(1, 6)]} for r in wide]
    _history(api, thickness, subgroups, timedelta(hours=1))

    viscosity = api.post(
        "/characteristics",
        {
            "hierarchy_id": lab,
            "name": "Batch viscosity",
            "unit": "cP",
            "decimal_places": 2,
            "chart_type": "imr",
            "subgroup_size": 1,
            "usl": 36.0,
            "lsl": 32.0,
            "source": "MANUAL",
            "sampling_interval_minutes": 240,
            "baseline_subgroups": 15,
        },
    )
    rows = _csv("viscosity.csv")
    _history(
        api,
        viscosity,
        [{"measurements": [float(r["viscosity"])]} for r in rows],
        timedelta(hours=4),
    )

    for name, chart, size, data, count in [
        ("Can seal nonconforming", "p", 50, "orangejuice.csv", "D"),
        ("Board nonconformities", "c", 100, "circuit.csv", "x"),
    ]:
        attribute = api.post(
            "/characteristics",
            {
                "hierarchy_id": lab,
                "name": name,
                "decimal_places": 3,
                "chart_type": chart,
                "subgroup_size": size,
                "source": "MANUAL",
                "sampling_interval_minutes": 120,
                "baseline_subgroups": 25,
            },
        )
        rows = _csv(data)
        counts = [{"count": int(r[count]), "size": float(r["size"])} for r in rows]
        _history(api, attribute, counts, timedelta(hours=2))

    # the oven drifts slowly (the simulator's trend): an EWMA chart sees it first
    for metric, chart, n, lsl, usl in [
        ("Cell 1/Fill Weight", "imr", 1, 495.0, 505.0),
        ("Cell 1/Bore Diameter", "xbar_r", 5, 24.97, 25.03),
        ("Cell 1/Torque", "imr", 1, 11.0, 13.0),
        ("Cell 1/Oven Temperature", "ewma", 1, 175.0, 185.0),
    ]:
        api.post(
            "/characteristics",
            {
                "hierarchy_id": line2,
                "name": metric.split("/")[-1],
                "decimal_places": 3,
                "chart_type": chart,
                "subgroup_size": n,
                "lsl": lsl,
                "usl": usl,
                "source": "TAG",
                "tag": f"sparkplug://{GROUP}/{NODE}/{metric}",
                "baseline_subgroups": 20,
            },
        )
    for username, password in USERS.items():
        api.post("/users", {"username": username, "password": password, "role": username})


def wait_healthy(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"the server at {base} did not become healthy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, default=Path("data/demo"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--mqtt-port", type=int, default=1884)
    parser.add_argument("--rate", type=float, default=1.0, help="simulated tag messages per second")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)

    password = os.environ.get("OPENSPC_ADMIN_PASSWORD", "admin")
    broker = MosquittoBroker(port=args.mqtt_port).start()
    env = {
        **os.environ,
        "OPENSPC_DATABASE_URL": os.environ.get(
            "OPENSPC_DATABASE_URL", f"sqlite:///{args.dir / 'openspc.db'}"
        ),
        "OPENSPC_MQTT_URL": broker.url,
        "OPENSPC_ADMIN_PASSWORD": password,
        "OPENSPC_SECRET_KEY": os.environ.get(
            "OPENSPC_SECRET_KEY", "demo-only-secret-key-change-me-0123456789"
        ),
    }
    base = f"http://{args.host}:{args.port}"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "openspc",
                "serve",
                "--host",
                args.host,
                "--port",
                str(args.port),
            ],
            env=env,
        )
        processes.append(server)
        wait_for_port(args.port, timeout=60, host=args.host)
        wait_healthy(base)
        seed(Api(httpx.Client(base_url=f"{base}/api/v1", timeout=120), password))
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "openspc",
                    "simulate",
                    "--mqtt-url",
                    broker.url,
                    "--group",
                    GROUP,
                    "--node",
                    NODE,
                    "--metrics",
                    str(SIM_METRICS),
                    "--rate",
                    str(args.rate),
                    "--special-causes",
                    SPECIAL_CAUSES,
                    "--seed",
                    "7",
                ],
                env=env,
            )
        )
        print(
            f"\nOpenSPC demo is running: {base}/\n"
            f"  users: admin/{password}, engineer/engineer, operator/operator\n"
            f"  API docs {base}/docs, health {base}/health; MQTT broker {broker.url}\n"
            "  Ctrl-C stops everything.\n",
            flush=True,
        )
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        while all(p.poll() is None for p in processes):
            time.sleep(1)
        print("a demo process stopped; shutting down", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        broker.close()


if __name__ == "__main__":
    main()
