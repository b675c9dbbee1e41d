"""The delivery log forgets finished deliveries after the retention period, never pending
ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from openspc.db.engine import make_engine
from openspc_webhook import repo
from openspc_webhook.tables import WebhookDelivery


def test_purge_forgets_old_finished_deliveries(database_url: str) -> None:
    engine = make_engine(database_url)
    now = datetime.now(UTC)
    old, recent = now - timedelta(days=40), now - timedelta(days=1)
    with engine.begin() as conn:
        hook = repo.create(
            conn,
            {
                "name": "h",
                "url": "http://127.0.0.1/",
                "secret": "x" * 16,
                "enabled": True,
                "filters": {},
                "timeout_seconds": 1.0,
            },
        )
        rows = repo.queue(
            conn,
            [
                {"webhook_id": hook.id, "event_type": "test", "payload": {}, "created_at": at}
                for at in (old, old, old, recent)
            ],
        )
        for row, status in zip(rows, ("delivered", "failed", "pending", "delivered"), strict=True):
            repo.update_delivery(conn, row.id, {"status": status})
        assert repo.purge(conn, now - timedelta(days=30)) == 2
        kept = conn.execute(select(WebhookDelivery.id).order_by(WebhookDelivery.id)).scalars()
        assert list(kept) == [rows[2].id, rows[3].id]
    engine.dispose()
