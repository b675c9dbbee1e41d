"""pytest fixtures shared by the kernel's and the plugins' test suites.

Loaded with ``-p openspc.testing.fixtures``: a migrated temporary database (SQLite file, and
PostgreSQL too when ``OPENSPC_TEST_POSTGRES_URL`` is set), a real Mosquitto broker on a free
port, and app factories/clients.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from openspc.config import Settings
from openspc.db.engine import make_engine
from openspc.db.migrate import upgrade
from openspc.engine.pipeline import Pipeline
from openspc.plugins import Registry, create_plugin_manager
from openspc.testing.builders import Plant
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


@dataclass(frozen=True)
class PostgresDatabase:
    url: str  # of the new database
    name: str
    admin_url: str  # the server's superuser connection (to take the database away and back)


@pytest.fixture
def postgres_database() -> Iterator[PostgresDatabase]:
    """A new migrated PostgreSQL database of its own, dropped afterwards: for tests that run
    servers as separate processes, or that take the database away. Skipped without
    ``OPENSPC_TEST_POSTGRES_URL``."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    name = f"openspc_{uuid.uuid4().hex[:12]}"
    admin_url = make_url(base).set(drivername="postgresql+psycopg")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield PostgresDatabase(url, name, admin_url.render_as_string(hide_password=False))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
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


@pytest.fixture
def plant(database_url: str) -> Iterator[Plant]:
    """Builds characteristics straight in the test database."""
    built = Plant(database_url)
    yield built
    built.engine.dispose()


@pytest.fixture
def rules() -> Registry:
    """The registry of the installed Nelson rules only."""
    return Registry.collect(create_plugin_manager(allow=["nelson"]))


@pytest.fixture
async def start_pipeline(database_url: str, rules: Registry) -> AsyncIterator[Callable[..., Any]]:
    """Start pipelines on the test database (``await start_pipeline(**settings)``); stopped
    at teardown."""
    started: list[Pipeline] = []

    async def start(**settings: Any) -> Pipeline:
        config = Settings(_env_file=None, database_url=database_url, **settings)  # type: ignore[call-arg]
        p = Pipeline(make_engine(database_url), rules.rules, config)
        await p.start()
        started.append(p)
        return p

    yield start
    for p in started:
        await p.stop()
        p.engine.dispose()


class RoleClients:
    """Authorization headers per role for a started app (users made on first use)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._headers: dict[str, dict[str, str]] = {}

    def headers(self, role: str) -> dict[str, str]:
        if role not in self._headers:
            from openspc.db.repo import users as users_repo
            from openspc.security import hash_password

            kernel = self.client.app.state.kernel
            username, password = f"test-{role}", f"{role}-password"
            with kernel.engine.begin() as conn:
                if users_repo.by_username(conn, username) is None:
                    users_repo.create(conn, username, hash_password(password), role)
            r = self.client.post(
                "/api/v1/auth/login", data={"username": username, "password": password}
            )
            assert r.status_code == 200, r.text
            self._headers[role] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return self._headers[role]


@pytest.fixture
def roles(app_client: Any) -> RoleClients:
    """``roles.headers("engineer")``: a logged-in user of that role on ``app_client``."""
    return RoleClients(app_client)
