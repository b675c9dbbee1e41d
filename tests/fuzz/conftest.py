"""Fixtures of the fuzz tests: an app started on its own SQLite file with a seeded plant.

The plant is seeded through the API, so every kind of record a path can name exists: a
hierarchy (enterprise > site > area > line, and an empty cell), characteristics of every chart
type with spec limits, control limits, samples and violations (one acknowledged), one still
collecting its baseline, one bound to a tag (it takes no manual entry), a reason code, a user,
an API key, webhooks (one disabled) and an import job. ``SeededApp.ids`` lists them by the
path parameter that names them.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient

from openspc.app import create_app
from openspc.config import Settings
from openspc.db.migrate import upgrade
from openspc.security import Role, issue_token
from openspc.testing.fixtures import TEST_ADMIN_PASSWORD

API = "/api/v1"
#: Where generated webhooks deliver: a closed local port, so the fuzz never reaches the network.
LOCAL_HOOK_URL = "http://127.0.0.1:9/openspc-fuzz"


@dataclass
class SeededApp:
    client: TestClient
    ids: dict[str, list[int]] = field(default_factory=dict)
    hook_url: ClassVar[str] = LOCAL_HOOK_URL

    def headers(self, role: Role | None) -> dict[str, str]:
        """A bearer token for ``fuzz-<role>`` issued with the app's key (no credentials for
        None); logging in hashes passwords and is tested elsewhere."""
        if role is None:
            return {}
        key = self.client.app.state.kernel.secret_key  # type: ignore[attr-defined]
        token = issue_token(key, f"fuzz-{role}", role, "access", timedelta(hours=1))
        return {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, role: Role | None, **kwargs: Any) -> Any:
        response = self.client.request(method, API + path, headers=self.headers(role), **kwargs)
        assert response.status_code < 300, f"{method} {path}: {response.text}"
        return response.json()


def _seed(app: SeededApp) -> None:
    ids = app.ids
    nodes = []
    parent = None
    for name, level in [("Acme", "enterprise"), ("Plant A", "site"), ("Machining", "area")]:
        parent = app.call(
            "POST",
            "/hierarchy",
            "engineer",
            json={"name": name, "type": level, "parent_id": parent},
        )["id"]
        nodes.append(parent)
    line = app.call(
        "POST",
        "/hierarchy",
        "engineer",
        json={"name": "Line 1", "type": "line", "parent_id": parent},
    )["id"]
    cell = app.call(
        "POST", "/hierarchy", "engineer", json={"name": "Cell 9", "type": "cell", "parent_id": line}
    )["id"]
    ids["node_id"] = [*nodes, line, cell]

    characteristics, samples, violations = [], [], []
    for chart_type, n in [("imr", 1), ("xbar_r", 4), ("xbar_s", 10)]:
        c = app.call(
            "POST",
            "/characteristics",
            "engineer",
            json={
                "hierarchy_id": line,
                "name": f"Bore {chart_type}",
                "chart_type": chart_type,
                "subgroup_size": n,
                "usl": 10.5,
                "lsl": 9.5,
                "target": 10.0,
                "sampling_interval_minutes": 60,
                "limits": {"center_line": 10.0, "sigma": 0.1},
            },
        )
        values = [[10.0 + 0.05 * ((i * 7 + j * 3) % 5 - 2) for j in range(n)] for i in range(30)]
        values.append([11.0] * n)  # far beyond the UCL: a violation
        batch = app.call(
            "POST",
            f"/characteristics/{c['id']}/samples/batch",
            "operator",
            json={
                "samples": [
                    {"measurements": v, "timestamp": f"2026-01-01T00:{i:02d}:00Z"}
                    for i, v in enumerate(values)
                ]
            },
        )
        assert batch["violations"], "the seeded outlier must violate"
        characteristics.append(c["id"])
        samples += [batch["sample_ids"][0], batch["sample_ids"][-1]]
        violations.append(batch["violations"][0]["id"])
    baseline = app.call(
        "POST",
        "/characteristics",
        "engineer",
        json={"hierarchy_id": line, "name": "Collecting", "chart_type": "imr", "subgroup_size": 1},
    )
    app.call(
        "POST",
        f"/characteristics/{baseline['id']}/samples",
        "operator",
        json={"measurements": [1.0]},
    )
    tag = app.call(
        "POST",
        "/characteristics",
        "engineer",
        json={
            "hierarchy_id": line,
            "name": "Spindle temperature",
            "chart_type": "imr",
            "subgroup_size": 1,
            "source": "TAG",
            "tag": "mqtt://plant-a/line-1/spindle#temp",
        },
    )
    ids["characteristic_id"] = [*characteristics, baseline["id"], tag["id"]]
    ids["sample_id"] = samples
    ids["violation_id"] = violations
    app.call(
        "POST",
        f"/violations/{violations[0]}/acknowledge",
        "operator",
        json={"reason_code": "SETUP"},
    )
    ids["reason_code_id"] = [
        app.call("POST", "/reason-codes", "engineer", json={"code": "FUZZ", "label": "Fuzz"})["id"]
    ]
    ids["user_id"] = [
        app.call(
            "POST",
            "/users",
            "admin",
            json={"username": "fuzz-user", "password": "fuzz-password", "role": "operator"},
        )["id"]
    ]
    ids["api_key_id"] = [
        app.call("POST", "/api-keys", "admin", json={"name": "line PLC", "role": "operator"})["id"]
    ]
    ids["webhook_id"] = [
        app.call(
            "POST",
            "/webhooks",
            "admin",
            json={"name": name, "url": LOCAL_HOOK_URL, "enabled": enabled},
        )["id"]
        for name, enabled in [("MES", True), ("Historian", False)]
    ]
    job = app.call(
        "POST",
        "/imports",
        "engineer",
        files={"file": ("history.csv", b"timestamp,value\n2025-01-01T00:00:00Z,1.0\n")},
        data={"characteristic_id": str(baseline["id"]), "dry_run": "true"},
    )
    ids["job_id"] = [job["id"]]
    _wait_for_import(app, job["id"])


def _wait_for_import(app: SeededApp, job_id: int) -> None:
    deadline = time.monotonic() + 30
    while app.call("GET", f"/imports/{job_id}", "engineer")["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, "the seeded import did not finish"
        time.sleep(0.05)


@pytest.fixture(scope="session")
def start_seeded_app(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[], contextlib.AbstractContextManager[SeededApp]]:
    """``with start_seeded_app() as app``: a started app on a fresh, seeded SQLite file."""

    @contextlib.contextmanager
    def start() -> Iterator[SeededApp]:
        folder: Path = tmp_path_factory.mktemp("fuzz-app")
        url = f"sqlite:///{folder / 'openspc.db'}"
        upgrade(url)
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            database_url=url,
            secret_key="fuzz-secret-key-with-enough-entropy-0123456789",
            admin_password=TEST_ADMIN_PASSWORD,
            log_level="ERROR",
            web_dir=folder / "no-web",
        )
        with pytest.MonkeyPatch.context() as env:
            env.setenv("OPENSPC_BATCH_UPLOAD_DIR", str(folder / "uploads"))  # read at start
            with TestClient(create_app(settings)) as client:
                app = SeededApp(client)
                _seed(app)
                yield app

    return start
