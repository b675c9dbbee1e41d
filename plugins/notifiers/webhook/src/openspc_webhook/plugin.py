"""The ``openspc`` entry point of the webhook notifier."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from openspc.hookspecs import hookimpl
from openspc_webhook.notifier import WebhookNotifier
from openspc_webhook.routes import router


@hookimpl
def register_notifiers() -> Sequence[type]:
    return [WebhookNotifier]


@hookimpl
def register_routes() -> Sequence[APIRouter]:
    return [router]
