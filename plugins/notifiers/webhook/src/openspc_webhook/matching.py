"""From a committed batch to delivery rows: the events of the batch that each enabled
webhook's filters accept."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from openspc.engine.pipeline import BatchEvents
from openspc_webhook import repo
from openspc_webhook.filters import Event, WebhookFilters, accepts
from openspc_webhook.subtrees import Subtrees


@dataclass(frozen=True)
class Hook:
    id: int
    filters: WebhookFilters


def events_of(
    conn: Connection, batches: Sequence[BatchEvents], wanted: Collection[str]
) -> list[Event]:
    """The events of the batches of the ``wanted`` types (samples are never sent). An
    acknowledgment takes the severity and rule of its violation (one query for all)."""
    events: list[Event] = []
    acks: list[dict[str, Any]] = []
    for batch in batches:
        if "violation" in wanted:
            events += [
                Event("violation", p, p["characteristic_id"], p["severity"], p["rule_key"])
                for p in batch.violations
            ]
        if "limits_update" in wanted:
            events += [Event("limits_update", p, p["characteristic_id"]) for p in batch.limits]
        if "ack_update" in wanted:
            acks += getattr(batch, "acks", [])
    if acks:
        facts = repo.violation_facts(conn, {p["violation_id"] for p in acks})
        events += [
            Event("ack_update", p, p["characteristic_id"], *facts[p["violation_id"]]) for p in acks
        ]
    return events


class Matcher:
    """Holds the enabled webhooks' filters (replaced whole by :meth:`load` when webhooks
    change) and the hierarchy subtrees they name; runs in the database thread."""

    def __init__(self, hierarchy_refresh_seconds: float) -> None:
        self.hooks: tuple[Hook, ...] = ()
        self.subtrees = Subtrees(hierarchy_refresh_seconds)

    def load(self, conn: Connection) -> None:
        self.hooks = tuple(
            Hook(row.id, WebhookFilters.model_validate(row.filters)) for row in repo.enabled(conn)
        )

    def deliveries(
        self, conn: Connection, batches: Sequence[BatchEvents], now: datetime
    ) -> list[dict[str, Any]]:
        """Rows for :func:`repo.queue`: one per accepted (webhook, event)."""
        hooks = self.hooks
        events = events_of(conn, batches, {t for h in hooks for t in h.filters.event_types})
        if not events:
            return []
        roots = {h.filters.hierarchy_id for h in hooks if h.filters.hierarchy_id is not None}
        below = self.subtrees.resolve(conn, roots, {e.characteristic_id for e in events})
        return [
            {"webhook_id": h.id, "event_type": e.type, "payload": e.payload, "created_at": now}
            for e in events
            for h in hooks
            if accepts(
                h.filters,
                e,
                None if h.filters.hierarchy_id is None else below[h.filters.hierarchy_id],
            )
        ]
