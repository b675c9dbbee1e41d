"""pytest fixtures shared by the kernel's and the plugins' test suites.

Loaded with ``-p openspc.testing.fixtures``: a migrated temporary database (SQLite file, and
PostgreSQL too when ``OPENSPC_TEST_POSTGRES_URL`` is set), a real Mosquitto broker on a free
port, and app factories/clients.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from openspc.config import Settings
from openspc.db.migrate import upgrade
from openspc.testing.mosquitto import MosquittoBroker

POSTGRES_ENV = "OPENSPC_TEST_POSTGRES_URL"
TEST_ADMIN_PASSWORD = "admin-test-password"


def _postgres_schema_url(base: str, schema: str) -> str:
    url = make_url(base)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated database: a SQLite file, then (when configured) a PostgreSQL schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'openspc.db'}"
        upgrade(url)
        yield url
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_postgres_schema_url(base, "public"))
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = _postgres_schema_url(base, schema)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A migrated SQLite file only (for tests about SQLite itself or too slow to run twice)."""
    url = f"sqlite:///{tmp_path / 'openspc.db'}"
    upgrade(url)
    return url


@pytest.fixture
def mosquitto() -> Iterator[MosquittoBroker]:
    """A real Mosquitto broker started on a free port (stopped and removed afterwards)."""
    broker = MosquittoBroker().start()
    try:
        yield broker
    finally:
        broker.close()


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Build ``Settings`` for a test app; keyword arguments override the test defaults."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": f"sqlite:///{tmp_path / 'app.db'}",
            "secret_key": "test-secret-key-with-enough-entropy-0123456789",
            "admin_password": TEST_ADMIN_PASSWORD,
            "log_json": True,
            "web_dir": tmp_path / "no-web",
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return make


@pytest.fixture
def app_client(make_settings: Callable[..., Settings], database_url: str) -> Iterator[Any]:
    """A started app (lifespan run) on the migrated test database, as a Starlette TestClient."""
    from fastapi.testclient import TestClient

    from openspc.app import create_app

    with TestClient(create_app(make_settings(database_url=database_url))) as client:
        yield client
