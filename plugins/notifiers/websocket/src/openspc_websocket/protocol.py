"""The wire protocol: what a client may send (validated), and how server messages are encoded.

Server messages are JSON text frames, one message per frame. Events carry their data in
``payload``; control messages (``subscribed``, ``heartbeat``, ``overflow``, ``error``) carry
their fields at the top level.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from openspc.engine.pipeline import BatchEvents

MAX_IDS = 10_000

# BatchEvents attribute → message type, in delivery order within a batch.
EVENT_TYPES = (
    ("samples", "sample"),
    ("violations", "violation"),
    ("limits", "limits_update"),
    ("acks", "ack_update"),
)


class Auth(BaseModel):
    type: Literal["auth"]
    token: str


class _Subscription(BaseModel):
    characteristic_ids: list[int] = Field(default_factory=list, max_length=MAX_IDS)
    hierarchy_id: int | None = None


class Subscribe(_Subscription):
    type: Literal["subscribe"]


class Unsubscribe(_Subscription):
    type: Literal["unsubscribe"]


ClientMessage = Auth | Subscribe | Unsubscribe
_client_message: TypeAdapter[ClientMessage] = TypeAdapter(
    Annotated[ClientMessage, Field(discriminator="type")]
)


def parse(data: str | bytes) -> ClientMessage:
    """Validate one client message; raises ``ValueError`` with a short explanation."""
    try:
        return _client_message.validate_json(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or 'message'}: {e['msg']}"
            for e in exc.errors()[:3]
        ]
        raise ValueError("; ".join(problems)) from None


def events_of(batch: BatchEvents) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(message type, payloads) of a batch; ``acks`` is optional on ``BatchEvents``."""
    for attribute, message_type in EVENT_TYPES:
        payloads = getattr(batch, attribute, None)
        if payloads:
            yield message_type, payloads


def event(message_type: str, payload: dict[str, Any]) -> str:
    return _encode({"type": message_type, "payload": payload})


def subscribed(characteristic_ids: set[int], hierarchy_ids: set[int], below: frozenset[int]) -> str:
    return _encode(
        {
            "type": "subscribed",
            "characteristic_ids": sorted(characteristic_ids),
            "hierarchy_ids": sorted(hierarchy_ids),
            "hierarchy_characteristic_ids": sorted(below),
        }
    )


def heartbeat(now: float, interval: float) -> str:
    return _encode(
        {"type": "heartbeat", "ts": datetime.fromtimestamp(now, UTC), "interval": interval}
    )


def overflow(queue_size: int) -> str:
    return _encode(
        {
            "type": "overflow",
            "detail": f"more than {queue_size} messages were waiting for this client; "
            "reload the data over the REST API and reconnect",
            "queue_size": queue_size,
        }
    )


def error(detail: str) -> str:
    return _encode({"type": "error", "detail": detail})


def _encode(message: dict[str, Any]) -> str:
    return orjson.dumps(message).decode()
