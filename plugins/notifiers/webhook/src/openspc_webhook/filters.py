"""Which events a webhook receives: its filters (validated config), and the matching.

``severities`` and ``rule_keys`` narrow violations and acknowledgments (events about a
violation); a ``limits_update`` has neither and is narrowed only by the subtree. Empty lists
mean "any".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from openspc.api.schemas import Id

EventType = Literal["violation", "ack_update", "limits_update"]
Severity = Literal["WARNING", "CRITICAL"]
DEFAULT_EVENT_TYPES: tuple[EventType, ...] = ("violation",)


class WebhookFilters(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_types: list[EventType] = Field(
        default_factory=lambda: list(DEFAULT_EVENT_TYPES),
        min_length=1,
        description="events to send",
    )
    severities: list[Severity] = Field(
        default_factory=list, description="violation severities to send; empty: all"
    )
    rule_keys: list[str] = Field(
        default_factory=list, description="rules (e.g. nelson.1) to send; empty: all"
    )
    hierarchy_id: Id | None = Field(
        default=None,
        description="only characteristics on this hierarchy node or below it; null: all",
    )


@dataclass(frozen=True)
class Event:
    """One event of a batch with the facts the filters look at (``severity`` and
    ``rule_key`` are None for events not about a violation)."""

    type: EventType
    payload: dict[str, Any]
    characteristic_id: int
    severity: str | None = None
    rule_key: str | None = None


def accepts(filters: WebhookFilters, event: Event, subtree: frozenset[int] | None) -> bool:
    """Whether a webhook with these filters receives the event; ``subtree`` holds the
    characteristics below ``filters.hierarchy_id`` (None when it has no such filter)."""
    if event.type not in filters.event_types:
        return False
    if subtree is not None and event.characteristic_id not in subtree:
        return False
    if event.severity is None:  # not about a violation
        return True
    return (not filters.severities or event.severity in filters.severities) and (
        not filters.rule_keys or event.rule_key in filters.rule_keys
    )
