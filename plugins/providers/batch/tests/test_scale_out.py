"""Import jobs when several OpenSPC processes share one database: each process runs, fails at
start and stop, and heartbeats only its own jobs; any process fails the jobs whose process
stopped responding; every process shows a running job's progress.

The processes are apps with different ``process_id`` settings on the same test database; a
held import (it reports progress and waits for the test's signal before importing) keeps a
job running as long as a test needs it. Heartbeats come every 50 ms."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import polars as pl
import pytest
from alembic.autogenerate import compare_metadata
from alembic.command import downgrade
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert

from openspc.app import create_app
from openspc.config import Settings
from openspc.db.engine import make_engine
from openspc.db.migrate import alembic_config, upgrade
from openspc.testing.builders import Plant
from openspc.testing.fixtures import RoleClients
from openspc_batch import provider as provider_module
from openspc_batch import repo
from openspc_batch.config import BatchConfig
from openspc_batch.importer import Importer
from openspc_batch.provider import INTERRUPTED, BatchImportProvider
from openspc_batch.report import Progress
from openspc_batch.tables import FAILED, QUEUED, RUNNING, Base, ImportJob

TIMES = [f"2026-01-01T00:{i:02d}:00Z" for i in range(12)]
HELD = Progress(
    phase="checking",
    rows_done=5,
    rows_total=12,
    subgroups=5,
    stored=0,
    rejected=0,
    violations=0,
    seconds=0.5,
)


@pytest.fixture
def release(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Imports report :data:`HELD` (again and again) until the returned event is set."""
    gate = threading.Event()

    class HeldImporter(Importer):
        async def run(
            self,
            path: Path,
            options: Any,
            on_progress: Any = None,
            file_name: str | None = None,
        ) -> Any:
            while not gate.is_set():
                on_progress(HELD)
                await asyncio.sleep(0.01)
            return await super().run(path, options, on_progress, file_name)

    monkeypatch.setattr(provider_module, "Importer", HeldImporter)
    return gate


@pytest.fixture
def app(
    make_settings: Callable[..., Settings],
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[str], TestClient]:
    """``with app("A") as a:`` an app, process ``A``, on the test database."""
    monkeypatch.setenv("OPENSPC_BATCH_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("OPENSPC_BATCH_HEARTBEAT_SECONDS", "0.05")
    monkeypatch.setenv("OPENSPC_BATCH_STALE_SECONDS", "2")

    def make(process_id: str) -> TestClient:
        return TestClient(
            create_app(make_settings(database_url=database_url, process_id=process_id))
        )

    return make


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    built = make_engine(database_url)
    yield built
    built.dispose()


def upload(client: TestClient, headers: dict[str, str], cid: int) -> int:
    out = io.BytesIO()
    pl.DataFrame({"timestamp": TIMES, "x": [0.5] * 12}).write_csv(out)
    r = client.post(
        "/api/v1/imports",
        files={"file": ("data.csv", out.getvalue())},
        data={"characteristic_id": str(cid)},
        headers=headers,
    )
    assert r.status_code == 202, r.text
    return int(r.json()["id"])


def until(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting until {what}")


def job(client: TestClient, headers: dict[str, str], job_id: int) -> dict[str, Any]:
    r = client.get(f"/api/v1/imports/{job_id}", headers=headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def imports(client: TestClient) -> BatchImportProvider:
    """The batch provider of a started app."""
    return cast(BatchImportProvider, cast(Any, client.app).state.batch_imports)


def add_job(engine: Engine, owner: str | None, heartbeat: datetime | None, **values: Any) -> int:
    with engine.begin() as conn:
        return int(
            conn.execute(
                insert(ImportJob)
                .values(
                    {
                        "status": QUEUED,
                        "file_name": "elsewhere.csv",
                        "options": {},
                        "created_by": "test",
                        "owner": owner,
                        "heartbeat_at": heartbeat,
                        **values,
                    }
                )
                .returning(ImportJob.id)
            ).scalar_one()
        )


def row(engine: Engine, job_id: int) -> Any:
    with engine.connect() as conn:
        return repo.get_job(conn, job_id)


def test_another_process_leaves_a_running_job_alone_and_shows_its_progress(
    app: Callable[[str], TestClient],
    release: threading.Event,
    database_url: str,
    engine: Engine,
) -> None:
    plant = Plant(database_url)
    cid = plant.characteristic()
    with app("A") as a:
        engineer = RoleClients(a).headers("engineer")
        job_id = upload(a, engineer, cid)
        running = until(
            lambda: (j := job(a, engineer, job_id))["status"] == RUNNING and j["progress"] and j,
            "A runs the job",
        )
        assert running["progress"]["rows_done"] == 5  # from A's memory
        assert row(engine, job_id).owner == "A"

        with app("B") as b:  # B starts (and sweeps) while A runs the job
            seen = until(
                lambda: (j := job(b, engineer, job_id))["progress"] and j, "B shows progress"
            )
            assert seen["status"] == RUNNING
            assert Progress.model_validate(seen["progress"]) == HELD  # stored by A
            stale = imports(b).config.stale_after
            first = row(engine, job_id).heartbeat_at
            until(
                lambda: row(engine, job_id).heartbeat_at > first + timedelta(seconds=stale),
                "A heartbeats for longer than the stale timeout",
            )
            assert job(b, engineer, job_id)["status"] == RUNNING
        assert job(a, engineer, job_id)["status"] == RUNNING  # B stopped: A's job goes on

        release.set()
        done = until(
            lambda: (j := job(a, engineer, job_id))["status"] != RUNNING and j, "A finishes"
        )
    assert done["status"] == "succeeded", done
    assert done["result"]["stored"] == 12 and done["progress"] is None
    plant.engine.dispose()


def test_a_process_fails_only_its_own_unfinished_jobs_at_start_and_stop(
    app: Callable[[str], TestClient], engine: Engine
) -> None:
    now = datetime.now(UTC)
    left_by_a = add_job(engine, "A", now - timedelta(seconds=1), status=RUNNING)
    of_b = add_job(engine, "B", now + timedelta(hours=1))  # B's heartbeat stays fresh
    with app("A") as a:  # A restarted with the same process id
        assert row(engine, left_by_a).status == FAILED
        assert row(engine, left_by_a).error == INTERRUPTED
        assert row(engine, of_b).status == QUEUED
        assert imports(a).owner == "A"
        also_a = add_job(engine, "A", datetime.now(UTC) + timedelta(hours=1))
    assert row(engine, also_a).status == FAILED  # A stopped
    assert row(engine, of_b).status == QUEUED


def test_jobs_whose_process_stopped_responding_are_failed_by_any_process(
    app: Callable[[str], TestClient], engine: Engine
) -> None:
    now = datetime.now(UTC)
    silent = add_job(engine, "gone", now - timedelta(seconds=10), status=RUNNING)
    never_beat = add_job(engine, None, None, created_at=now - timedelta(seconds=10))
    alive = add_job(engine, "B", now + timedelta(hours=1))
    with app("A"):
        until(lambda: row(engine, silent).status == FAILED, "the sweep fails the silent job")
        until(lambda: row(engine, never_beat).status == FAILED, "... and the one never beating")
        assert row(engine, alive).status == QUEUED
    failed = row(engine, silent)
    assert failed.error == "interrupted: its process (gone) stopped responding"
    assert failed.finished_at is not None
    assert "stopped responding" in row(engine, never_beat).error


def test_a_job_failed_while_its_process_stalled_is_stopped_there(
    app: Callable[[str], TestClient],
    release: threading.Event,
    database_url: str,
    engine: Engine,
) -> None:
    plant = Plant(database_url)
    cid = plant.characteristic()
    with app("A") as a:
        provider = imports(a)
        engineer = RoleClients(a).headers("engineer")
        job_id = upload(a, engineer, cid)
        until(lambda: job(a, engineer, job_id)["status"] == RUNNING, "A runs the job")
        now = datetime.now(UTC)
        with engine.begin() as conn:  # what another process's sweep does to a stale job
            assert repo.fail_stale(conn, now + timedelta(hours=1), now) == [(job_id, "A")]
        until(lambda: provider._running is None, "A stops the job")
        assert job(a, engineer, job_id)["error"].endswith("stopped responding")

        release.set()  # A goes on with the next job
        after = upload(a, engineer, cid)
        done = until(
            lambda: (j := job(a, engineer, after))["status"] not in (QUEUED, RUNNING) and j,
            "A runs the next job",
        )
    assert done["status"] == "succeeded" and done["result"]["stored"] == 12
    plant.engine.dispose()


def test_the_stale_timeout_spans_heartbeats() -> None:
    assert BatchConfig(heartbeat_seconds=15).stale_after == 60
    assert BatchConfig(heartbeat_seconds=1, stale_seconds=5).stale_after == 5
    with pytest.raises(ValueError, match="at least twice"):
        BatchConfig(heartbeat_seconds=10, stale_seconds=15)


def test_the_migrations_build_the_model_of_import_job_and_go_back(database_url: str) -> None:
    """0006 adds the owner, heartbeat and progress columns of the model, and removes them."""

    def differences(conn: Any) -> Any:
        only = {"include_name": lambda name, kind, _: kind != "table" or name == "import_job"}
        return compare_metadata(MigrationContext.configure(conn, opts=only), Base.metadata)

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            assert differences(conn) == []
        downgrade(alembic_config(database_url), "0005")
        with engine.connect() as conn:
            missing = {(kind, column.name) for kind, _, _, column in differences(conn)}
        assert missing == {("add_column", c) for c in ("owner", "heartbeat_at", "progress")}
        upgrade(database_url)
        with engine.connect() as conn:
            assert differences(conn) == []
    finally:
        engine.dispose()
