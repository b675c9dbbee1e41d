"""The distribution registers the notifier and its API through the ``openspc`` entry point,
and reports in ``/health``."""

from __future__ import annotations

from importlib.metadata import entry_points

from openspc.plugins import Registry, create_plugin_manager
from openspc_webhook.notifier import WebhookNotifier
from openspc_webhook.routes import router

from .conftest import App, Receiver


def test_entry_point_registers_the_notifier_and_its_routes() -> None:
    (entry_point,) = entry_points(group="openspc", name="webhook")
    assert entry_point.value == "openspc_webhook.plugin"
    pm = create_plugin_manager(allow=["webhook"])
    assert Registry.collect(pm).notifiers == {"webhook": WebhookNotifier}
    assert pm.hook.register_routes() == [[router]]


def test_health_reports_the_notifier(app: App, receiver: Receiver) -> None:
    app.create_webhook(receiver.url)
    app.create_webhook(receiver.url, enabled=False)
    health = app.client.get("/health").json()
    assert health["status"] == "ok"
    assert health["components"]["webhook"] == {
        "webhooks": 1,
        "in_flight": 0,
        "inbox_batches": 0,
        "dropped_batches": 0,
    }
