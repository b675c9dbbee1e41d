"""The kernel: what one running OpenSPC process holds (settings, plugins, database, pipeline,
providers and notifiers) and the order in which it starts and stops them."""

from __future__ import annotations

import inspect
import logging
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pluggy
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from openspc.config import Settings
from openspc.contracts import ViolationEvent
from openspc.db.engine import make_engine, make_sessionmaker
from openspc.db.migrate import upgrade
from openspc.db.repo import audit
from openspc.db.repo import users as users_repo
from openspc.engine.pipeline import BatchEvents, Pipeline
from openspc.plugins import Registry, create_plugin_manager
from openspc.relay import EventRelay
from openspc.security import hash_password

log = logging.getLogger(__name__)

#: PostgreSQL advisory lock key: processes starting together on one database migrate and
#: create the first admin one at a time
STARTUP_LOCK = 0x4F535043  # "OSPC"

VIOLATION_FIELDS = (
    "sample_id",
    "characteristic_id",
    "rule_id",
    "rule_key",
    "rule_name",
    "severity",
    "details",
)


class Kernel:
    def __init__(self, settings: Settings, pm: pluggy.PluginManager | None = None) -> None:
        self.settings = settings
        self.pm = pm or create_plugin_manager(allow=settings.plugins)
        self.registry = Registry.collect(self.pm)
        self.engine = make_engine(settings.database_url)
        self.sessions: sessionmaker[Session] = make_sessionmaker(self.engine)
        self.secret_key = settings.secret_key or secrets.token_urlsafe(48)
        self.pipeline = Pipeline(self.engine, self.registry.rules, settings, publish=self.publish)
        self.providers: list[Any] = []
        self.notifiers: list[Any] = []
        self.relay = (
            EventRelay(settings, self.pipeline, deliver=self.deliver_relayed)
            if settings.relay_topic
            else None
        )

    def migrate(self) -> None:
        upgrade(self.settings.database_url)

    @contextmanager
    def startup_lock(self) -> Iterator[None]:
        """Held while migrating and creating the first admin, so that several processes
        starting on one PostgreSQL database do it one after the other (scale-out)."""
        if self.engine.dialect.name != "postgresql":
            yield
            return
        with self.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": STARTUP_LOCK})
            conn.commit()  # a session lock: no transaction stays open meanwhile
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": STARTUP_LOCK})
                conn.commit()

    def bootstrap_admin(self) -> None:
        """On the first start, create ``admin`` (password from the settings, or generated and
        printed once)."""
        with self.engine.begin() as conn:
            if users_repo.count(conn):
                return
            password = self.settings.admin_password
            if not password:
                password = secrets.token_urlsafe(12)
                print(
                    f"OpenSPC: created user 'admin' with password {password!r}",
                    file=sys.stderr,
                    flush=True,
                )
            row = users_repo.create(conn, "admin", hash_password(password), "admin")
            audit.record(
                conn,
                "system",
                "create",
                "user",
                row.id,
                after={"username": "admin", "role": "admin"},
            )
        log.info("created the admin user")

    def database_health(self) -> dict[str, Any]:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return {"ok": True, "backend": self.engine.dialect.name}
        except Exception as exc:  # the health endpoint reports any failure, it never raises
            return {"ok": False, "backend": self.engine.dialect.name, "error": str(exc)}

    def component_health(self) -> dict[str, Any]:
        """Health of providers and notifiers that report it (e.g. MQTT connection state)."""
        out: dict[str, Any] = {}
        relay = () if self.relay is None else (self.relay,)
        for component in (*self.providers, *self.notifiers, *relay):
            report = getattr(component, "health", None)
            if report is not None:
                out[component.name] = report()
        return out

    async def start(self, app: Any) -> None:
        """Migrate, start the pipeline, the notifiers and the providers, then the plugins."""
        with self.startup_lock():
            self.migrate()
            self.bootstrap_admin()
        await self.pipeline.start()
        for cls in self.registry.notifiers.values():
            notifier = cls(app=app)
            self.notifiers.append(notifier)
            if hasattr(notifier, "start"):
                await notifier.start()
        if self.relay is not None:
            await self.relay.start()
        for cls in self.registry.providers.values():
            config = cls.configure(self.settings)
            if config is None:
                log.info("provider %s is not configured; not started", cls.name)
                continue
            provider = cls(config=config, sink=self.pipeline, app=app)
            self.providers.append(provider)
            await provider.start()
        await self.call_lifecycle("startup", app=app)

    async def stop(self, app: Any) -> None:
        """Stop taking data, drain and commit what was taken, then stop the rest."""
        for provider in reversed(self.providers):
            await provider.stop()
        await self.pipeline.stop()
        if self.relay is not None:
            await self.relay.stop()
        for notifier in reversed(self.notifiers):
            if hasattr(notifier, "stop"):
                await notifier.stop()
        await self.call_lifecycle("shutdown", app=app)
        self.engine.dispose()

    async def publish(self, events: BatchEvents) -> None:
        """Fan a committed batch's events out to every notifier and the event hooks."""
        for notifier in self.notifiers:
            await notifier.send(events)
        if self.relay is not None:
            self.relay.forward(events)
        if events.violations:
            self.pm.hook.violations_detected(
                violations=[
                    ViolationEvent(violation_id=v["id"], **{k: v[k] for k in VIOLATION_FIELDS})
                    for v in events.violations
                ]
            )
        for limits in events.limits:
            self.pm.hook.limits_changed(
                characteristic_id=limits["characteristic_id"], limits=limits
            )

    async def deliver_relayed(self, events: BatchEvents) -> None:
        """Events another process committed (scale-out relay): only to the notifiers that
        serve clients connected to this process; the committing process ran the others and
        the event hooks."""
        for notifier in self.notifiers:
            if getattr(notifier, "serves_local_clients", False):
                await notifier.send(events)

    async def call_lifecycle(self, hook: str, **kwargs: Any) -> None:
        for result in getattr(self.pm.hook, hook)(**kwargs):
            if inspect.isawaitable(result):
                await result
