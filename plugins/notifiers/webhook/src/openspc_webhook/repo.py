"""SQL of the webhook plugin: configured webhooks and the delivery log."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from openspc.db.models import Hierarchy, Violation
from openspc_webhook.tables import DELIVERED, FAILED, PENDING, Webhook, WebhookDelivery

# --- webhooks ------------------------------------------------------------------------------


def list_webhooks(conn: Connection) -> list[Any]:
    return list(conn.execute(select(Webhook).order_by(Webhook.name)))


def get(conn: Connection, webhook_id: int) -> Any:
    return conn.execute(select(Webhook).where(Webhook.id == webhook_id)).one_or_none()


def enabled(conn: Connection) -> list[Any]:
    """Id and filters of every enabled webhook."""
    return list(conn.execute(select(Webhook.id, Webhook.filters).where(Webhook.enabled)))


def create(conn: Connection, values: dict[str, Any]) -> Any:
    return conn.execute(insert(Webhook).values(**values).returning(*Webhook.__table__.c)).one()


def update_webhook(conn: Connection, webhook_id: int, values: dict[str, Any]) -> Any:
    return conn.execute(
        update(Webhook)
        .where(Webhook.id == webhook_id)
        .values(**values, updated_at=func.now())
        .returning(*Webhook.__table__.c)
    ).one()


def delete_webhook(conn: Connection, webhook_id: int) -> None:
    """Delete a webhook; its delivery log goes with it (ON DELETE CASCADE)."""
    conn.execute(delete(Webhook).where(Webhook.id == webhook_id))


def node_exists(conn: Connection, hierarchy_id: int) -> bool:
    return (
        conn.execute(select(Hierarchy.id).where(Hierarchy.id == hierarchy_id)).first() is not None
    )


def violation_facts(conn: Connection, violation_ids: Collection[int]) -> dict[int, tuple[str, str]]:
    """Severity and rule key of each violation."""
    rows = conn.execute(
        select(Violation.id, Violation.severity, Violation.rule_key).where(
            Violation.id.in_(violation_ids)
        )
    )
    return {r.id: (r.severity, r.rule_key) for r in rows}


# --- deliveries ----------------------------------------------------------------------------


def queue(conn: Connection, rows: Sequence[dict[str, Any]]) -> list[Any]:
    """Store new pending deliveries (``webhook_id``, ``event_type``, ``payload``,
    ``created_at``), due at once."""
    if not rows:
        return []
    return list(
        conn.execute(
            insert(WebhookDelivery).returning(*WebhookDelivery.__table__.c),
            [
                {**r, "status": PENDING, "attempts": 0, "next_attempt_at": r["created_at"]}
                for r in rows
            ],
        )
    )


def due(
    conn: Connection,
    now: datetime,
    *,
    limit: int,
    skip_deliveries: Collection[int],
    skip_webhooks: Collection[int],
) -> list[Any]:
    """Pending deliveries of enabled webhooks that are due, oldest due first, with their
    webhook's ``url``, ``secret`` and ``timeout_seconds``.

    On PostgreSQL the rows are locked until the transaction ends, skipping those another
    transaction holds (``FOR UPDATE SKIP LOCKED``): two processes claiming at once get
    different deliveries. (SQLite has no row locks; it is for one process.)"""
    stmt = (
        select(WebhookDelivery, Webhook.url, Webhook.secret, Webhook.timeout_seconds)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(
            WebhookDelivery.status == PENDING,
            WebhookDelivery.next_attempt_at <= now,
            Webhook.enabled,
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=WebhookDelivery)
    )
    if skip_deliveries:
        stmt = stmt.where(WebhookDelivery.id.not_in(skip_deliveries))
    if skip_webhooks:
        stmt = stmt.where(WebhookDelivery.webhook_id.not_in(skip_webhooks))
    return list(conn.execute(stmt))


def next_due_at(conn: Connection, after: datetime) -> datetime | None:
    """When the next pending delivery of an enabled webhook falls due after ``after``."""
    at: datetime | None = conn.execute(
        select(func.min(WebhookDelivery.next_attempt_at))
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(
            WebhookDelivery.status == PENDING,
            WebhookDelivery.next_attempt_at > after,
            Webhook.enabled,
        )
    ).scalar_one()
    return at


def lease(conn: Connection, until: Mapping[int, datetime]) -> None:
    """Move each delivery's ``next_attempt_at`` to its lease's end (delivery id → end), so
    that no process finds it due while one attempts it."""
    if until:
        conn.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == bindparam("delivery_id"))
            .values(next_attempt_at=bindparam("lease_end")),
            [{"delivery_id": d, "lease_end": end} for d, end in until.items()],
        )


def release(conn: Connection, attempts: Mapping[int, int], now: datetime) -> None:
    """Make leased deliveries due at ``now`` again (delivery id → its attempts when claimed);
    a delivery whose attempt was recorded meanwhile (more attempts, or not pending) is left."""
    if attempts:
        conn.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == bindparam("delivery_id"),
                WebhookDelivery.attempts == bindparam("claimed_attempts"),
                WebhookDelivery.status == PENDING,
            )
            .values(next_attempt_at=now),
            [{"delivery_id": d, "claimed_attempts": n} for d, n in attempts.items()],
        )


def update_delivery(conn: Connection, delivery_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id).values(**values))


def deliveries(
    conn: Connection, webhook_id: int, *, status: str | None, limit: int, offset: int
) -> tuple[list[Any], int]:
    """A page of a webhook's deliveries, newest first, and the total matching."""
    conds = [WebhookDelivery.webhook_id == webhook_id]
    if status is not None:
        conds.append(WebhookDelivery.status == status)
    total = conn.execute(
        select(func.count()).select_from(WebhookDelivery).where(*conds)
    ).scalar_one()
    rows = conn.execute(
        select(WebhookDelivery)
        .where(*conds)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total)


def purge(conn: Connection, before: datetime) -> int:
    """Forget delivered and failed deliveries created before ``before``; how many."""
    result = conn.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.status.in_((DELIVERED, FAILED)), WebhookDelivery.created_at < before
        )
    )
    return result.rowcount
