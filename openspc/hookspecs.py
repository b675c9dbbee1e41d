"""Every hook of OpenSPC, in one place (the plugin contract).

Hooks are called with keyword arguments only; an implementation may accept a subset of them,
and new arguments are only ever appended. Registration hooks run once at start-up; event hooks
run once per micro-batch, never once per sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    from fastapi import APIRouter, FastAPI

    from openspc.contracts import ViolationEvent
    from openspc.rules import Rule

PROJECT = "openspc"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --- registration (start-up) -------------------------------------------------------------


@hookspec
def register_rules() -> Sequence[Rule]:
    """Return the rules this plugin provides (:class:`openspc.rules.Rule` objects)."""
    raise NotImplementedError


@hookspec
def register_providers() -> Sequence[type]:
    """Return provider classes.

    A provider class has a ``name``, a pydantic ``Config`` model and a classmethod
    ``configure(settings) -> Config | None`` (None: not configured, not started). The kernel
    constructs it as ``Provider(config=..., sink=..., app=...)``, awaits ``start()`` at start-up
    and ``stop()`` at shutdown. Providers hand events to ``await sink.submit(events)``, which
    returns per event the stored sample (or why not) after the commit.
    """
    raise NotImplementedError


@hookspec
def register_notifiers() -> Sequence[type]:
    """Return notifier classes: constructed as ``Notifier(app=...)`` with ``async send(events)``
    called once per micro-batch with the batch's ``BatchEvents`` (samples, violations, limit
    changes), and optional async ``start()``/``stop()``. ``send`` must not block: queue and
    deliver in the background."""
    raise NotImplementedError


@hookspec
def register_routes() -> Sequence[APIRouter]:
    """Return extra FastAPI routers; they are mounted under ``/api/v1``."""
    raise NotImplementedError


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add commands to the ``openspc`` command-line group."""


# --- lifecycle -----------------------------------------------------------------------------


@hookspec
async def startup(app: FastAPI) -> None:
    """Called once when the server has started (database migrated, pipeline running).

    May be a coroutine function; the kernel awaits it.
    """


@hookspec
async def shutdown(app: FastAPI) -> None:
    """Called once when the server stops, after providers stopped and the pipeline drained."""


# --- events (once per micro-batch) ---------------------------------------------------------


@hookspec
def violations_detected(violations: Sequence[ViolationEvent]) -> None:
    """Called once per micro-batch with the violations it stored (never empty)."""


@hookspec
def limits_changed(characteristic_id: int, limits: dict[str, Any]) -> None:
    """Called after a new control-limit version was stored for a characteristic."""
