"""The ``openspc`` entry point of the WebSocket notifier."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from openspc.hookspecs import hookimpl
from openspc_websocket.hub import WebSocketNotifier
from openspc_websocket.routes import router


@hookimpl
def register_notifiers() -> Sequence[type]:
    return [WebSocketNotifier]


@hookimpl
def register_routes() -> Sequence[APIRouter]:
    return [router]
