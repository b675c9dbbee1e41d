"""The kernel: what one running OpenSPC process holds (settings, plugins, database, pipeline,
providers and notifiers) and the order in which it starts and stops them."""

from __future__ import annotations

import inspect
import logging
from typing import Any

import pluggy
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from openspc.config import Settings
from openspc.db.engine import make_engine, make_sessionmaker
from openspc.db.migrate import upgrade
from openspc.plugins import Registry, create_plugin_manager

log = logging.getLogger(__name__)


class Kernel:
    def __init__(self, settings: Settings, pm: pluggy.PluginManager | None = None) -> None:
        self.settings = settings
        self.pm = pm or create_plugin_manager(allow=settings.plugins)
        self.registry = Registry.collect(self.pm)
        self.engine = make_engine(settings.database_url)
        self.sessions: sessionmaker[Session] = make_sessionmaker(self.engine)
        self.providers: list[Any] = []
        self.notifiers: list[Any] = []

    def migrate(self) -> None:
        upgrade(self.settings.database_url)

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
        for component in (*self.providers, *self.notifiers):
            report = getattr(component, "health", None)
            if report is not None:
                out[component.name] = report()
        return out

    async def call_lifecycle(self, hook: str, **kwargs: Any) -> None:
        for result in getattr(self.pm.hook, hook)(**kwargs):
            if inspect.isawaitable(result):
                await result

    def close(self) -> None:
        self.engine.dispose()
